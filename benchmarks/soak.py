"""Soak: feedwatch runs for half an hour against a busy, faulty simulator, and must not
grow. Not part of the test run (``tests/test_soak_smoke.py`` only keeps it from rotting).

    python benchmarks/soak.py --mode headless --minutes 32
    python benchmarks/soak.py --mode tui --minutes 32 [--rate 300] [--tickers 10]

The simulator runs in its own process (``soak_simulator.py``), so the figures below are
feedwatch's alone. It serves high-rate tickers (some with heartbeats), a multiplexed feed
whose channels die, zombies that stall, a feed that needs app pings, flappers, and junk;
and from a seed it stalls, closes (with various codes), aborts and rejects (503, 429)
one path every ``--fault-every`` seconds, with a storm episode every 150 s. In headless
mode it also scrapes /health and /metrics every 5 s.

The measured process runs the real thing: headless mode is ``run_headless`` (what
``feedwatch --headless`` runs: JSON lines to a file, history, the health server); TUI mode
is the app from ``build_app`` under Textual's ``run_test`` at 160x48, refreshing at its
configured rate, with history. Every ``--sample-every`` seconds it records RSS, open fds,
open sockets, asyncio tasks, threads, pymalloc blocks, the event loop's lag (a callback
due every 100 ms: p99 and max of its lateness per sample), CPU, reconnects and messages.
At the end of warm-up and of the run it counts live Python objects by type (the lag probe
paused meanwhile) and reports what grew; ``--tracemalloc`` adds growth by traceback.

Warm-up is the first 10 % of the run, at least 3 minutes (at most half of a short run).
Verdicts, on the samples after warm-up:
  rss_flat       least-squares RSS slope <= 2 MB/h, or <= 1 %/h of mean RSS if larger
  no_task_leak   median task count of the last third of the samples exceeds the first
                 third's by no more than max(3, 5 %): bounded, not growing with reconnects
  no_fd_leak     the same rule for open fds and for open sockets

Results: ``benchmarks/results/soak-<mode>-<date>.csv`` (samples), ``.json`` (summary)
and ``.md`` (table), unless ``--out PREFIX``. Ctrl-C stops early and still summarises.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import gc
import json
import logging
import math
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from subprocess import PIPE
from typing import Any, TextIO

from soak_simulator import Lineup, feeds

from feedwatch.config.model import Config, HistoryConfig, ServerConfig
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.headless import run_headless
from feedwatch.runtime import Runtime
from feedwatch.tui.app import FeedwatchApp
from feedwatch.tui.factory import build_app

HERE = Path(__file__).resolve().parent
SIMULATOR = HERE / "soak_simulator.py"
RESULTS = HERE / "results"
TUI_SIZE = (160, 48)
RSS_FLAT_MB_PER_H = 2.0
RSS_FLAT_PCT_PER_H = 1.0
LEAK_SLACK, LEAK_SLACK_PCT = 3, 5.0


@dataclass
class Options:
    mode: str = "headless"  # headless | tui
    seconds: float = 1920.0
    lineup: Lineup = field(default_factory=Lineup)
    fault_every: float = 2.0
    sample_every: float = 5.0
    lag_every: float = 0.1
    seed: int = 1
    out: Path | None = None  # a prefix; None: RESULTS / soak-<mode>-<date>
    tracemalloc: bool = False  # also report growth by traceback (slows everything down)
    quiet: bool = False


# -- what is measured -------------------------------------------------------------


@dataclass(slots=True)
class Sample:
    elapsed_s: float
    rss_mb: float
    py_blocks: int
    fds: int
    sockets: int
    tasks: int
    threads: int
    lag_p99_ms: float
    lag_max_ms: float
    reconnects: int
    connects: int
    messages: int
    msgs_per_s: float
    cpu_pct: float
    load1: float
    ui_ticks: int


def _status(name: str) -> int:
    """A number from /proc/self/status (VmRSS is in kB)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


def open_fds() -> tuple[int, int]:
    """Open file descriptors, and how many of them are sockets."""
    fds = sockets = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own fd is gone by now
            sockets += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
            fds += 1
    return fds, sockets


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


