"""The ``feedwatch`` command line: the entry point that wires config, engine and outputs."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from feedwatch import __version__
from feedwatch.config.loader import MAX_REFRESH_HZ, ConfigError, load_config
from feedwatch.config.model import Config, HistoryConfig, UiConfig
from feedwatch.config.paths import default_config_path, state_dir
from feedwatch.engine.redact import (
    RedactingFormatter,
    RedactingStream,
    config_secrets,
    install_crash_redaction,
)

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_USAGE = 2
# `feedwatch check` is a Nagios plugin: a check that cannot run is UNKNOWN, not CRITICAL.
EXIT_CHECK_UNKNOWN = 3

log = logging.getLogger("feedwatch")

DEMO_HISTORY = "demo-history.db"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit with a chosen status."""

    def __init__(self, *args: Any, usage_status: int = EXIT_USAGE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.usage_status = usage_status

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        if self.usage_status == EXIT_CHECK_UNKNOWN:
            print(f"FEEDWATCH UNKNOWN - {message}")  # the line a monitoring system shows
        self.exit(self.usage_status, f"{self.prog}: error: {message}\n")


def _parser() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=f"config file (default: {default_config_path()})",
    )
    common.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="how much to log on stderr (default: info)",
    )
    running = _Parser(add_help=False)
    running.add_argument(
        "--headless",
        action="store_true",
        help="no dashboard: JSON lines on stdout, logs on stderr",
    )
    running.add_argument(
        "--no-mouse",
        dest="mouse",
        action="store_false",
        default=None,
        help="no mouse tracking: the terminal selects text as usual (also [ui] mouse = false)",
    )
    running.add_argument(
        "--refresh",
        metavar="HZ",
        help=f"dashboard refreshes a second, above 0 and at most {MAX_REFRESH_HZ:g} "
        "(overrides [ui] refresh_hz)",
    )
    running.add_argument(
        "--low-bandwidth",
        action="store_true",
        default=None,
        help="for mosh or ssh on a poor link: 1 refresh a second, still sparklines, "
        "ASCII glyphs (also [ui] low_bandwidth = true)",
    )

    parser = _Parser(
        prog="feedwatch",
        description="Watch long-lived streaming feeds and say at once when data stops.",
        parents=[common, running],
    )
    parser.add_argument("--version", action="version", version=f"feedwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.add_parser(
        "demo",
        parents=[common, running],
        help="run the built-in simulated feeds on 127.0.0.1 and watch them",
    )
    sub.add_parser(
        "init",
        parents=[common],
        help="write a commented starter config (never overwrites)",
    )
    sub.add_parser(
        "check-config",
        parents=[common],
        help="validate a config file; exit 0 if valid, 2 if not",
    )
    check = sub.add_parser(
        "check",
        parents=[common],
        usage_status=EXIT_CHECK_UNKNOWN,
        help="connect to each feed once and wait for data; a Nagios plugin (exit 0/1/2/3)",
        description=(
            "Connect to each feed at once, subscribe, and wait for a data message for the "
            "feed's stale_after or --timeout, whichever is shorter. Prints a Nagios status "
            "line with perfdata, then one line per feed. Exit 0 OK: every feed delivered "
            "data; 1 WARNING: one only in the second half of its window; 2 CRITICAL: one "
            "delivered no data (could not connect, closed, or only heartbeats); 3 UNKNOWN: "
            "the check could not run (bad config, unknown feed)."
        ),
    )
    check.add_argument(
        "--feed",
        action="append",
        metavar="NAME",
        help="check only this feed (repeat for more; default: every feed)",
    )
    check.add_argument(
        "--timeout",
        default="30s",
        metavar="DURATION",
        help='the longest wait for any feed, like "30s" or "1m" (default: 30s)',
    )
    _add_history_commands(sub, common)
    _add_presets_command(sub)
    return parser


