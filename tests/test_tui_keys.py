"""Every key of the dashboard, pressed through Textual's pilot.

Keys that act on a connection (r, R, p) run against a real engine watching real local
servers, and each test asserts the server saw it. The other keys act on the screen or on
the engine's state, so they run on the scripted engine on a fake clock that the snapshot
tests use (tests/tui_scenario.py): each test asserts what the user would see, and time
moves only when the test moves it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from feedwatch.config.loader import load_config
from feedwatch.config.model import Config
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.events import EventKind
from feedwatch.tui.app import FeedwatchApp
from feedwatch.tui.factory import build_app
from feedwatch.tui.screens.detail import DetailScreen
from feedwatch.tui.screens.help import HelpScreen
from feedwatch.tui.screens.threshold import ThresholdDialog
from tests.live import feed
from tests.tui_scenario import scripted_app
from tests.waiting import wait_until

SIZE = (120, 30)

# -- keys that act on a connection: a real engine, real local servers ----------------


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=21) as simulator:
        simulator.add("/alpha", Ticker(rate=30, require_subscribe=False))
        simulator.add("/beta", Ticker(rate=30, require_subscribe=False))
        yield simulator


def make_app(sim: Simulator) -> FeedwatchApp:
    config = Config(
        feeds=(
            feed("alpha", sim.url("/alpha"), stale_after=2.0),
            feed("beta", sim.url("/beta"), stale_after=4.0),
        )
    )
    return build_app(config, refresh_hz=20)


async def live(app: FeedwatchApp) -> None:
    await wait_until(lambda: all(str(s.state) == "live" for s in app.view.snapshot()))


async def test_r_reconnects_the_selected_feed(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await live(app)
        await pilot.press("down", "r")
        await wait_until(lambda: sim.stats("/beta").connections == 2)
        assert sim.stats("/alpha").connections == 1
        assert app.view.feed_snapshot("beta").reconnects == 1


async def test_shift_r_reconnects_every_feed(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await live(app)
        await pilot.press("R")
        await wait_until(
            lambda: sim.stats("/alpha").connections == 2 and sim.stats("/beta").connections == 2
        )


async def test_p_pauses_and_resumes_the_selected_feed(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await live(app)
        await pilot.press("p")
        assert str(app.view.feed_snapshot("alpha").state) == "paused"
        await wait_until(lambda: sim.stats("/alpha").open_connections == 0)
        await pilot.press("p")
        await wait_until(lambda: str(app.view.feed_snapshot("alpha").state) == "live")
        assert sim.stats("/alpha").connections == 2


# -- every other key: the scripted engine on a fake clock ---------------------------
# Its rows: binance-btcusdt (live, 5s), coinbase-eth (stale, 30s), okx-multiplex (live)
# with channels btc, eth and sol (stale), kraken-book (backoff), bybit-linear (storm),
# greenhouse-iot (paused), deribit-perp (connecting).


def state_shown(app: FeedwatchApp, feed: str) -> str:
    """The State cell of a feed's row, as drawn."""
    return app.table.cell_text(app.table.row_keys.index(feed), "state")


def palette_options(app: FeedwatchApp) -> list[str]:
    """The command palette's results, by their first line."""
    results = app.screen.query_one(CommandList)
    prompts = (results.get_option_at_index(i).prompt for i in range(results.option_count))
    return [str(prompt).splitlines()[0] for prompt in prompts]


async def test_down_up_j_k_move_the_selection() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.table.selected_feed == "binance-btcusdt"
        await pilot.press("down")
        assert app.table.selected_feed == "coinbase-eth"
        await pilot.press("up")
        assert app.table.selected_feed == "binance-btcusdt"
        await pilot.press("j")
        assert app.table.selected_feed == "coinbase-eth"
        await pilot.press("k")
        assert app.table.selected_feed == "binance-btcusdt"