class LagProbe:
    """How late a callback due every ``every`` seconds runs: the loop's responsiveness.

    A chain of ``call_at`` callbacks, not a task, so it adds nothing to the task count.
    Lateness is kept per sample window and, for the whole run, in a histogram of two
    significant digits (bounded, so the probe itself cannot grow the RSS).
    """

    def __init__(self, every: float) -> None:
        self.every = every
        self.window: list[float] = []
        self.histogram: Counter[float] = Counter()
        self._loop = asyncio.get_running_loop()
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._due = self._loop.time() + self.every
        self._handle = self._loop.call_at(self._due, self._fire)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def _fire(self) -> None:
        lag = max(0.0, self._loop.time() - self._due)
        self.window.append(lag)
        self.histogram[float(f"{lag * 1000:.2g}")] += 1
        self.start()

    def take_window(self) -> tuple[float, float]:
        """p99 and max lateness (ms) since the last call."""
        lags, self.window = sorted(self.window), []
        if not lags:
            return 0.0, 0.0
        return _ms(lags[math.ceil(0.99 * len(lags)) - 1]), _ms(lags[-1])

    def percentile(self, q: float) -> float:
        """The q-quantile (ms) of every lateness seen."""
        total = sum(self.histogram.values())
        seen = 0
        for lag in sorted(self.histogram):
            seen += self.histogram[lag]
            if seen >= q * total:
                return lag
        return 0.0


class EventTally:
    """Counts the engine's events by kind (a bus listener; bounded)."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()

    def __call__(self, event: Event) -> None:
        self.kinds[event.kind.value] += 1


class LogTally(logging.Handler):
    """Counts log records by level and keeps the first few tracebacks."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.levels: Counter[str] = Counter()
        self.tracebacks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.levels[record.levelname] += 1
        if record.exc_info and len(self.tracebacks) < 10:
            self.tracebacks.append(logging.Formatter().format(record)[-2000:])


class Sampler:
    """Takes a sample every ``every`` seconds and streams it to the CSV file."""

    def __init__(
        self,
        engine: Engine,
        tally: EventTally,
        lag: LagProbe,
        out: TextIO,
        ui_ticks: Callable[[], int],
    ) -> None:
        self.engine = engine
        self.tally = tally
        self.lag = lag
        self.ui_ticks = ui_ticks
        self.rows: list[Sample] = []
        self._writer = csv.writer(out)
        self._out = out
        self._writer.writerow([f.name for f in fields(Sample)])
        self._t0 = time.monotonic()
        self._last = (self._t0, time.process_time(), 0)

    def take(self) -> Sample:
        now, cpu = time.monotonic(), time.process_time()
        snapshot = self.engine.snapshot()
        messages = sum(feed.messages for feed in snapshot)
        then, cpu_then, messages_then = self._last
        wall = max(now - then, 1e-9)
        self._last = (now, cpu, messages)
        fds, sockets = open_fds()
        p99, worst = self.lag.take_window()
        row = Sample(
            elapsed_s=round(now - self._t0, 2),
            rss_mb=round(_status("VmRSS") / 1024, 2),
            py_blocks=sys.getallocatedblocks(),
            fds=fds,
            sockets=sockets,
            tasks=len(asyncio.all_tasks()),
            threads=_status("Threads"),
            lag_p99_ms=p99,
            lag_max_ms=worst,
            reconnects=sum(feed.reconnects for feed in snapshot),
            connects=self.tally.kinds[EventKind.CONNECTED.value],
            messages=messages,
            msgs_per_s=round((messages - messages_then) / wall, 1),
            cpu_pct=round(100 * (cpu - cpu_then) / wall, 1),
            load1=os.getloadavg()[0],
            ui_ticks=self.ui_ticks(),
        )
        self.rows.append(row)
        self._writer.writerow(asdict(row).values())
        self._out.flush()
        return row


class Growth:
    """What grew between warm-up and the end of sampling: Python objects by type (from
    the garbage collector) and, with ``by_line``, allocations by traceback (tracemalloc)."""

    def __init__(self, by_line: bool) -> None:
        self.by_line = by_line
        self.report: dict[str, list[str]] = {}
        self._lines: tracemalloc.Snapshot | None = None
        self._types: Counter[str] | None = None
        if by_line:
            tracemalloc.start(10)

    def mark(self) -> None:
        self._types = _types()
        if self.by_line:
            self._lines = tracemalloc.take_snapshot()

    def finish(self) -> None:
        if self._types is not None:
            grown = _types()
            grown.subtract(self._types)
            self.report["objects"] = [f"{name}: {n:+d}" for name, n in grown.most_common(20)]
        if self._lines is not None:
            diff = tracemalloc.take_snapshot().compare_to(self._lines, "traceback")
            self.report["tracemalloc"] = [
                "\n".join(stat.traceback.format()[-6:]) + f"\n  {stat}" for stat in diff[:15]
            ]
        if self.by_line:
            tracemalloc.stop()