def _add_presets_command(sub: argparse._SubParsersAction[_Parser]) -> None:
    presets = sub.add_parser(
        "presets",
        help="list the exchange presets, or show the [[feeds]] table one stands for",
        description='List exchange presets for preset = "NAME" in a [[feeds]] table.',
    )
    actions = presets.add_subparsers(dest="preset_action", metavar="ACTION", parser_class=_Parser)
    show = actions.add_parser("show", help="print the expanded [[feeds]] table of a preset")
    show.add_argument("name", metavar="NAME")
    show.add_argument(
        "--symbols",
        metavar="A,B",
        help="comma-separated symbols (default: the preset's examples)",
    )


def _add_history_commands(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    helps = {
        "history": ("24h", "print recorded events, oldest first"),
        "incidents": ("7d", "print stale, partial and down periods, with their durations"),
        "uptime": ("7d", "print each feed's uptime: live time over watched time"),
    }
    for name, (since, text) in helps.items():
        command = sub.add_parser(name, parents=[common], help=text, description=text.capitalize())
        command.add_argument("--feed", metavar="NAME", help="only this feed (default: every feed)")
        command.add_argument(
            "--since",
            default=since,
            metavar="DURATION",
            help=f'how far back, like "90m", "24h" or "7d" (default: {since})',
        )
        source = command.add_mutually_exclusive_group()
        source.add_argument(
            "--demo",
            action="store_true",
            help=f"read the history `feedwatch demo` records ({DEMO_HISTORY} in the state dir)",
        )
        source.add_argument(
            "--history",
            type=Path,
            metavar="PATH",
            help="read this history file (default: the one the config records to)",
        )
        if name != "uptime":
            command.add_argument(
                "--json",
                action="store_true",
                help="one JSON object per line"
                + (" (the headless event shape)" if name == "history" else ""),
            )


def _setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    # Masks the config's secrets once they are known (install_crash_redaction).
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)-7s %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Library chatter (handshake retries, aiohttp access) is not for users.
    logging.getLogger("websockets").setLevel(logging.WARNING)
    logging.getLogger("aiohttp").setLevel(logging.WARNING)


