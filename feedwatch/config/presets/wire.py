"""How presets write the JSON they send: compact, the way exchanges echo it back."""

from __future__ import annotations

import json


def compact(value: object) -> str:
    """JSON without spaces, so a subscribe reads exactly as it goes over the wire."""
    return json.dumps(value, separators=(",", ":"))
