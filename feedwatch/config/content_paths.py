"""The paths content signals read: event_time (one, or several tried in turn) and sequence
(one path, or a table naming a range or a link of update ids)."""

from __future__ import annotations

import difflib
from typing import Any

from feedwatch.config.model import SequenceLink, SequenceRange
from feedwatch.config.problems import Report, Segments
from feedwatch.config.toml_text import toml_repr

_SEQUENCE_FORMS = (("first", "last"), ("prev", "id"))
_FORMS = " or ".join(f"{{ {a} = ..., {b} = ... }}" for a, b in _SEQUENCE_FORMS)
_KNOWN = [name for form in _SEQUENCE_FORMS for name in form]


def is_json_path(path: str) -> bool:
    return all(part.strip() for part in path.split("."))


def read_json_path(path: Any, key: Segments, report: Report) -> bool:
    """A content signal's path: a string of non-empty parts between dots."""
    if isinstance(path, str) and is_json_path(path):
        return True
    report(key, f'expected a dotted JSON path like "data.E", found {toml_repr(path)}')
    return False


def read_event_time(value: str | list[str] | None, report: Report) -> str | tuple[str, ...] | None:
    """One path, or several tried in turn (one message shape per path)."""
    if value is None or isinstance(value, str):
        if value is not None:
            read_json_path(value, ("event_time",), report)
        return value
    if not value:
        report(
            ("event_time",),
            "expected at least one dotted JSON path, found [] (leave event_time out to turn "
            "lag off)",
        )
    seen: set[str] = set()
    for index, path in enumerate(value):
        if read_json_path(path, ("event_time", index), report) and path in seen:
            report(("event_time", index), f"{toml_repr(path)} is listed twice")
        seen.add(path)
    return tuple(value)


def read_sequence(
    value: str | dict[str, Any] | None, report: Report
) -> str | SequenceRange | SequenceLink | None:
    """A path to a number growing by one, or { first, last } / { prev, id } of update ids;
    None when there is none or it is wrong (and then reported)."""
    key: Segments = ("sequence",)
    if value is None or isinstance(value, str):
        if value is not None and not read_json_path(value, key, report):
            return None
        return value
    unknown = [name for name in value if name not in _KNOWN]
    for name in unknown:
        close = difflib.get_close_matches(name, _KNOWN, n=1)
        hint = f'did you mean "sequence.{close[0]}"?' if close else f"expected {_FORMS}"
        report((*key, name), f'unknown key "sequence.{name}" ({hint})', keyed=False)
    if unknown:
        return None  # a typo: which form was meant is a guess
    paths_ok = all([read_json_path(path, (*key, name), report) for name, path in value.items()])
    used = [form for form in _SEQUENCE_FORMS if any(name in value for name in form)]
    written = ", ".join(value)
    if not used:
        report(key, f"expected {_FORMS}, found {toml_repr(value)}")
        return None
    if len(used) > 1:
        report(
            key,
            f"mixes two forms ({written}): write {{ first, last }} when each message carries a "
            "range of update ids, or { prev, id } when it names the previous message's id",
        )
        return None
    (form,) = used
    missing = [name for name in form if name not in value]
    if missing:
        report(
            key,
            f"{{ {form[0]}, {form[1]} }} needs both keys, found only {written} "
            f"({missing[0]} is missing)",
        )
        return None
    if not paths_ok:
        return None
    if form == ("first", "last"):
        return SequenceRange(first=value["first"], last=value["last"])
    return SequenceLink(prev=value["prev"], id=value["id"])
