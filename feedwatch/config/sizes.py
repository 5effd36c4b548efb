"""Message sizes as people write them: a number of bytes, or "512KiB", "1MiB", "4MB"."""

from __future__ import annotations

import re
from decimal import Decimal

EXPECTED_SIZE = 'a size like "512KiB", "1MiB", "4MB" or a number of bytes'

_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*")
_SIZE_UNITS = {"": 1, "B": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3}
_SIZE_UNITS |= {"KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def parse_size(value: str | int) -> int:
    """Bytes from 1048576 or "1MiB"; the ValueError says what is wrong."""
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.fullmatch(value)
        if match is None or match[2] not in _SIZE_UNITS:
            units = ", ".join(unit for unit in _SIZE_UNITS if unit)
            raise ValueError(f"use a number and one of {units}")
        size = int(Decimal(match[1]) * _SIZE_UNITS[match[2]])
    if size < 1:
        raise ValueError("it must be at least 1 byte")
    return size
