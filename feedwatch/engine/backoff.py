"""Reconnect delays: exponential, jittered, and reset only by proven stability.

A server that accepts and drops at once must not be hammered, so a connection
counts as healthy only after it has delivered data for ``stable_after``.
"""

from __future__ import annotations

import random

from feedwatch.config.model import BackoffSpec

# Each delay is drawn from [JITTER_FLOOR * d, d] ("equal jitter"): spread out
# enough that many feeds do not reconnect in lockstep, never near zero.
JITTER_FLOOR = 0.5


class Backoff:
    """Delays for attempt 0, 1, 2...: ``initial * 2**n`` capped at ``max``, jittered."""

    def __init__(self, spec: BackoffSpec, rng: random.Random | None = None) -> None:
        self.spec = spec
        self.attempt = 0
        self._rng = rng or random.Random()

    def ceiling(self, attempt: int) -> float:
        """The un-jittered delay for an attempt number."""
        if attempt >= 64:
            return self.spec.max
        return min(self.spec.max, self.spec.initial * (2.0**attempt))

    def next_delay(self) -> float:
        """The delay before the next attempt; each call moves one step up."""
        ceiling = self.ceiling(self.attempt)
        self.attempt += 1
        return self._rng.uniform(JITTER_FLOOR * ceiling, ceiling)

    def jump_to_max(self) -> float:
        """For failures that waiting will not fix soon (401, 403, 404)."""
        self.attempt = max(self.attempt, 64)
        return self._rng.uniform(JITTER_FLOOR * self.spec.max, self.spec.max)

    def reset(self) -> None:
        self.attempt = 0
