"""Every key of the dashboard, pressed through Textual's pilot against a real engine
watching real local servers: each test asserts the engine (or the server) saw it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Input

from feedwatch.config.loader import load_config
from feedwatch.config.model import Config
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.events import EventKind
from feedwatch.tui.app import FeedwatchApp
from feedwatch.tui.factory import build_app
from feedwatch.tui.screens.help import HelpScreen
from feedwatch.tui.screens.threshold import ThresholdDialog
from tests.live import feed
from tests.waiting import wait_until

SIZE = (120, 30)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=21) as simulator:
        simulator.add("/alpha", Ticker(rate=30, require_subscribe=False))
        simulator.add("/beta", Ticker(rate=30, require_subscribe=False))
        yield simulator


def make_app(sim: Simulator, **kwargs: object) -> FeedwatchApp:
    config = Config(
        feeds=(
            feed("alpha", sim.url("/alpha"), stale_after=2.0),
            feed("beta", sim.url("/beta"), stale_after=4.0),
        )
    )
    return build_app(config, refresh_hz=20, **kwargs)  # type: ignore[arg-type]


async def live(app: FeedwatchApp) -> None:
    await wait_until(lambda: all(str(s.state) == "live" for s in app.engine.snapshot()))


async def test_down_up_j_k_move_the_selection(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.table.selected_feed == "alpha"
        await pilot.press("down")
        assert app.table.selected_feed == "beta"
        await pilot.press("up")
        assert app.table.selected_feed == "alpha"
        await pilot.press("j")
        assert app.table.selected_feed == "beta"
        await pilot.press("k")
        assert app.table.selected_feed == "alpha"


async def test_r_reconnects_the_selected_feed(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await live(app)
        await pilot.press("down", "r")
        await wait_until(lambda: sim.stats("/beta").connections == 2)
        assert sim.stats("/alpha").connections == 1
        assert app.engine.feed_snapshot("beta").reconnects == 1


async def test_shift_r_reconnects_every_feed(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await live(app)
        await pilot.press("R")
        await wait_until(
            lambda: sim.stats("/alpha").connections == 2 and sim.stats("/beta").connections == 2
        )


async def test_plus_and_minus_step_the_threshold_live(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        assert app.engine.feed_snapshot("alpha").stale_after == 2.5
        await pilot.press("minus", "minus")
        assert app.engine.feed_snapshot("alpha").stale_after == pytest.approx(1.6)
        changes = [e for e in app.engine.bus.recent if e.kind is EventKind.THRESHOLD_CHANGED]
        assert [e.fields["new_seconds"] for e in changes] == [2.5, 2.0, 1.6]
        assert app.changed_thresholds == {"alpha": 1.6}


async def test_t_sets_an_exact_threshold_and_rejects_nonsense(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "t")
        await pilot.pause()
        assert isinstance(app.screen, ThresholdDialog)
        box = app.screen.query_one(Input)
        assert box.value == "4s"  # starts from the current threshold
        box.value = ""
        await pilot.press(*"soon", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ThresholdDialog)  # still open: not a duration
        hint = str(app.screen.query_one("#threshold-hint").render())
        assert "duration" in hint
        box.value = ""
        await pilot.press(*"90s", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, ThresholdDialog)
        assert app.engine.feed_snapshot("beta").stale_after == 90.0


async def test_escape_cancels_the_threshold_dialog(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ThresholdDialog)
        assert app.engine.feed_snapshot("alpha").stale_after == 2.0


async def test_ctrl_s_writes_changed_thresholds_keeping_comments(
    sim: Simulator, tmp_path: Path
) -> None:
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        "# my feeds\n"
        "[[feeds]]\n"
        'name = "alpha"  # the main one\n'
        f'url = "{sim.url("/alpha")}"\n'
        'stale_after = "2s"  # tuned by hand\n'
    )
    app = build_app(load_config(path), refresh_hz=20)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "ctrl+s")
        await wait_until(lambda: not app.changed_thresholds)
    text = path.read_text()
    assert 'stale_after = "2.5s"  # tuned by hand' in text
    assert text.startswith("# my feeds\n")
    assert load_config(path).feeds[0].stale_after == 2.5


async def test_p_pauses_and_resumes_the_selected_feed(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await live(app)
        await pilot.press("p")
        assert str(app.engine.feed_snapshot("alpha").state) == "paused"
        await wait_until(lambda: sim.stats("/alpha").open_connections == 0)
        await pilot.press("p")
        await wait_until(lambda: str(app.engine.feed_snapshot("alpha").state) == "live")
        assert sim.stats("/alpha").connections == 2


async def test_enter_opens_details_and_escape_goes_back(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "DetailScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ != "DetailScreen"


async def test_slash_filters_feeds_by_name(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"bet")
        await pilot.pause()
        assert app.table.row_count == 1
        assert app.table.selected_feed == "beta"
        await pilot.press("escape")
        await pilot.pause()
        assert app.table.row_count == 2


async def test_s_cycles_the_sort(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await live(app)
        app.engine.pause("alpha")
        await pilot.press("s")  # by state: paused feeds last
        await pilot.pause()
        assert str(app.table.sort_mode) == "state"
        assert app.table.row_keys == ["beta", "alpha"]
        await pilot.press("s", "s")
        assert str(app.table.sort_mode) == "config order"


async def test_l_toggles_the_log_and_f_makes_it_follow_the_selection(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await live(app)
        assert app.event_log.display
        await pilot.press("l")
        await pilot.pause()
        assert not app.event_log.display
        await pilot.press("l", "down", "f")
        await pilot.pause()
        assert app.event_log.follow == "beta"
        lines = "\n".join(line.text for line in app.event_log.lines)
        assert "beta: connected" in lines
        assert "alpha" not in lines


async def test_shift_t_opens_the_theme_picker(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_question_mark_shows_every_key(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        screen = app.export_screenshot().replace("&#160;", " ")
        for words in ("Reconnect all", "Threshold +", "Set threshold", "Pause", "Filter",
                      "Ctrl+S", "Theme", "Quit"):  # fmt: skip
            assert words in screen
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)


async def test_the_palette_offers_per_feed_commands(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await live(app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"reconnect beta")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(lambda: sim.stats("/beta").connections == 2)
