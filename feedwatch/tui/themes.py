"""Themes: the bundled ones and the user's, checked into Textual Themes, and the last one chosen.

A theme file is TOML holding the fields of ``textual.theme.Theme`` plus a ``[variables]`` table.
Every file is checked strictly: a typo must not silently leave a feed state uncoloured, so a
broken file is skipped and the person who wrote it is told which line to fix and how.

NO_COLOR needs nothing from feedwatch. Textual 8 reads it in ``App.__init__`` (``textual/app.py``:
``self.no_color = environ.pop("NO_COLOR", None) is not None``), so any value counts, even an empty
one, and adds a ``Monochrome`` line filter that turns every colour a widget draws into its grey,
whatever the theme (``NoColor``, the terminal's default colours, if the app is constructed with
ANSI colour already on). ``tests/test_themes.py`` proves it under every bundled theme. With colour
gone the state colours are only greys, so the dashboard must also say each state in words.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.resources
import json
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.design import ColorSystem
from textual.theme import BUILTIN_THEMES, Theme

from feedwatch.config import paths
from feedwatch.config.syntax_errors import number_too_long_problem, syntax_problem
from feedwatch.config.toml_text import toml_repr

__all__ = [
    "DEFAULT_THEME",
    "ThemeError",
    "bundled_themes_dir",
    "choose_theme",
    "load_theme_file",
    "load_themes",
    "remember_theme",
    "remembered_theme",
]

DEFAULT_THEME = "feedwatch-dark"
# Used only if even the default theme is missing, so start-up can never fail on a theme.
_LAST_RESORT_THEME = "textual-dark"
_UI_STATE_FILE = "ui.json"

COLOUR_FIELDS = (
    *("primary", "secondary", "accent"),  # chrome
    *("success", "warning", "error"),  # live, nearly stale or backing off, stale
    *("foreground", "background", "surface", "panel", "boost"),
)
_BOOL_FIELDS = ("dark", "ansi")
_FRACTION_FIELDS = ("luminosity_spread", "text_alpha")
KNOWN_KEYS = ("name", *COLOUR_FIELDS, *_BOOL_FIELDS, *_FRACTION_FIELDS, "variables")

_NAME = re.compile(r"[^\s,](?:[^,\r\n\t]*[^\s,])?")
_ALPHA_SUFFIX = re.compile(r"\s+\d+(?:\.\d+)?%")
_TABLE_LINE = re.compile(r"\s*\[\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*\]\s*(?:#.*)?")
_KEY_LINE = re.compile(r"\s*(\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=")
_COLOUR_EXAMPLES = '"#1e90ff", "rgb(30, 144, 255)", "dodgerblue" or "ansi_blue"'
_ANSI_EXAMPLES = {
    "ansi-background": "ansi_black",
    "ansi-foreground": "ansi_white",
    "foreground-disabled": "ansi_bright_black",
}
_TOML_TYPES = {bool: "true/false", str: "text", float: "a number"}


class ThemeError(Exception):
    """A theme file that was skipped, with what to change; shown to the user, never raised on."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        separator = "\n  " if "\n" in message else " "
        indented = message.replace("\n", "\n  ")
        super().__init__(f"Theme file {path} was skipped:{separator}{indented}")


def bundled_themes_dir() -> Path:
    """Where the shipped themes are: inside the installed package, or in a checkout's themes/."""
    packaged = importlib.resources.files("feedwatch") / "themes"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "themes"


def load_theme_file(path: Path, *, reserved_names: Collection[str] = BUILTIN_THEMES) -> Theme:
    """Read one theme file strictly, so every mistake in it is reported with its line."""
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise ThemeError(path, f"it is not UTF-8 text ({err.reason})") from None
    except OSError as err:
        raise ThemeError(path, err.strerror or str(err)) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ThemeError(path, "invalid TOML: " + str(syntax_problem(str(err), text))) from None
    except ValueError:  # an integer too long for Python to convert
        raise ThemeError(path, "invalid TOML: " + str(number_too_long_problem())) from None
    checker = _ThemeChecker(raw, text, reserved_names)
    theme = checker.check()
    if theme is None:
        raise ThemeError(path, "\n".join(checker.messages()))
    return theme


def load_themes(user_dir: Path | None = None) -> tuple[list[Theme], list[ThemeError]]:
    """Every usable theme, bundled first, with the user's own replacing any of the same name."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeError] = []
    for folder in (bundled_themes_dir(), paths.user_themes_dir() if user_dir is None else user_dir):
        claimed: dict[str, Path] = {}
        for path in _theme_files(folder, problems):
            try:
                theme = load_theme_file(path)
            except ThemeError as err:
                problems.append(err)
                continue
            if theme.name in claimed:
                other = claimed[theme.name].name
                message = f'the name "{theme.name}" is already used by {other}; rename one of them'
                problems.append(ThemeError(path, message))
                continue
            claimed[theme.name] = path
            themes[theme.name] = theme
    return list(themes.values()), problems


def choose_theme(app_theme_names: Collection[str], remembered: str | None) -> str:
    """The theme to start with: the user's last choice if it still loads, else the default."""
    for name in (remembered, DEFAULT_THEME):
        if name is not None and name in app_theme_names:
            return name
    return _LAST_RESORT_THEME


