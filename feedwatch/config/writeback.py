"""Save thresholds changed live back into the user's config file, keeping the rest as written.

The file is edited with tomlkit, so comments, blank lines, key order and quoting survive and only
the ``stale_after`` values change. The result is checked with the loader before anything touches
the disk, and the old file is replaced in one step, so a failed save leaves it as it was.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Float, Integer, Item, String, StringType

from feedwatch.config.durations import format_duration
from feedwatch.config.loader import ConfigError, parse_config

__all__ = ["WriteBackError", "WriteResult", "write_thresholds"]

_BOM = "\ufeff"


class WriteBackError(Exception):
    """Why thresholds were not saved, in words for the user; the file is left unchanged."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"thresholds not saved to {path}: {reason}")


@dataclass(frozen=True)
class WriteResult:
    """Which feeds got new thresholds in the file, and which have no [[feeds]] table in it."""

    path: Path
    written: tuple[str, ...]
    not_found: tuple[str, ...]


def write_thresholds(
    path: Path, thresholds: Mapping[str, float], *, environ: Mapping[str, str] | None = None
) -> WriteResult:
    """Keep thresholds tuned on the dashboard across restarts without disturbing the user's file.

    ``thresholds`` maps feed names to seconds. ``environ`` is where ``${VAR}`` references are
    looked up while checking the result (default: this process's environment); variables that
    are unset there do not count against the file, and nothing from it is ever written.
    """
    target = path.resolve()  # write through a symlink, not over it
    values = {name: _duration_text(path, name, seconds) for name, seconds in thresholds.items()}
    original = _read(path, target)
    text = original.decode("utf-8").removeprefix(_BOM)
    checking_environ = _EveryVariableSet(os.environ if environ is None else environ)
    _check_loads(path, text, checking_environ, "the file no longer loads as a feedwatch config")
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as err:
        raise WriteBackError(path, f"the file could not be read as TOML ({err})") from None
    written: list[str] = []
    not_found: list[str] = []
    for name, duration in values.items():
        tables = _feed_tables(document, name)
        for table in tables:
            _set_threshold(table, duration, thresholds[name])
        (written if tables else not_found).append(name)
    new_text = document.as_string()
    if new_text != text:
        _check_loads(path, new_text, checking_environ, "the new thresholds would not load")
        bom = _BOM if original.startswith(_BOM.encode("utf-8")) else ""
        _replace(path, target, original, (bom + new_text).encode("utf-8"))
    return WriteResult(path=path, written=tuple(written), not_found=tuple(not_found))


def _duration_text(path: Path, name: str, seconds: float) -> str:
    try:
        return format_duration(seconds)
    except ValueError as err:
        raise WriteBackError(path, f"feed {json.dumps(name, ensure_ascii=False)}: {err}") from None


def _read(path: Path, target: Path) -> bytes:
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise WriteBackError(path, "the file does not exist (was it moved or deleted?)") from None
    except IsADirectoryError:
        raise WriteBackError(path, "it is a directory, not a file") from None
    except OSError as err:
        raise WriteBackError(path, f"cannot read it ({err.strerror or err})") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise WriteBackError(path, "the file is not UTF-8 text any more") from None
    return data


def _check_loads(path: Path, text: str, environ: Mapping[str, str], summary: str) -> None:
    """Refuse to leave behind a file that feedwatch itself would reject."""
    try:
        parse_config(text, path, environ)
    except ConfigError as err:
        details = "".join("\n  " + str(problem).replace("\n", "\n    ") for problem in err.problems)
        raise WriteBackError(path, f"{summary}:{details}") from None


def _feed_tables(document: tomlkit.TOMLDocument, name: str) -> list[Any]:
    """The [[feeds]] tables (or inline tables in a feeds array) named ``name``."""
    feeds = document.get("feeds")
    if not isinstance(feeds, list):
        return []
    return [feed for feed in feeds if isinstance(feed, dict) and feed.get("name") == name]


def _set_threshold(table: Any, duration: str, seconds: float) -> None:
    """Replace stale_after in the style it was written: a number stays a number, quotes stay."""
    old = table.get("stale_after")
    new: Item
    if isinstance(old, Integer | Float):
        new = tomlkit.item(int(seconds) if float(seconds).is_integer() else float(seconds))
    elif isinstance(old, String):
        new = String.from_raw(duration, old.type)
    else:
        new = String.from_raw(duration, StringType.SLB)
    table["stale_after"] = new  # tomlkit carries over the old value's indent and comment


def _replace(path: Path, target: Path, original: bytes, data: bytes) -> None:
    """Swap the new text in with one rename, keeping the file's permissions."""
    try:
        mode = target.stat().st_mode
    except OSError as err:
        raise WriteBackError(path, f"cannot read its permissions ({err.strerror or err})") from None
    # Renaming over a file only needs the directory to be writable, so honour the file's own mode.
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise WriteBackError(path, "the file is read-only")
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as err:
        reason = f"cannot create a file in {target.parent} ({err.strerror or err})"
        raise WriteBackError(path, reason) from None
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(mode))
        if target.read_bytes() != original:
            raise WriteBackError(path, "the file changed while saving; try again")
        os.replace(temporary, target)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise WriteBackError(path, f"cannot write it ({err.strerror or err})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _EveryVariableSet(Mapping[str, str]):
    """An environment in which every ${VAR} is set: real values where known, else empty.

    Checking the saved file must not fail because a variable is unset in this process, and it
    only ever reads these values; the file keeps its ${VAR} references as written.
    """

    def __init__(self, known: Mapping[str, str]) -> None:
        self.known = known

    def __getitem__(self, name: str) -> str:
        return self.known.get(name, "")

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)
