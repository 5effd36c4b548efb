"""Terminal bytes: what the real ``feedwatch`` console script writes to a terminal, per second.

The dashboard runs in tmux at each size; ``tmux pipe-pane`` copies every byte the
program writes to its terminal into a file, and the benchmark counts the bytes
written over a window after a warm-up. Two scenarios:

- ``demo``: no config, so the built-in demo (seven simulated feeds, mostly idle);
- ``load``: 200 feeds at 20 msg/s each, from a websockets server in another process.

Several checkouts can be measured in the same run (``--feedwatch LABEL=PATH``, where
PATH is a console script such as ``/work/main/.venv/bin/feedwatch``), alternating, so
before and after are compared under the same load on the machine.

    python benchmarks/bench_terminal_bytes.py \\
        --feedwatch main=/work/main/.venv/bin/feedwatch --feedwatch branch=.venv/bin/feedwatch

Each measurement runs in a fresh HOME (no config, no remembered theme, its own demo
history), with TERM=xterm-256color and COLORTERM=truecolor, as over ssh from a modern
terminal emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SIZES = ((80, 24), (120, 35), (200, 60))
# Select Graphic Rendition: the colour and style escapes.
SGR = re.compile(rb"\x1b\[[0-9;:]*m")
CSI = re.compile(rb"\x1b\[[0-9;:?<>=]*[ -/]*[@-~]")


@dataclass(frozen=True)
class Figure:
    label: str
    scenario: str
    size: tuple[int, int]
    bytes_per_s: float
    sgr_share: float  # of the bytes, the part that is colour/style escapes
    other_escape_share: float  # cursor moves and the rest


def _serve(port_queue: mp.Queue, rate: float) -> None:  # type: ignore[type-arg]
    from websockets.asyncio.server import ServerConnection, serve

    async def handler(ws: ServerConnection) -> None:
        interval = 1.0 / rate
        seq = 0
        next_at = asyncio.get_running_loop().time()
        try:
            while True:
                seq += 1
                await ws.send(f'{{"stream":"x","seq":{seq},"p":"97312.45","q":"0.012"}}')
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - asyncio.get_running_loop().time()))
        except Exception:
            return

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            port_queue.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


@contextlib.contextmanager
def load_server(rate: float) -> Iterator[int]:
    """A websockets server in another process that sends ``rate`` msg/s on every connection."""
    ctx = mp.get_context("spawn")
    ports: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    server = ctx.Process(target=_serve, args=(ports, rate), daemon=True)
    server.start()
    try:
        yield ports.get(timeout=30)
    finally:
        server.terminate()
        server.join(5)


def load_config(port: int, feeds: int) -> str:
    return "".join(
        f'[[feeds]]\nname = "feed-{i:03d}"\nurl = "ws://127.0.0.1:{port}/{i}"\n'
        'stale_after = "5s"\n\n'
        for i in range(feeds)
    )


def _tmux(socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["tmux", "-L", socket, *args], check=True, capture_output=True, text=True, timeout=20
    )


def measure(
    label: str,
    script: str,
    scenario: str,
    size: tuple[int, int],
    *,
    config_text: str | None,
    extra_args: list[str],
    warmup: float,
    seconds: float,
) -> Figure:
    """Start the console script in tmux at ``size`` and count the bytes it writes."""
    with tempfile.TemporaryDirectory(prefix="fw-bytes-") as home:
        command = [*shlex.split(script), *extra_args]
        if config_text is not None:
            config = Path(home) / "config.toml"
            config.write_text(config_text)
            command += ["--config", str(config)]
        env = {
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/.config",
            "XDG_STATE_HOME": f"{home}/.local/state",
            "XDG_DATA_HOME": f"{home}/.local/share",
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "LANG": "C.UTF-8",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        shell = "env -i " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        shell += " " + shlex.join(command)
        capture = Path(home) / "pane.bytes"
        socket = f"fw-bytes-{os.getpid()}"
        session = "fw"
        width, height = size
        _tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", session, "-c", home,
              "-x", str(width), "-y", str(height), shell)  # fmt: skip
        try:
            _tmux(socket, "pipe-pane", "-o", "-t", session, f"cat >> {shlex.quote(str(capture))}")
            time.sleep(warmup)
            start_size = capture.stat().st_size if capture.exists() else 0
            t0 = time.monotonic()
            time.sleep(seconds)
            data = capture.read_bytes()
            elapsed = time.monotonic() - t0
            window = data[start_size:]
            alive = _tmux(socket, "list-panes", "-t", session, "-F", "#{pane_dead}").stdout
            if alive.strip() not in ("", "0"):
                raise RuntimeError(f"{label}: feedwatch exited during the measurement")
            with contextlib.suppress(subprocess.SubprocessError):
                _tmux(socket, "send-keys", "-t", session, "q")
                time.sleep(1.0)
        finally:
            subprocess.run(["tmux", "-L", socket, "kill-server"], check=False,
                           capture_output=True, timeout=20)  # fmt: skip
    total = len(window) or 1
    sgr = sum(len(m) for m in SGR.findall(window))
    other = sum(len(m) for m in CSI.findall(window)) - sgr
    return Figure(label, scenario, size, len(window) / elapsed, sgr / total, other / total)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--feedwatch",
        action="append",
        metavar="LABEL=PATH",
        help="a console script to measure, or a command line such as "
        "'env PYTHONPATH=/work/main .venv/bin/python -m feedwatch' (repeat to compare "
        "checkouts; default: this checkout's .venv/bin/feedwatch)",
    )
    parser.add_argument("--scenario", action="append", choices=["demo", "load"])
    parser.add_argument(
        "--size", action="append", metavar="WxH", help="default: 80x24, 120x35, 200x60"
    )
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before counting")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds counted")
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="msg/s per feed under load")
    parser.add_argument(
        "--args", default="", help="extra arguments for every run, e.g. --low-bandwidth"
    )
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("needs tmux (apt-get install tmux)", file=sys.stderr)
        return 2
    targets = []
    for item in args.feedwatch or [f"this={HERE / '.venv/bin/feedwatch'}"]:
        label, _, path = item.partition("=")
        targets.append((label, path or label))
    sizes = [tuple(int(n) for n in s.lower().split("x")) for s in args.size] if args.size else SIZES
    scenarios = args.scenario or ["demo", "load"]
    extra = shlex.split(args.args)
    figures: list[Figure] = []
    for scenario in scenarios:
        server = load_server(args.rate) if scenario == "load" else contextlib.nullcontext(0)
        with server as port:
            text = load_config(port, args.feeds) if scenario == "load" else None
            for size in sizes:
                for label, script in targets:  # alternating, so both see the same machine
                    figure = measure(
                        label,
                        script,
                        scenario,
                        size,  # type: ignore[arg-type]
                        config_text=text,
                        extra_args=extra,
                        warmup=args.warmup,
                        seconds=args.seconds,
                    )
                    figures.append(figure)
                    print(
                        f"{scenario:5} {figure.size[0]}x{figure.size[1]:<3} {label:10} "
                        f"{figure.bytes_per_s / 1000:7.2f} KB/s  "
                        f"(colour escapes {figure.sgr_share:.0%}, other escapes "
                        f"{figure.other_escape_share:.0%})",
                        flush=True,
                    )
    if len(targets) > 1:
        print("\nratio to the first checkout, same run:")
        reference = targets[0][0]
        for scenario in scenarios:
            for size in sizes:
                ref = next(f for f in figures if f.label == reference and f.scenario == scenario
                           and f.size == size)  # fmt: skip
                for f in figures:
                    if f.label != reference and f.scenario == scenario and f.size == size:
                        print(f"{scenario:5} {size[0]}x{size[1]:<3} {f.label}/{reference}: "
                              f"{f.bytes_per_s / ref.bytes_per_s:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
