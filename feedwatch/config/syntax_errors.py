"""TOML syntax errors turned into a pointer at the broken line and, where we can, a fix."""

from __future__ import annotations

import re
import sys

from feedwatch.config.problems import Problem
from feedwatch.config.secret_values import mask_urls_keeping

_TOML_POSITION = re.compile(
    r"(?P<message>.*) \((?:at line (?P<line>\d+), column (?P<column>\d+)|at end of document)\)"
)
_UNQUOTED_VALUE = re.compile(r"\s*[\w.\"'-]+\s*=\s*(?P<value>[^\s\"'\[{#][^#]*?)\s*(#.*)?")
_TOML_LITERAL = re.compile(r"true|false|[+-]?(inf|nan|[\d_]+(\.[\d_]+)?([eE][+-]?\d+)?)")


def number_too_long_problem() -> Problem:
    """tomllib refuses an over-long integer with a bare ValueError; say so in plain words."""
    digits = sys.get_int_max_str_digits()
    message = f"an integer in the file has more than {digits} digits; no setting needs one so long"
    return Problem("", "", message)


def syntax_problem(error: str, text: str) -> Problem:
    """Point at the broken line, since tomllib's words alone rarely say what to change."""
    match = _TOML_POSITION.fullmatch(error)
    message = match["message"] if match else error
    message = message[:1].lower() + message[1:]
    if not match or not match["line"]:
        return Problem("at the end of the file", "", message + _syntax_hint(message, ""))
    number, column = int(match["line"]), int(match["column"])
    lines = text.splitlines()
    line = lines[number - 1].replace("\t", " ") if number <= len(lines) else ""
    line, column = mask_urls_keeping(line, column)  # the line may hold a password
    gutter = " " * len(str(number))
    snippet = f"\n{number} | {line}\n{gutter} | {' ' * (column - 1)}^"
    where = f"line {number}, column {column}"
    return Problem(where, "", message + _syntax_hint(message, line) + snippet)


def _syntax_hint(message: str, line: str) -> str:
    if message.startswith("cannot declare"):
        return " (a [table] may appear once; each feed starts with [[feeds]], two brackets)"
    if message.startswith("cannot overwrite a value"):
        return " (a key is set twice in the same table)"
    unquoted = _UNQUOTED_VALUE.fullmatch(line)
    if unquoted and unquoted["value"].lower() in ("true", "false"):
        return f" (true and false are written in lower case: {unquoted['value'].lower()})"
    if unquoted and not _TOML_LITERAL.fullmatch(unquoted["value"]):
        return f' (text values need quotes: "{unquoted["value"]}")'
    return ""


# Deeper than any setting needs, and far below where tomllib's recursive parser gives out.
MAX_NESTING = 64


def nesting_problem(text: str) -> Problem | None:
    """Arrays and inline tables nested too deep, located: tomllib would raise RecursionError."""
    depth, line, column, at = 0, 1, 0, 0
    quote = ""  # the delimiter of the string we are in, if any
    size = len(text)
    while at < size:
        char = text[at]
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        elif quote:
            if char == "\\" and quote in ('"', '"""'):
                at, column = at + 1, column + 1  # an escaped character never ends the string
            elif text.startswith(quote, at):
                at, column = at + len(quote) - 1, column + len(quote) - 1
                quote = ""
        elif char == "#":
            end = text.find("\n", at)
            at = size if end < 0 else end
            continue
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, at) else char
            at, column = at + len(quote) - 1, column + len(quote) - 1
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                lines = text.splitlines()
                shown = lines[line - 1] if line <= len(lines) else ""
                shown, column = mask_urls_keeping(shown, column)
                cut = shown[: max(column + 20, 60)]
                gutter = " " * len(str(line))
                message = (
                    f"arrays or inline tables nested more than {MAX_NESTING} deep; "
                    "no setting needs that"
                    f"\n{line} | {cut}{' ...' if len(cut) < len(shown) else ''}"
                    f"\n{gutter} | {' ' * (column - 1)}^"
                )
                return Problem(f"line {line}, column {column}", "", message)
        elif char in "]}":
            depth = max(0, depth - 1)
        at += 1
    return None