def _load(path: Path) -> Config | None:
    """The config, or None once its problems are on stderr; its warnings go there too."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(f"feedwatch: {exc}", file=sys.stderr)
        return None
    for warning in config.warnings:
        print(f"feedwatch: warning: {warning}", file=sys.stderr)
    return config


def _cmd_init(path: Path | None) -> int:
    from feedwatch.config.starter import write_starter_config

    target = path or default_config_path()
    try:
        written = write_starter_config(target)
    except FileExistsError:
        print(
            f"feedwatch: {target} already exists; not overwriting it.\n"
            f"  Edit it, or check it with: feedwatch check-config --config {target}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except OSError as exc:
        print(f"feedwatch: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"wrote {written}")
    print(f"edit it, then run: feedwatch --config {written}")
    return EXIT_OK


def _cmd_presets(args: argparse.Namespace) -> int:
    from feedwatch.config.presets import PRESETS, unknown_preset
    from feedwatch.config.presets.render import expanded_toml, preset_list

    if args.preset_action is None:
        print(preset_list())
        return EXIT_OK
    preset = PRESETS.get(args.name)
    if preset is None:
        print(f"feedwatch: {unknown_preset(args.name)}", file=sys.stderr)
        return EXIT_USAGE
    symbols = [s.strip() for s in (args.symbols or "").split(",") if s.strip()]
    print(expanded_toml(preset, symbols), end="")
    return EXIT_OK


def _cmd_check_config(path: Path | None) -> int:
    target = path or default_config_path()
    config = _load(target)
    if config is None:
        return EXIT_CONFIG
    names = ", ".join(f.name for f in config.feeds)
    print(
        f"{target}: OK ({len(config.feeds)} feed{'s' if len(config.feeds) != 1 else ''}: {names})"
    )
    return EXIT_OK


def _cmd_check(path: Path | None, names: list[str] | None, timeout: str) -> int:
    from feedwatch.check import run_check, unknown

    try:
        status, report = asyncio.run(run_check(path or default_config_path(), names, timeout))
    except Exception as exc:  # a crash would exit 1, which Nagios reads as WARNING
        log.exception("check failed")
        status, report = unknown(f"internal error: {type(exc).__name__}: {exc}")
    print(report)
    return status


def _cmd_history(parser: _Parser, args: argparse.Namespace) -> int:
    from feedwatch.config.durations import parse_duration
    from feedwatch.history import cli_reports

    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        parser.error(f"--since: {exc}")
    feeds: tuple[str, ...] = ()
    if args.demo or args.history is not None:
        if args.config is not None:
            parser.error(f"--config cannot be used with {'--demo' if args.demo else '--history'}")
        history = HistoryConfig(path=demo_history_path() if args.demo else args.history)
    elif args.config is None and not default_config_path().exists():
        history = HistoryConfig()  # no config: the default history file
    else:
        config = _load(args.config or default_config_path())
        if config is None:
            return EXIT_CONFIG
        history, feeds = config.history, tuple(f.name for f in config.feeds)
    demo = demo_history_path()
    hint = ""
    if not args.demo and history.path != demo and demo.exists():
        hint = (
            f"  `feedwatch demo` recorded to {demo}: "
            f"read it with `feedwatch {args.command} --demo`\n"
        )
    return cli_reports.run(
        args.command,
        history,
        since_seconds=since,
        feed=args.feed,
        as_json=getattr(args, "json", False),
        feeds=feeds,
        hint=hint,
    )


def demo_history_path() -> Path:
    """Where ``feedwatch demo`` records, apart from the history of real feeds."""
    return state_dir() / DEMO_HISTORY


# Low-bandwidth mode refreshes at most this often, unless --refresh says otherwise.
LOW_BANDWIDTH_HZ = 1.0


def _ui_changes(parser: _Parser, args: argparse.Namespace) -> dict[str, Any]:
    """The [ui] settings the command line overrides; a bad --refresh is a usage error."""
    changes: dict[str, Any] = {}
    if args.mouse is not None:
        changes["mouse"] = args.mouse
    if args.low_bandwidth:
        changes["low_bandwidth"] = True
    if args.refresh is not None:
        try:
            hz = float(args.refresh)
        except ValueError:
            hz = math.nan
        if not 0 < hz <= MAX_REFRESH_HZ:  # NaN and inf fail too
            parser.error(
                f"--refresh: expected refreshes a second, a number above 0 and at most "
                f"{MAX_REFRESH_HZ:g}, found {args.refresh!r}"
            )
        changes["refresh_hz"] = hz
    return changes


def dashboard_refresh_hz(ui: UiConfig, from_command_line: bool) -> float:
    """The rate the dashboard samples at: --refresh as given; low-bandwidth mode holds the
    config's rate to at most 1 Hz."""
    if ui.low_bandwidth and not from_command_line:
        return min(ui.refresh_hz, LOW_BANDWIDTH_HZ)
    return ui.refresh_hz


def _run_demo(headless: bool, notice: str | None = None, ui: dict[str, Any] | None = None) -> int:
    from feedwatch.demo.background import BackgroundSimulator
    from feedwatch.demo.feeds import demo_config

    with BackgroundSimulator() as sim:
        # The simulated feeds keep a history of their own, apart from real ones.
        config = replace(demo_config(sim), history=HistoryConfig(path=demo_history_path()))
        return _run(config, headless, notice, ui)


