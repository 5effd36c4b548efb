"""A config file that other users can read and that holds secrets draws a warning, not an error.

A secret held in the environment (``${VAR}``) is the practice to encourage: it never warns.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from feedwatch.config.exposure import written_secrets
from feedwatch.config.loader import load_config
from tests.waiting import wait_until_blocking

FEED = """
[history]
enabled = false

[[feeds]]
name = "orders"
url = "wss://feeds.example.com/ws"
stale_after = "30s"
"""
HEADER = FEED + 'headers = { Authorization = "Bearer s3cr3t-t0ken" }\n'

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def write(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / "feedwatch.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def warnings(path: Path, environ: dict[str, str] | None = None) -> tuple[str, ...]:
    return load_config(path, environ=environ or {}).warnings


def test_a_header_secret_in_a_file_others_can_read_warns_with_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, 0o644)
    assert warnings(path) == (
        f'{path} contains secrets (feed "orders" header Authorization) and is readable by '
        f"other users (mode 0644); run: chmod 600 {path}",
    )


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o444])
def test_group_or_other_read_is_enough_to_warn(tmp_path: Path, mode: int) -> None:
    assert f"(mode {mode:04o})" in warnings(write(tmp_path, HEADER, mode))[0]


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700, 0o620])
def test_a_file_only_its_owner_can_read_does_not_warn(tmp_path: Path, mode: int) -> None:
    assert warnings(write(tmp_path, HEADER, mode)) == ()


@pytest.mark.parametrize(
    "secret",
    [
        'headers = { Authorization = "Bearer ${FEED_TOKEN}" }',
        'headers = { X-Api-Key = "${FEED_TOKEN:-}" }',
        'url = "wss://feeds.example.com/ws?token=${FEED_TOKEN}"',
        'url = "wss://user:${FEED_TOKEN}@feeds.example.com/ws"',
    ],
)
def test_a_secret_from_the_environment_never_warns(tmp_path: Path, secret: str) -> None:
    text = FEED.replace('url = "wss://feeds.example.com/ws"\n', "") + secret + "\n"
    if not secret.startswith("url"):
        text += 'url = "wss://feeds.example.com/ws"\n'
    path = write(tmp_path, text, 0o644)
    assert warnings(path, {"FEED_TOKEN": "s3cr3t"}) == ()


@pytest.mark.parametrize(
    "harmless",
    [
        'headers = { Origin = "https://example.com", User-Agent = "probe/1" }',
        'headers = { Authorization = "" }',
        'url = "wss://feeds.example.com/ws?streams=btcusdt@trade"',
    ],
)
def test_what_is_not_a_secret_does_not_warn(tmp_path: Path, harmless: str) -> None:
    text = FEED if not harmless.startswith("url") else FEED.replace("url = ", "# url = ")
    path = write(tmp_path, text + harmless + "\n", 0o644)
    assert warnings(path) == ()


def test_every_kind_of_written_secret_is_found_and_the_first_two_named(tmp_path: Path) -> None:
    text = """
[server]
listen = "127.0.0.1:9321"
token = "metrics-t0ken"

[[feeds]]
name = "orders"
url = "wss://bot:hunter2@feeds.example.com/ws?apiKey=abc&symbol=btc"
stale_after = "30s"
headers = { X-Api-Key = "${KEY:-written-fallback}" }

[[alerts]]
type = "webhook"
format = "slack"
url = "https://hooks.slack.com/services/T000/B000/XXXX"

[[alerts]]
type = "webhook"
url = "https://alerts.example.com/hook"
headers = { Authorization = "Bearer t" }
"""
    path = write(tmp_path, text, 0o644)
    (warning,) = warnings(path)
    assert '(feed "orders" url password, feed "orders" url parameter apiKey and 4 more)' in warning
    assert list(written_secrets(tomllib.loads(text))) == [
        'feed "orders" url password',
        'feed "orders" url parameter apiKey',
        'feed "orders" header X-Api-Key',
        "[server] token",
        "alerts[0] url",
        "alerts[1] header Authorization",
    ]


def test_a_path_with_spaces_gets_a_chmod_that_can_be_pasted(tmp_path: Path) -> None:
    folder = tmp_path / "my configs"
    folder.mkdir()
    (warning,) = warnings(write(folder, HEADER, 0o644))
    assert warning.endswith(f"run: chmod 600 '{folder / 'feedwatch.toml'}'")


# -- where the user sees it -----------------------------------------------------------------------


def feedwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedwatch", *args], capture_output=True, text=True, timeout=30
    )


def test_check_config_prints_the_warning_and_still_passes(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, 0o644)
    done = feedwatch("check-config", "--config", str(path))
    assert done.returncode == 0
    assert done.stdout == f"{path}: OK (1 feed: orders)\n"
    assert done.stderr == (
        f'feedwatch: warning: {path} contains secrets (feed "orders" header Authorization) '
        f"and is readable by other users (mode 0644); run: chmod 600 {path}\n"
    )
    path.chmod(0o600)
    quiet = feedwatch("check-config", "--config", str(path))
    assert (quiet.returncode, quiet.stderr) == (0, "")


def file_feed_config(tmp_path: Path) -> Path:
    log = tmp_path / "app.log"
    log.touch()
    text = (
        FEED
        + 'headers = { Authorization = "Bearer s3cr3t-t0ken" }\n'
        + f'\n[[feeds]]\nname = "tail"\ntransport = "file"\npath = "{log}"\nstale_after = "30s"\n'
    )
    return write(tmp_path, text, 0o644)


def test_headless_mode_says_it_on_stderr_before_it_starts(tmp_path: Path) -> None:
    path = file_feed_config(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "feedwatch", "--headless", "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())  # running: its first event
        assert first["event"] in ("connected", "error")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert stderr.splitlines()[0] == (
        f'feedwatch: warning: {path} contains secrets (feed "orders" header Authorization) '
        f"and is readable by other users (mode 0644); run: chmod 600 {path}"
    )


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (.ci/run installs it)")
def test_the_dashboard_shows_the_warning_as_a_notification(tmp_path: Path) -> None:
    path = file_feed_config(tmp_path)
    script = Path(sys.executable).parent / "feedwatch"
    socket, session = f"fwperm{os.getpid()}", "fw"
    command = (
        f"env XDG_STATE_HOME={tmp_path / 'state'} TERM=xterm-256color "
        f"{script} --config {path}; sleep 30"
    )
    subprocess.run(
        ["tmux", "-L", socket, "new-session", "-d", "-s", session, "-x", "120", "-y", "30",
         command],
        check=True,
    )  # fmt: skip
    expected = (
        f'{path} contains secrets (feed "orders" header Authorization) and is readable by '
        f"other users (mode 0644); run: chmod 600 {path}"
    )

    def screen() -> str:
        return subprocess.run(
            ["tmux", "-L", socket, "capture-pane", "-p", "-t", session],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip

    def toast() -> str:
        # The toast's lines, right of its left edge, joined back into one text; it wraps
        # anywhere (even inside the path), so compare without spaces.
        lines = [line.rsplit("▌", 1)[1] for line in screen().splitlines() if "▌" in line]
        return "".join("".join(lines).replace("▔", "").split())

    try:
        wait_until_blocking(
            lambda: "".join(expected.split()) in toast(),
            timeout=30,
            interval=0.2,
            message=lambda: f"the notification; last screen:\n{screen()}",
        )
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)
