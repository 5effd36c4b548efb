"""The commented starter config that "feedwatch init" writes for a new user."""

from __future__ import annotations

import errno
from importlib import resources
from pathlib import Path


def starter_text() -> str:
    """The starter template, read as package data so it works from an installed wheel."""
    return resources.files("feedwatch.config").joinpath("starter.toml").read_text(encoding="utf-8")


def write_starter_config(path: Path) -> Path:
    """Give a new user a working, fully commented config without ever clobbering theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(starter_text())
    except FileExistsError:
        raise FileExistsError(
            errno.EEXIST, "a config already exists; not overwriting it", str(path)
        ) from None
    return path
