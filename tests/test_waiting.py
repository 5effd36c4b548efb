"""The one "wait until" helper: it returns what it waited for, and a timeout says what."""

from __future__ import annotations

import pytest

from tests.waiting import wait_until, wait_until_blocking


async def test_returns_the_first_truthy_result() -> None:
    calls: list[int] = []

    def third_call() -> list[int] | None:
        calls.append(len(calls))
        return calls if len(calls) == 3 else None

    assert await wait_until(third_call) == [0, 1, 2]


async def test_awaits_a_coroutine_check() -> None:
    async def ready() -> str:
        return "ready"

    assert await wait_until(ready) == "ready"


async def test_a_timeout_names_the_lambdas_condition() -> None:
    connections = 1
    with pytest.raises(AssertionError) as failure:
        await wait_until(lambda: connections == 2, timeout=0.05)
    assert str(failure.value) == "waited 0.05s for connections == 2"


async def test_a_timeout_shows_the_last_result_and_the_message() -> None:
    seen = ["connected"]
    with pytest.raises(AssertionError) as failure:
        await wait_until(
            lambda: [e for e in seen if e == "stale"],
            timeout=0.05,
            message=lambda: f"a stale event; saw {seen}",
        )
    assert str(failure.value) == (
        "waited 0.05s for a stale event; saw ['connected']\nthe check last returned []"
    )


def test_the_blocking_twin_waits_the_same_way() -> None:
    polls = iter(range(10))
    assert wait_until_blocking(lambda: next(polls) >= 2, interval=0.001) is True
    with pytest.raises(AssertionError) as failure:
        wait_until_blocking(lambda: False, timeout=0.01, interval=0.001, message="the screen")
    assert str(failure.value) == "waited 0.01s for the screen"


async def test_a_lambda_over_several_lines_is_quoted_on_one() -> None:
    state = {"first feed": "stale", "second feed": "live"}
    with pytest.raises(AssertionError) as failure:
        await wait_until(
            lambda: (
                state["first feed"] == "live"
                and all(value == "live" for value in state.values())
                and len(state) == 2
            ),
            timeout=0.01,
        )
    assert str(failure.value) == (
        'waited 0.01s for state["first feed"] == "live" and all(value == "live" for value in '
        "state.values()) and len(state) == 2"
    )
