"""What is wrong with a config and where, in a form the person who wrote it can act on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# A place in the raw TOML, key by key and index by index: ("feeds", 2, "backoff", "max").
Segments = tuple[str | int, ...]


class Report(Protocol):
    """How a checking pass records a problem at a place without knowing how places are named."""

    def __call__(self, at: Segments, message: str, *, keyed: bool = True) -> None: ...


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config, located precisely enough to fix without hunting."""

    where: str  # 'feed "name"', "feeds[2] (line 14)", "[server]", or "" for the whole file
    key: str  # dotted key within ``where``, or "" when the message names its own keys
    message: str

    def __str__(self) -> str:
        return ": ".join(part for part in (self.where, self.key, self.message) if part)


class ConfigError(Exception):
    """Every problem found in a config file, rendered for the person who has to fix it."""

    def __init__(
        self, problems: Iterable[Problem], source: Path | None = None, summary: str | None = None
    ) -> None:
        self.problems = list(problems)
        self.source = source
        self.summary = summary or ("invalid config" + (f" {source}" if source else ""))
        super().__init__(self.render())

    def render(self) -> str:
        """The message a user sees: a summary line, then one indented line per problem."""
        count = f" ({len(self.problems)} problems)" if len(self.problems) > 1 else ""
        lines = [f"{self.summary}{count}:"]
        lines += ["  " + str(problem).replace("\n", "\n    ") for problem in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()
