"""feedwatch: application-level liveness for long-lived streaming feeds.

The one import a Python consumer needs is ``from feedwatch import Watcher`` (README, "In-process
API"); everything else in the package is internal. The names below load on first use, so
``import feedwatch`` (which every module does, for ``__version__``) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["ConfigError", "OnStale", "State", "Watcher"]

if TYPE_CHECKING:
    from feedwatch.watcher import ConfigError, OnStale, State, Watcher


def __getattr__(name: str) -> Any:
    if name in __all__:
        from feedwatch import watcher

        return getattr(watcher, name)
    raise AttributeError(f"module 'feedwatch' has no attribute {name!r}")
