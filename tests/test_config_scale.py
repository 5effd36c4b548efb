"""Loading a large config is linear: the per-table work does not re-resolve the schema."""

from __future__ import annotations

from pathlib import Path

import msgspec

from feedwatch.config import shape
from feedwatch.config.loader import parse_config


def feeds_text(count: int) -> str:
    return "".join(
        f'[[feeds]]\nname = "f{i}"\nurl = "ws://127.0.0.1:9/{i}"\nstale_after = "30s"\n\n'
        for i in range(count)
    )


def test_schema_fields_are_resolved_once_whatever_the_feed_count(monkeypatch: object) -> None:
    calls = 0
    real = msgspec.structs.fields

    def counting(struct: object) -> object:
        nonlocal calls
        calls += 1
        return real(struct)  # type: ignore[arg-type]

    shape.struct_fields.cache_clear()
    monkeypatch.setattr(msgspec.structs, "fields", counting)  # type: ignore[attr-defined]
    config = parse_config(feeds_text(2000), Path("/tmp/feeds.toml"), {})
    assert len(config.feeds) == 2000
    # One resolution per schema struct, not one per [[feeds]] table (was 2,000+).
    assert calls < 20