def _types() -> Counter[str]:
    gc.collect()  # count what is kept, not cyclic garbage that is yet to be collected
    return Counter(type(o).__qualname__ for o in gc.get_objects())


# -- the simulator process ------------------------------------------------------------


class SimulatorProcess:
    """soak_simulator.py in its own session; it stops when its stdin closes."""

    def __init__(self, log_path: Path) -> None:
        self._log_path = log_path
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self, opts: Options, scrape_port: int | None) -> str:
        """Start it and return its base URL."""
        args = [
            f"--rate={opts.lineup.rate}",
            f"--tickers={opts.lineup.tickers}",
            f"--seed={opts.seed}",
            f"--fault-every={opts.fault_every}",
            "--until-stdin-closes",
        ]
        if scrape_port is not None:
            args.append(f"--scrape-port={scrape_port}")
        with open(self._log_path, "wb") as log:
            self._proc = await asyncio.create_subprocess_exec(
                *(sys.executable, str(SIMULATOR), *args),
                stdin=PIPE,
                stdout=PIPE,
                stderr=log,
                start_new_session=True,  # Ctrl-C is for the soak, which then stops it
            )
        assert self._proc.stdout is not None
        async with asyncio.timeout(30):
            line = await self._proc.stdout.readline()
        if not line.startswith(b"ws://"):
            raise RuntimeError(f"simulator did not start: {self._log_path.read_text()[-2000:]}")
        return line.decode().strip()

    async def stop(self) -> dict[str, Any]:
        """Stop it and return what it served and injected."""
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            return {}
        proc.stdin.close()
        try:
            async with asyncio.timeout(15):
                line = await proc.stdout.readline()
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return {"error": "simulator did not stop in 15 s; killed"}
        with contextlib.suppress(ValueError):
            stats: dict[str, Any] = json.loads(line)
            return stats
        return {"error": f"simulator said {line[-500:]!r}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the run --------------------------------------------------------------------------


def warmup_seconds(duration: float) -> float:
    """10 % of the run, at least 3 minutes, at most half the run."""
    return min(max(0.1 * duration, 180.0), 0.5 * duration)


def _process_state() -> dict[str, int]:
    fds, sockets = open_fds()
    others = asyncio.all_tasks() - {asyncio.current_task()}
    return {"fds": fds, "sockets": sockets, "tasks": len(others), "threads": _status("Threads")}


async def run(opts: Options) -> dict[str, Any]:
    """Run one soak and write its results; returns the summary."""
    started = datetime.now().astimezone()
    prefix = opts.out or RESULTS / f"soak-{opts.mode}-{started:%Y%m%d-%H%M%S}"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    saved_logging = (root.handlers[:], root.level)
    logs = LogTally()
    with tempfile.TemporaryDirectory(prefix="feedwatch-soak-") as tmp:
        work = Path(tmp)
        if opts.mode == "headless":
            to_file = logging.FileHandler(work / "feedwatch.log")
            to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
            root.handlers[:] = [to_file, logs]
        else:  # the dashboard owns the terminal: the CLI discards log lines
            root.handlers[:] = [logs]
        root.setLevel(logging.INFO)
        for noisy in ("websockets", "aiohttp"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        try:
            summary = await _soak(opts, work, prefix, logs)
        finally:
            root.handlers[:], _ = saved_logging
            root.setLevel(saved_logging[1])
        summary["files_kb"] = {
            name: round(_size(work / name) / 1024)
            for name in ("history.db", "history.db-wal", "events.jsonl", "feedwatch.log")
        }
        summary["simulator_log"] = (work / "simulator.log").read_text()[-3000:]
    summary["started"] = started.isoformat(timespec="seconds")
    _write(prefix, summary)
    if not opts.quiet:
        print(markdown(summary))
        print(f"\nwrote {prefix}.csv, .json, .md")
    return summary


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def _soak(opts: Options, work: Path, prefix: Path, logs: LogTally) -> dict[str, Any]:
    headless = opts.mode == "headless"
    port = free_port() if headless else None
    simulator = SimulatorProcess(work / "simulator.log")
    base_url = await simulator.start(opts, port)
    config = Config(
        feeds=feeds(base_url, opts.lineup),
        server=ServerConfig(host="127.0.0.1", port=port),
        history=HistoryConfig(path=work / "history.db"),
    )
    runtime = Runtime(config)
    engine = runtime.engine
    tally = EventTally()
    engine.bus.subscribe(tally)
    growth = Growth(opts.tracemalloc)
    before = _process_state()
    finish = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, finish.set)
    app: FeedwatchApp | None = None
    error: str | None = None
    warmup = warmup_seconds(opts.seconds)
    lag = LagProbe(opts.lag_every)
    with open(f"{prefix}.csv", "w") as out:
        sampler = Sampler(engine, tally, lag, out, lambda: app.ticks if app else 0)
        try:
            with open(work / "events.jsonl", "w") as events:
                runner: asyncio.Task[Any]
                if headless:
                    runner = asyncio.create_task(run_headless(runtime, events))
                else:
                    app, tui = _tui(config, runtime, finish)
                    runner = asyncio.create_task(tui)
                error = await _sample_until_done(opts, sampler, runner, finish, growth, warmup)
        finally:
            lag.stop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            await runtime.stop()  # a no-op when the runner stopped it
            simulated = await simulator.stop()
    await asyncio.sleep(0.5)  # let closing transports release their sockets
    gc.collect()
    summary = summarize(sampler.rows, opts, warmup, lag)
    summary.update(
        events=dict(tally.kinds),
        logs={"levels": dict(logs.levels), "tracebacks": logs.tracebacks},
        simulator=simulated,
        process={"before_start": before, "after_stop": _process_state()},
        runner_error=error,
        growth=growth.report,
    )
    return summary


async def _sample_until_done(
    opts: Options,
    sampler: Sampler,
    runner: asyncio.Task[Any],
    finish: asyncio.Event,
    growth: Growth,
    warmup: float,
) -> str | None:
    """Sample until the time is up, Ctrl-C or the runner ends; then stop the runner.
    Returns the runner's error, if it failed."""
    sampler.lag.start()
    sampler.take()
    finished = asyncio.create_task(finish.wait())
    marked = False
    deadline = time.monotonic() + opts.seconds
    while not (finish.is_set() or runner.done()) and time.monotonic() < deadline:
        wait = min(opts.sample_every, max(0.0, deadline - time.monotonic()))
        await asyncio.wait([runner, finished], timeout=wait)
        if finish.is_set() or runner.done():
            break  # stopping: a sample now would show the shutdown, not the soak
        row = sampler.take()
        if not marked and row.elapsed_s >= warmup:
            _unprobed(sampler.lag, growth.mark)
            marked = True
        if not opts.quiet:
            print(_progress(row), flush=True)
    _unprobed(sampler.lag, growth.finish)
    finish.set()
    await finished
    if opts.mode == "headless" and not runner.done():
        runner.cancel()  # run_headless then stops the engine, the server and history
    try:
        await runner
    except asyncio.CancelledError:
        pass
    except Exception as exc:  # reported in the summary; the soak still ends cleanly
        return f"{type(exc).__name__}: {exc}"
    return None


def _unprobed(lag: LagProbe, action: Callable[[], None]) -> None:
    """Run a slow measurement (a walk over every object) without counting it as loop lag."""
    lag.stop()
    action()
    lag.start()


def _tui(
    config: Config, runtime: Runtime, finish: asyncio.Event
) -> tuple[FeedwatchApp, Coroutine[Any, Any, None]]:
    """The dashboard as the CLI builds it, and the coroutine that runs it until ``finish``."""
    app = build_app(config, runtime=runtime, refresh_hz=config.ui.refresh_hz)

    async def run_app() -> None:
        # The app starts the runtime on mount and stops it (history last) on unmount.
        async with app.run_test(headless=True, size=TUI_SIZE):
            await finish.wait()

    return app, run_app()


def _progress(row: Sample) -> str:
    return (
        f"{row.elapsed_s:7.0f}s rss {row.rss_mb:6.1f} MB  fds {row.fds:3d}  "
        f"sockets {row.sockets:3d}  tasks {row.tasks:3d}  lag p99 {row.lag_p99_ms:6.1f} ms  "
        f"reconnects {row.reconnects:5d}  {row.msgs_per_s:7.0f} msg/s  "
        f"cpu {row.cpu_pct:5.1f} %  load {row.load1:.2f}"
    )


# -- the summary ----------------------------------------------------------------------


def _bounded(rows: list[Sample], name: str, at_100: Sample | None) -> dict[str, Any]:
    """Min/max after warm-up, the value near reconnect #100 and at the end, and whether the
    last third's median grew past the first third's by more than the slack."""
    values = [getattr(r, name) for r in rows]
    third = max(1, len(rows) // 3)
    first, last = statistics.median(values[:third]), statistics.median(values[-third:])
    reconnects = [r.reconnects for r in rows]
    per_1000 = None
    if len(set(reconnects)) > 1 and len(set(values)) > 1:
        per_1000 = round(1000 * statistics.linear_regression(reconnects, values).slope, 2)
    return {
        "min": min(values),
        "max": max(values),
        "at_reconnect_100": None if at_100 is None else getattr(at_100, name),
        "end": values[-1],
        "first_third_median": first,
        "last_third_median": last,
        "per_1000_reconnects": per_1000,
        "leak": last - first > max(LEAK_SLACK, first * LEAK_SLACK_PCT / 100),
    }


def _slope_per_hour(rows: list[Sample], name: str) -> float:
    hours = [r.elapsed_s / 3600 for r in rows]
    return statistics.linear_regression(hours, [getattr(r, name) for r in rows]).slope


def summarize(rows: list[Sample], opts: Options, warmup: float, lag: LagProbe) -> dict[str, Any]:
    """The figures and verdicts of a soak, from its samples."""
    first, end = rows[0], rows[-1]
    elapsed = max(end.elapsed_s, 1e-9)
    summary: dict[str, Any] = {
        "mode": opts.mode,
        "planned_seconds": opts.seconds,
        "elapsed_seconds": end.elapsed_s,
        "warmup_seconds": warmup,
        "samples": len(rows),
        "lineup": {**asdict(opts.lineup), "offered_msgs_per_s": opts.lineup.offered_rate},
        "fault_every": opts.fault_every,
        "seed": opts.seed,
        "reconnects": end.reconnects,
        "connects": end.connects,
        "messages": end.messages,
        "msgs_per_s": round((end.messages - first.messages) / elapsed, 1),
        "cpu_pct_mean": round(statistics.fmean(r.cpu_pct for r in rows[1:] or rows), 1),
        "load1_mean": round(statistics.fmean(r.load1 for r in rows), 2),
        "ui_ticks_per_s": round(end.ui_ticks / elapsed, 2),
        "lag_ms": {
            "p50": lag.percentile(0.50),
            "p99": lag.percentile(0.99),
            "max": max(r.lag_max_ms for r in rows),
            "worst_window_p99": max(r.lag_p99_ms for r in rows),
        },
        "rss_mb": {"start": first.rss_mb, "end": end.rss_mb, "max": max(r.rss_mb for r in rows)},
    }
    after = [r for r in rows if r.elapsed_s >= warmup]
    if len(after) < 6:
        summary["verdicts"] = dict.fromkeys(("rss_flat", "no_task_leak", "no_fd_leak"))
        summary["verdicts"]["why_none"] = "too few samples after warm-up to judge"
        return summary
    slope = _slope_per_hour(after, "rss_mb")
    mean = statistics.fmean(r.rss_mb for r in after)
    limit = max(RSS_FLAT_MB_PER_H, mean * RSS_FLAT_PCT_PER_H / 100)
    summary["rss_mb"].update(
        after_warmup=after[0].rss_mb,
        min_after_warmup=min(r.rss_mb for r in after),
        max_after_warmup=max(r.rss_mb for r in after),
        slope_mb_per_h=round(slope, 3),
        slope_pct_per_h=round(100 * slope / mean, 3),
        flat_limit_mb_per_h=round(limit, 3),
        # Bounded buffers that fill slowly show up here as a slope that fades.
        slope_second_half_mb_per_h=round(_slope_per_hour(after[len(after) // 2 :], "rss_mb"), 3),
    )
    summary["py_blocks"] = {
        "after_warmup": after[0].py_blocks,
        "end": end.py_blocks,
        "slope_per_h": round(_slope_per_hour(after, "py_blocks")),
    }
    summary["msgs_per_s_after_warmup"] = round(
        (end.messages - after[0].messages) / max(end.elapsed_s - after[0].elapsed_s, 1e-9), 1
    )
    summary["reconnects_after_warmup"] = end.reconnects - after[0].reconnects
    at_100 = next((r for r in rows if r.reconnects >= 100), None)
    for name in ("fds", "sockets", "tasks", "threads"):
        summary[name] = _bounded(after, name, at_100)
    summary["verdicts"] = {
        "rss_flat": slope <= limit,
        "no_task_leak": not summary["tasks"]["leak"],
        "no_fd_leak": not (summary["fds"]["leak"] or summary["sockets"]["leak"]),
        "reconnects_at_least_1000": end.reconnects >= 1000,
    }
    return summary


def markdown(s: dict[str, Any]) -> str:
    """A short table of the summary, for the results folder and the terminal."""
    rss, lag, logs = s["rss_mb"], s["lag_ms"], s.get("logs", {})
    lines = [
        f"# Soak: {s['mode']}, {s['elapsed_seconds'] / 60:.1f} min ({s.get('started', '')})",
        "",
        "| figure | value |",
        "|---|---|",
        f"| RSS start / after warm-up / end | {rss['start']} / {rss.get('after_warmup', '-')} / "
        f"{rss['end']} MB |",
        f"| RSS slope after warm-up ({s['warmup_seconds']:.0f} s) | "
        f"{rss.get('slope_mb_per_h', '-')} MB/h ({rss.get('slope_pct_per_h', '-')} %/h; "
        f"flat if <= {rss.get('flat_limit_mb_per_h', '-')}); second half "
        f"{rss.get('slope_second_half_mb_per_h', '-')} MB/h |",
    ]
    for name in ("fds", "sockets", "tasks", "threads"):
        if name in s:
            b = s[name]
            lines.append(
                f"| {name}: min-max after warm-up; at reconnect #100 -> end | "
                f"{b['min']}-{b['max']}; {b['at_reconnect_100']} -> {b['end']} "
                f"(medians {b['first_third_median']} -> {b['last_third_median']}) |"
            )
    lines += [
        f"| loop lag p50 / p99 / max | {lag['p50']} / {lag['p99']} / {lag['max']} ms |",
        f"| messages | {s['messages']:,} ({s['msgs_per_s']:,} msg/s; offered about "
        f"{s['lineup']['offered_msgs_per_s']:,.0f}) |",
        f"| reconnects (attempts) / connects | {s['reconnects']:,} / {s['connects']:,} |",
        f"| CPU of this process / load average | {s['cpu_pct_mean']} % / {s['load1_mean']} |",
    ]
    if s["mode"] == "tui":
        lines.append(f"| dashboard refreshes | {s['ui_ticks_per_s']}/s |")
    if "process" in s:
        before, after = s["process"]["before_start"], s["process"]["after_stop"]
        lines.append(f"| before start -> after stop | {before} -> {after} |")
    if logs:
        lines.append(f"| log records / tracebacks | {logs['levels']} / {len(logs['tracebacks'])} |")
    grown = s.get("growth", {}).get("objects")
    if grown:
        lines.append(f"| objects grown after warm-up (top 5) | {', '.join(grown[:5])} |")
    if s.get("runner_error"):
        lines.append(f"| runner error | {s['runner_error']} |")
    lines += ["", "Verdicts: " + ", ".join(f"{k}={v}" for k, v in s["verdicts"].items())]
    return "\n".join(lines)


def _write(prefix: Path, summary: dict[str, Any]) -> None:
    Path(f"{prefix}.json").write_text(json.dumps(summary, indent=2) + "\n")
    Path(f"{prefix}.md").write_text(markdown(summary) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one soak from the command line; exit 1 if a verdict fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["headless", "tui"], default="headless")
    parser.add_argument("--minutes", type=float, default=32.0)
    parser.add_argument("--rate", type=float, default=Lineup.rate, help="msg/s per ticker")
    parser.add_argument("--tickers", type=int, default=Lineup.tickers)
    parser.add_argument("--fault-every", type=float, default=2.0, metavar="SECONDS")
    parser.add_argument("--sample-every", type=float, default=5.0, metavar="SECONDS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, metavar="PREFIX", help="write PREFIX.csv/.json/.md")
    parser.add_argument("--tracemalloc", action="store_true", help="report growth by line")
    args = parser.parse_args(argv)
    opts = Options(
        mode=args.mode,
        seconds=args.minutes * 60,
        lineup=Lineup(args.rate, args.tickers),
        fault_every=args.fault_every,
        sample_every=args.sample_every,
        seed=args.seed,
        out=args.out,
        tracemalloc=args.tracemalloc,
    )
    summary = asyncio.run(run(opts))
    return 0 if all(v is not False for v in summary["verdicts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