async def test_plus_and_minus_step_the_threshold_live() -> None:
    app = scripted_app()
    clock = app.view.clock
    assert isinstance(clock, FakeClock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        assert app.view.feed_snapshot("binance-btcusdt").stale_after == 10.0
        await pilot.press("minus", "minus")
        assert app.view.feed_snapshot("binance-btcusdt").stale_after == 3.0
        changes = [e for e in app.view.recent_events() if e.kind is EventKind.THRESHOLD_CHANGED]
        assert [e.fields["new_seconds"] for e in changes] == [10.0, 5.0, 3.0]
        assert app.changed_thresholds == {"binance-btcusdt": 3.0}
        # Live: the deadline moved with the threshold, so 3 s of silence is stale now.
        age = app.view.feed_snapshot("binance-btcusdt").last_data_age
        assert age is not None
        clock.advance(3.0 - age - 0.01)
        app.tick()
        assert state_shown(app, "binance-btcusdt") == "● live"
        clock.advance(0.02)
        app.tick()
        assert state_shown(app, "binance-btcusdt") == "✖ stale"


async def test_t_sets_an_exact_threshold_and_rejects_nonsense() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "t")
        await pilot.pause()
        assert isinstance(app.screen, ThresholdDialog)
        box = app.screen.query_one(Input)
        assert box.value == "30s"  # starts from the current threshold
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
        assert app.view.feed_snapshot("coinbase-eth").stale_after == 90.0


async def test_escape_cancels_the_threshold_dialog() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ThresholdDialog)
        assert app.view.feed_snapshot("binance-btcusdt").stale_after == 5.0


async def test_ctrl_s_writes_changed_thresholds_keeping_comments(tmp_path: Path) -> None:
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        "# my feeds\n"
        "[[feeds]]\n"
        'name = "alpha"  # the main one\n'
        'url = "wss://example.invalid/alpha"\n'
        'stale_after = "2s"  # tuned by hand\n'
    )
    app = build_app(load_config(path), clock=FakeClock(), start_engine=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", "ctrl+s")
        await wait_until(lambda: not app.changed_thresholds, message="the thresholds saved")
    text = path.read_text()
    assert 'stale_after = "3s"  # tuned by hand' in text  # the next round value, as written
    assert text.startswith("# my feeds\n")
    assert load_config(path).feeds[0].stale_after == 3.0


async def test_enter_opens_details_and_escape_goes_back() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.feed_name == "coinbase-eth"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DetailScreen)


async def test_slash_filters_feeds_by_name() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"kraken")
        await pilot.pause()
        assert app.table.row_keys == ["kraken-book"]
        assert app.table.selected_feed == "kraken-book"
        await pilot.press("escape")
        await pilot.pause()
        assert app.table.row_count == 10  # seven feeds and okx-multiplex's three channels


async def test_s_cycles_the_sort() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")  # by state: worst first, paused feeds last
        await pilot.pause()
        assert str(app.table.sort_mode) == "state"
        keys = app.table.row_keys
        assert keys.index("coinbase-eth") < keys.index("binance-btcusdt")
        assert keys[-1] == "greenhouse-iot"
        await pilot.press("s", "s")
        assert str(app.table.sort_mode) == "config order"


async def test_l_toggles_the_log_and_f_makes_it_follow_the_selection() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.event_log.display
        await pilot.press("l")
        await pilot.pause()
        assert not app.event_log.display
        await pilot.press("l", "down", "f")
        await pilot.pause()
        assert app.event_log.follow == "coinbase-eth"
        lines = "\n".join(line.text for line in app.event_log.lines)
        assert "coinbase-eth: connected" in lines
        assert "coinbase-eth: stale" in lines
        assert "binance-btcusdt" not in lines


async def test_shift_t_opens_the_theme_picker() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_question_mark_shows_every_key() -> None:
    app = scripted_app()
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


async def test_q_quits() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)


async def test_the_palette_offers_per_feed_commands() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"coinbase-eth")
        wanted = ["Reconnect coinbase-eth", "Pause or resume coinbase-eth",
                  "Show details of coinbase-eth", "Set threshold of coinbase-eth"]  # fmt: skip
        options = await wait_until(
            lambda: set(wanted) <= set(palette_options(app)) and palette_options(app),
            message=lambda: f"the four actions on coinbase-eth; offered {palette_options(app)}",
        )
        # Choosing one acts on that feed: its row shows the new state.
        steps = options.index("Pause or resume coinbase-eth")
        await pilot.press(*["down"] * steps, "enter")
        await pilot.pause()
        assert not isinstance(app.screen, CommandPalette)
        assert state_shown(app, "coinbase-eth") == "‖ paused"


async def test_ctrl_c_quits_at_once() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code in (0, None)