def _run(
    config: Config, headless: bool, notice: str | None = None, ui: dict[str, Any] | None = None
) -> int:
    from feedwatch.runtime import Runtime

    ui = ui or {}
    config = replace(config, ui=replace(config.ui, **ui))
    refresh_hz = dashboard_refresh_hz(config.ui, "refresh_hz" in ui)
    secrets = config_secrets(config)
    install_crash_redaction(secrets)  # logs and any traceback mask them from here on
    runtime = Runtime(config)
    if headless:
        from feedwatch.headless import run_headless

        return asyncio.run(run_headless(runtime, sys.stdout))
    from rich.console import Console

    from feedwatch.tui.factory import build_app

    runtime.open()  # history problems are said on stderr, before the UI takes the terminal
    # The dashboard owns the terminal: keep log lines from tearing through it.
    logging.getLogger().handlers[:] = [logging.NullHandler()]
    app = build_app(
        config,
        runtime=runtime,
        refresh_hz=refresh_hz,
        notice=notice,
        low_bandwidth=config.ui.low_bandwidth,
    )
    # Textual prints a crash with its locals: through a stream that masks the secrets.
    masked = RedactingStream(sys.__stderr__ or sys.stderr, secrets)
    app.error_console = Console(markup=False, highlight=False, file=cast(TextIO, masked))
    try:
        app.run(mouse=config.ui.mouse)
    finally:
        runtime.close_history()  # after the engine stopped: its last events are kept
    if app.start_failure is not None:
        print(f"feedwatch: {app.start_failure}", file=sys.stderr)
    return app.return_code or EXIT_OK


def _stderr_redirected() -> bool:
    """Textual draws on stderr: a terminal on stdout with stderr sent elsewhere is blank."""
    try:
        return sys.stdout.isatty() and not sys.stderr.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run; returns the process exit status."""
    parser = _parser()
    args, unrecognized = parser.parse_known_args(argv)
    if unrecognized:
        if args.command == "check":
            parser.usage_status = EXIT_CHECK_UNKNOWN
        parser.error(f"unrecognized arguments: {' '.join(unrecognized)}")
    _setup_logging(args.log_level)
    if args.command == "init":
        return _cmd_init(args.config)
    if args.command == "check-config":
        return _cmd_check_config(args.config)
    if args.command == "check":
        return _cmd_check(args.config, args.feed, args.timeout)
    if args.command == "presets":
        return _cmd_presets(args)
    if args.command in ("history", "incidents", "uptime"):
        return _cmd_history(parser, args)
    ui = _ui_changes(parser, args)
    if not args.headless and _stderr_redirected():
        message = (
            "feedwatch: the dashboard draws on stderr, and stderr is not a terminal here "
            "(redirected, as with 2>file), so the screen would stay blank. Run it without "
            "redirecting stderr, or use --headless for JSON lines on stdout and logs on stderr "
            "(feedwatch --headless 2>feedwatch.log)."
        )
        print(message, file=sys.stdout)  # the terminal the user is looking at
        print(message, file=sys.stderr)  # and the file they will look in
        return EXIT_USAGE
    try:
        if args.command == "demo":
            return _run_demo(args.headless, ui=ui)
        if args.config is None and not default_config_path().exists():
            if args.headless:  # a service started without its config must fail, not look green
                print(
                    f"feedwatch: no config at {default_config_path()}; write one with "
                    "`feedwatch init`, or watch the simulated demo feeds with "
                    "`feedwatch demo --headless`",
                    file=sys.stderr,
                )
                return EXIT_CONFIG
            notice = (
                f"No config at {default_config_path()}: showing the built-in demo feeds. "
                "Create a config with `feedwatch init`, or pass --config PATH."
            )
            log.warning("%s", notice)
            return _run_demo(args.headless, notice, ui)
        config = _load(args.config or default_config_path())
        if config is None:
            return EXIT_CONFIG
        # Already on stderr; the dashboard, which hides stderr, shows it as a notification.
        warnings = "\n".join(config.warnings) or None
        return _run(config, args.headless, warnings, ui)
    except KeyboardInterrupt:
        return EXIT_OK
