"""The shape pass: raw TOML checked against the structs in ``schema``, in the user's terms.

Unknown keys are reported with a did-you-mean, missing keys and wrong types by translating
msgspec's ValidationError into the key path and the value as the user wrote them.
"""

from __future__ import annotations

import difflib
import functools
import re
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec

from feedwatch.config import schema
from feedwatch.config.problems import Report, Segments
from feedwatch.config.toml_text import dotted, toml_repr

_MSGSPEC_AT = re.compile(r"(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)
_MSGSPEC_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_MSGSPEC_EXPECTED = re.compile(r"Expected `(?P<types>[^`]+)`, got `[^`]+`")
_MSGSPEC_MISSING = re.compile(r"Object missing required field `(?P<field>[^`]+)`")


@functools.cache
def struct_fields(struct: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    """A struct's fields by TOML name, resolved once: msgspec re-evaluates the annotations on
    every call (2 ms a table), which made a 5,000-feed config take 13 s to load."""
    return {field.encode_name: field for field in msgspec.structs.fields(struct)}


_TLS_KEYS = frozenset(struct_fields(schema.TlsTable))
_TYPE_WORDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
}


class ShapeChecker:
    """Walks raw TOML against a struct, reporting every shape problem instead of the first."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def check_table(self, raw: dict[str, Any], struct: type[msgspec.Struct], at: Segments) -> None:
        """Check every key of a table, so one pass finds every typo and every missing key."""
        fields = struct_fields(struct)
        suggested: set[str | None] = set()
        for key, value in raw.items():
            field = fields.get(key)
            if field is None:
                suggested.add(_suggestion(key, list(fields)))
                self.report((*at, key), _unknown_key(key, list(fields), at), keyed=False)
            else:
                self.check_value(value, field.type, (*at, key))
        for name, field in fields.items():
            # A typo already reported as 'did you mean "name"?' needs no second line.
            if field.required and name not in raw and name not in suggested:
                self.report((*at, name), "required key is missing")

    def check_value(self, value: Any, annotation: Any, at: Segments) -> None:
        bare, expected = _unwrap(annotation)
        header = _header(at, brackets=True)
        item = get_args(bare)[0] if get_origin(bare) is list else None
        if _is_struct(bare):
            if isinstance(value, dict):
                self.check_table(value, bare, at)
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                self.report(
                    at, f"expected one table, found a list of tables; write {header}, one bracket"
                )
            else:
                self.report(at, f"expected a table ({header}), found {toml_repr(value)}")
        elif item is not None and _is_struct(item):
            if isinstance(value, list):
                for index, entry in enumerate(value):
                    self.check_value(entry, item, (*at, index))
            elif isinstance(value, dict):
                self.report(
                    at,
                    f"expected a list of tables, found one table; write [{header}] "
                    "(two brackets) above each one",
                )
            else:
                self.report(at, f"expected a list of tables ([{header}]), found {toml_repr(value)}")
        elif get_origin(bare) is dict and get_args(bare)[1] is not Any and isinstance(value, dict):
            for key, entry in value.items():
                self.check_value(entry, get_args(bare)[1], (*at, key))
        else:
            self.convert(value, annotation, at, expected)

    def convert(self, value: Any, annotation: Any, at: Segments, expected: str = "") -> Any:
        """msgspec.convert, with a failure reported in the user's terms instead of raised."""
        try:
            return msgspec.convert(value, annotation)
        except msgspec.ValidationError as err:
            match = _MSGSPEC_AT.fullmatch(str(err))
            message, path = (match["message"], match["path"] or "") if match else (str(err), "")
            inner: list[str | int] = []
            found: Any = value
            for name, index in _MSGSPEC_SEGMENT.findall(path):
                if index == "...":
                    break
                part: str | int = int(index) if index else name
                inner.append(part)
                found = _child(found, part)
            if missing := _MSGSPEC_MISSING.fullmatch(message):
                self.report((*at, *inner, missing["field"]), "required key is missing")
            elif wanted := _MSGSPEC_EXPECTED.fullmatch(message):
                words = expected if expected and not inner else _type_words(wanted["types"])
                self.report((*at, *inner), f"expected {words}, found {toml_repr(found)}")
            else:
                self.report((*at, *inner), message[:1].lower() + message[1:])
            return None


def _unknown_key(key: str, known: list[str], at: Segments) -> str:
    """Say which key is unknown and, when we can tell, what the user meant."""
    written = dotted((*at[2:], key)) if at[:1] == ("feeds",) else dotted((*at[1:], key))
    feed_keys = list(struct_fields(schema.FeedTable))
    close = _suggestion(key, known)
    if at[:1] == ("feeds",) and len(at) == 2 and key in _TLS_KEYS:
        hint = "; it belongs in the feed's [feeds.tls] table"
    elif close:
        suggestion = written[: len(written) - len(dotted((key,)))] + dotted((close,))
        hint = f' (did you mean "{suggestion}"?)'
    elif not at and key in ("listen",):
        hint = "; it belongs in the [server] table"
    elif not at and key in feed_keys:
        hint = "; it belongs in a [[feeds]] table, below its [[feeds]] line"
    elif key in feed_keys and (at == ("server",) or len(at) > 2):
        hint = (
            f"; {key} is a feed key, so move it above the {_header(at, brackets=True)} line "
            "(keys below a [table] line belong to that table)"
        )
    elif len(known) <= 6:
        hint = (
            "; expected " + ", ".join(known[:-1]) + (" or " if len(known) > 1 else "") + known[-1]
        )
    else:
        hint = ""
    return f'unknown {"top-level " if not at else ""}key "{written}"{hint}'


def _suggestion(key: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(key, known, n=1) or [k for k in known if k == key.lower()]
    return close[0] if close else None


def _child(value: Any, part: str | int) -> Any:
    if isinstance(value, dict):
        return value.get(part)
    return value[part] if isinstance(value, list) and isinstance(part, int) else None


def _unwrap(annotation: Any) -> tuple[Any, str]:
    """Strip Optional and Annotated from a field type, keeping any human "expected" text."""
    if get_origin(annotation) in (Union, UnionType):
        rest = [arg for arg in get_args(annotation) if arg is not NoneType]
        if len(rest) == 1:
            annotation = rest[0]
    if get_origin(annotation) is Annotated:
        bare, *metadata = get_args(annotation)
        for meta in metadata:
            if isinstance(meta, msgspec.Meta) and meta.extra:
                return bare, str(meta.extra.get("expected", ""))
        return bare, ""
    return annotation, ""


def _is_struct(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)


def _header(at: Segments, *, brackets: bool = False) -> str:
    name = ".".join(part for part in at if isinstance(part, str))
    if not brackets:
        return name
    return f"[[{name}]]" if at and isinstance(at[-1], int) else f"[{name}]"


def _type_words(types: str) -> str:
    words = [_TYPE_WORDS.get(name, name) for name in types.split(" | ") if name != "null"]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]