async def test_q_and_escape_leave_a_detail_view_and_q_then_quits() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        for back in ("q", "escape"):
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen)
            await pilot.press(back)
            await pilot.pause()
            assert not isinstance(app.screen, DetailScreen)
            assert app.is_running
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


@pytest.mark.parametrize(("first", "last"), [("g", "G"), ("home", "end")])
async def test_g_and_shift_g_home_and_end_go_to_the_first_and_last_row(
    first: str, last: str
) -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", last)
        assert app.table.cursor_row == app.table.row_count - 1
        await pilot.press(first)
        assert app.table.cursor_row == 0


async def test_help_and_quit_are_in_the_footer_at_80x24() -> None:
    app = scripted_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = {key.key: key for key in app.screen.query(FooterKey)}
        palette = keys.pop("ctrl+p")
        shown = [key for key, widget in keys.items() if widget.region.right <= palette.region.x]
        assert shown[:2] == ["question_mark", "q"]
        await pilot.press("question_mark")
        await pilot.pause()
        dialog = app.screen.query_one("#help-dialog")
        assert dialog.max_scroll_y > 0  # cut at 80x24: it scrolls, and says so
        assert "scroll" in str(dialog.border_subtitle)


async def test_many_threshold_steps_show_one_notification_with_the_latest_value() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*["plus"] * 25)
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        # Up to the auto_max of 1h, then refusals: one notification, the last word.
        assert notes == ["binance-btcusdt: stale_after stays 1h: 2h is above auto_max (1h) "
                         "(t types any value)"]  # fmt: skip
        await pilot.press("down", "minus")  # another feed: a notification of its own
        await pilot.pause()
        assert len(list(app._notifications)) == 2


def select(app: FeedwatchApp, feed: str) -> None:
    app.table.select_row(app.table.row_keys.index(feed))


async def test_plus_and_minus_refuse_values_below_the_typical_gap_or_above_auto_max() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        select(app, "greenhouse-iot")  # a message every 5 s; stale_after 10m
        await pilot.press(*["minus"] * 12)
        await pilot.pause()
        assert app.view.feed_snapshot("greenhouse-iot").stale_after == 5.0
        (note,) = [n for n in app._notifications]
        assert note.message.startswith("greenhouse-iot: stale_after stays 5s: 3s is below the "
                                       "feed's typical gap (p50 5s)")  # fmt: skip
        assert note.severity == "warning"
        select(app, "bybit-linear")  # 5m, under the default auto_max of 1h
        await pilot.press(*["plus"] * 6)
        await pilot.pause()
        assert app.view.feed_snapshot("bybit-linear").stale_after == 3600.0
        notes = {n.message.split(":")[0]: n.message for n in app._notifications}
        assert "2h is above auto_max (1h)" in notes["bybit-linear"]


async def test_t_warns_outside_the_bounds_and_applies_on_a_second_enter() -> None:
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        select(app, "greenhouse-iot")
        await pilot.press("t")
        await pilot.pause()
        box = app.screen.query_one(Input)
        box.value = ""
        await pilot.press(*"1s", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ThresholdDialog)  # asked, not applied
        hint = str(app.screen.query_one("#threshold-hint").render())
        assert "1s is below the feed's typical gap (p50 5s)" in hint
        assert "Enter again to apply it anyway" in hint
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ThresholdDialog)
        assert app.view.feed_snapshot("greenhouse-iot").stale_after == 1.0


async def test_a_screenshot_is_saved_in_the_current_directory_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a fresh box: no ~/Downloads
    app = scripted_app()
    async with app.run_test(size=SIZE) as pilot:
        app.deliver_screenshot()
        await wait_until(lambda: any(n.title == "Screenshot" for n in app._notifications))
        (saved,) = tmp_path.glob("*.svg")
        (note,) = [n for n in app._notifications if n.title == "Screenshot"]
        assert note.message == f"Saved to {saved}"
        assert "<svg" in saved.read_text()
        await pilot.pause()


async def test_a_screenshot_that_cannot_be_saved_says_where_and_why(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app = scripted_app()
    async with app.run_test(size=SIZE):
        app.deliver_screenshot("shot.svg", str(blocker))
        await wait_until(lambda: any(n.title == "Screenshot" for n in app._notifications))
        (note,) = [n for n in app._notifications if n.title == "Screenshot"]
        assert note.message == f"Not saved to {blocker / 'shot.svg'}: Not a directory"
        assert note.severity == "error"