def remembered_theme() -> str | None:
    """The theme the user picked last time, so a restart does not undo their choice."""
    name = _read_ui_state().get("theme")
    return name if isinstance(name, str) and name else None


def remember_theme(name: str) -> None:
    """Keep the user's theme choice for next time; failing to save only loses that memory."""
    state = _read_ui_state()
    state["theme"] = name
    target = _ui_state_path()
    temporary: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".ui-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(state, file, indent=2, ensure_ascii=False)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _ui_state_path() -> Path:
    return paths.state_dir() / _UI_STATE_FILE


def _read_ui_state() -> dict[str, Any]:
    try:
        state = json.loads(_ui_state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8 or not JSON: start afresh
        return {}
    return state if isinstance(state, dict) else {}


def _theme_files(folder: Path, problems: list[ThemeError]) -> list[Path]:
    try:
        return sorted(
            path
            for path in folder.iterdir()
            if path.suffix == ".toml" and not path.name.startswith(".")
        )
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        problems.append(ThemeError(folder, "it is a file, but themes belong in a folder here"))
    except OSError as err:
        problems.append(ThemeError(folder, f"the folder cannot be read ({err.strerror or err})"))
    return []


@cache
def _required_variables() -> frozenset[str]:
    """Every variable an RGB theme defines, which Textual's and feedwatch's CSS may refer to."""
    return frozenset(ColorSystem("#000000", dark=True).generate())


@cache
def _known_variables() -> frozenset[str]:
    """Every variable Textual generates, so a typo'd variable is caught rather than ignored."""
    names = set(ColorSystem("#000000", dark=True).generate())
    names |= set(ColorSystem("ansi_blue", ansi=True).generate())
    for theme in BUILTIN_THEMES.values():
        names |= set(theme.variables)
    return frozenset(names)


class _ThemeChecker:
    """One pass over a parsed theme file, collecting every problem with the line it is on."""

    def __init__(self, raw: dict[str, Any], text: str, reserved_names: Collection[str]) -> None:
        self.raw = raw
        self.reserved_names = reserved_names
        self.lines = _key_lines(text)
        self.problems: list[tuple[int, str]] = []

    def messages(self) -> list[str]:
        return [message for _, message in sorted(self.problems, key=lambda item: item[0])]

    def report(self, table: str, key: str, message: str) -> None:
        line = self.lines.get((table, key)) or self.lines.get(("", table)) or 0
        self.problems.append((line, (f"line {line}: " if line else "") + message))

    def check(self) -> Theme | None:
        for key in self.raw:
            if key not in KNOWN_KEYS:
                self.report("", key, _unknown("key", key, KNOWN_KEYS))
        for key in ("name", "primary"):
            if key not in self.raw:
                self.problems.append((0, f'"{key}" is missing; every theme needs one'))
        self._check_name()
        colours = {key: self._colour(key) for key in COLOUR_FIELDS if key in self.raw}
        for key in _BOOL_FIELDS:
            self._typed(key, bool)
        for key in _FRACTION_FIELDS:
            value = self._typed(key, float)
            if isinstance(value, float) and not 0.0 <= value <= 1.0:
                written = toml_repr(self.raw[key])
                self.report("", key, f"{key} must be between 0 and 1, not {written}")
        variables = self._variables()
        if self.problems:
            return None
        self._check_states_differ(colours)
        fields = {key: value for key, value in self.raw.items() if key != "variables"}
        fields |= {key: float(fields[key]) for key in _FRACTION_FIELDS if key in fields}
        theme = Theme(**fields, variables=variables)
        self._check_nothing_undefined(theme)
        return None if self.problems else theme

    def _check_name(self) -> None:
        name = self._typed("name", str)
        if not isinstance(name, str):
            return
        if not _NAME.fullmatch(name):
            message = "name must be one line, with no commas and no spaces at either end"
            self.report("", "name", f"{message}, not {toml_repr(name)}")
        elif name in self.reserved_names:
            self.report(
                "",
                "name",
                f'name "{name}" is a Textual built-in theme; give yours its own name, '
                f'such as "{name}-custom", so both stay available',
            )

    def _typed(self, key: str, expected: type) -> Any:
        if key not in self.raw:
            return None
        value = self.raw[key]
        if expected is float and type(value) is int:
            try:
                value = float(value)
            except OverflowError:  # past the largest float: out of range, which the caller names
                value = math.inf if value > 0 else -math.inf
        elif type(value) is not expected:
            wanted = _TOML_TYPES[expected]
            self.report("", key, f"{key} must be {wanted}, not {toml_repr(value)}")
            return None
        return value

    def _colour(self, key: str) -> Color | None:
        value = self._typed(key, str)
        if not isinstance(value, str):
            return None
        try:
            return Color.parse(value)
        except ColorParseError as err:
            hint = (
                f'did you mean "{err.suggested_color}"?'
                if err.suggested_color
                else f"expected a colour such as {_COLOUR_EXAMPLES}"
            )
            self.report("", key, f"{key}: {toml_repr(value)} is not a colour ({hint})")
            return None

    def _variables(self) -> dict[str, str]:
        variables = self.raw.get("variables", {})
        if not isinstance(variables, dict):
            message = f"variables must be a [variables] table, not {toml_repr(variables)}"
            self.report("", "variables", message)
            return {}
        known = _known_variables()
        for name, value in variables.items():
            if name not in known:
                self.report("variables", name, _unknown("variable", name, sorted(known)))
            elif not isinstance(value, str):
                self.report("variables", name, f"{name} must be text, not {toml_repr(value)}")
            elif name.endswith("-style"):
                self._check_text_style(name, value)
            else:
                self._check_variable_colour(name, value)
        return {name: value for name, value in variables.items() if isinstance(value, str)}

    def _check_text_style(self, name: str, value: str) -> None:
        words = value.split()
        wrong = [word for word in words if word not in VALID_STYLE_FLAGS] if words else [value]
        if wrong:
            flags = ", ".join(sorted(VALID_STYLE_FLAGS))
            named = " and ".join(toml_repr(word) for word in wrong)
            verb = "are not text styles" if len(wrong) > 1 else "is not a text style"
            message = f"{name}: {named} {verb} (use words from: {flags})"
            self.report("variables", name, message)

    def _check_variable_colour(self, name: str, value: str) -> None:
        colour = _ALPHA_SUFFIX.sub("", value.strip())
        if colour in ("auto", "initial"):
            return
        try:
            Color.parse(colour)
        except ColorParseError as err:
            hint = f'did you mean "{err.suggested_color}"?' if err.suggested_color else ""
            examples = f'expected a colour such as {_COLOUR_EXAMPLES}, optionally with "50%"'
            message = f"{name}: {toml_repr(value)} is not a colour ({hint or examples})"
            self.report("variables", name, message)

    def _check_nothing_undefined(self, theme: Theme) -> None:
        """Widgets use variables Textual derives only for RGB themes, so ansi ones must set them."""
        missing = sorted(_required_variables() - set(theme.to_color_system().generate()))
        if missing:
            examples = ", ".join(
                f'{name} = "{_ANSI_EXAMPLES.get(name, "ansi_default")}"' for name in missing
            )
            self.problems.append(
                (
                    0,
                    f"[variables] must set {_and(missing)}, which Textual does not derive for "
                    f"ansi = true themes but its widgets use (for example: {examples})",
                )
            )

    def _check_states_differ(self, colours: dict[str, Color | None]) -> None:
        """Live, nearly stale and stale must look different, even where a theme leaves them out."""
        fallback = {  # what Textual uses for each colour a theme leaves out, in that order
            "secondary": "primary",
            "success": "secondary",
            "warning": "primary",
            "error": "secondary",
        }
        source = {key: key for key in ("primary", *fallback)}
        for key in fallback:
            if key not in self.raw:
                source[key] = source[fallback[key]]
        groups: dict[Color | None, list[str]] = {}
        for state in ("success", "warning", "error"):
            groups.setdefault(colours.get(source[state]), []).append(state)
        for states in groups.values():
            if len(states) < 2:
                continue
            borrowed = [
                f"{state} is not set, so it takes {source[state]}'s colour"
                for state in states
                if source[state] != state
            ]
            self.problems.append(
                (
                    0,
                    f"{_and(states)} would look the same"
                    + (f" ({'; '.join(borrowed)})" if borrowed else "")
                    + ": feedwatch colours live feeds with success, backoff and nearly stale "
                    "ones with warning, and stale ones with error, so give each its own colour",
                )
            )


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


def _unknown(kind: str, name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    if not close and kind == "key":
        hint = "; expected " + ", ".join(KNOWN_KEYS)
    return f'unknown {kind} "{name}"{hint}'


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """The line each (table, key) is written on; tomllib parses without keeping positions."""
    lines: dict[tuple[str, str], int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        if header := _TABLE_LINE.fullmatch(line):
            table = _unquote(header[1])
            lines.setdefault(("", table), number)
        elif key := _KEY_LINE.match(line):
            lines.setdefault((table, _unquote(key[1])), number)
    return lines


def _unquote(key: str) -> str:
    if key[:1] == '"':
        with contextlib.suppress(ValueError):  # TOML escapes JSON lacks (\U...): keep as written
            return str(json.loads(key))
    return key.strip("'\"")
