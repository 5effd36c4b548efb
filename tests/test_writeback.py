"""Saving live-tuned thresholds back into the user's config file: only the thresholds change."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from feedwatch.config.loader import load_config
from feedwatch.config.starter import starter_text
from feedwatch.config.writeback import WriteBackError, WriteResult, write_thresholds

CONFIG = """\
# feedwatch configuration, tuned by hand.
# Blank lines and comments below must survive a save.

[server]
listen = "127.0.0.1:9321"   # keep in sync with the firewall


# Binance trades: busy, so a short threshold.
[[feeds]]
name = "binance-trades"
url = "wss://stream.binance.com:9443/stream?streams=btcusdt@trade"
stale_after = "30s"     # alert quickly
channel_key = "stream"

[[feeds]]
name    =   'private'
url = "wss://feeds.example.com/v1?token=${FEED_TOKEN}"
headers = { Authorization = "Bearer ${FEED_API_KEY:-none}" }
stale_after = '2m'
  # an indented comment inside the table

[[feeds]]
name = "quiet-numbers"
url = "wss://quiet.example.com/"
stale_after = 45 # seconds, written as a number
[feeds.backoff]
initial = "1s"
"""


def config_file(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def changed_lines(before: str, after: str) -> dict[int, tuple[str, str]]:
    """Every line that differs, by line number; the line count must not change."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new), after
    return {n: (a, b) for n, (a, b) in enumerate(zip(old, new, strict=True), 1) if a != b}


# -- what changes and what does not ------------------------------------------------------------


def test_only_the_stale_after_lines_change_byte_for_byte(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    result = write_thresholds(path, {"binance-trades": 90, "private": 0.5, "quiet-numbers": 120})
    assert result == WriteResult(
        path=path, written=("binance-trades", "private", "quiet-numbers"), not_found=()
    )
    assert changed_lines(CONFIG, path.read_text(encoding="utf-8")) == {
        12: (
            'stale_after = "30s"     # alert quickly\n',
            'stale_after = "1m30s"     # alert quickly\n',
        ),
        19: ("stale_after = '2m'\n", "stale_after = '500ms'\n"),
        25: (
            "stale_after = 45 # seconds, written as a number\n",
            "stale_after = 120 # seconds, written as a number\n",
        ),
    }


def test_a_number_stays_a_number_and_whole_seconds_are_written_as_integers(
    tmp_path: Path,
) -> None:
    path = config_file(tmp_path)
    write_thresholds(path, {"quiet-numbers": 60.0})
    assert "stale_after = 60 # seconds, written as a number\n" in path.read_text(encoding="utf-8")
    write_thresholds(path, {"quiet-numbers": 2.5})
    assert "stale_after = 2.5 # seconds, written as a number\n" in path.read_text(encoding="utf-8")


def test_a_string_keeps_its_quotes(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    write_thresholds(path, {"private": 3600, "binance-trades": 5400})
    text = path.read_text(encoding="utf-8")
    assert "stale_after = '1h'\n" in text
    assert 'stale_after = "1h30m"     # alert quickly\n' in text


def test_the_saved_file_loads_with_the_new_thresholds(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    write_thresholds(path, {"binance-trades": 90, "private": 0.5, "quiet-numbers": 2.5})
    config = load_config(path, environ={"FEED_TOKEN": "t"})
    assert {feed.name: feed.stale_after for feed in config.feeds} == {
        "binance-trades": 90.0,
        "private": 0.5,
        "quiet-numbers": 2.5,
    }


def test_the_starter_config_keeps_its_comments(tmp_path: Path) -> None:
    starter = starter_text()
    path = config_file(tmp_path, starter)
    write_thresholds(path, {"binance-trades": 45})
    (line,) = changed_lines(starter, path.read_text(encoding="utf-8")).values()
    assert line == ('stale_after = "30s"\n', 'stale_after = "45s"\n')


def test_crlf_line_endings_and_permissions_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(CONFIG.replace("\n", "\r\n").encode("utf-8"))
    path.chmod(0o640)
    write_thresholds(path, {"binance-trades": 60})
    data = path.read_bytes()
    assert b'stale_after = "1m"     # alert quickly\r\n' in data
    assert data.count(b"\r\n") == CONFIG.count("\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_symlinked_config_is_saved_through_the_link(tmp_path: Path) -> None:
    real = config_file(tmp_path)
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    write_thresholds(link, {"binance-trades": 60})
    assert link.is_symlink()
    assert 'stale_after = "1m"' in real.read_text(encoding="utf-8")


# -- ${VAR} references ---------------------------------------------------------------------------


def test_variable_references_stay_as_written_and_secrets_never_reach_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEED_TOKEN", "s3cret-token")
    monkeypatch.setenv("FEED_API_KEY", "s3cret-key")
    path = config_file(tmp_path)
    write_thresholds(path, {"private": 10})
    text = path.read_text(encoding="utf-8")
    assert 'url = "wss://feeds.example.com/v1?token=${FEED_TOKEN}"\n' in text
    assert 'headers = { Authorization = "Bearer ${FEED_API_KEY:-none}" }\n' in text
    assert "s3cret" not in text


def test_an_unset_variable_does_not_stop_a_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FEED_TOKEN", raising=False)
    path = config_file(tmp_path)
    assert write_thresholds(path, {"private": 10}).written == ("private",)
    assert "stale_after = '10s'\n" in path.read_text(encoding="utf-8")


# -- feeds the file does not have --------------------------------------------------------------


def test_a_feed_not_in_the_file_is_reported_and_the_rest_are_saved(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    result = write_thresholds(path, {"from-elsewhere": 10, "private": 10, "coinbase-btc": 5})
    assert result.written == ("private",)
    assert result.not_found == ("from-elsewhere", "coinbase-btc")
    assert list(changed_lines(CONFIG, path.read_text(encoding="utf-8"))) == [19]


def test_when_no_feed_is_found_the_file_is_not_touched(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    os.utime(path, (1_000_000, 1_000_000))
    result = write_thresholds(path, {"from-elsewhere": 10})
    assert result == WriteResult(path=path, written=(), not_found=("from-elsewhere",))
    assert path.read_text(encoding="utf-8") == CONFIG
    assert path.stat().st_mtime == 1_000_000


# -- refusals ----------------------------------------------------------------------------------


def test_a_file_edited_into_invalid_toml_is_refused_and_left_untouched(tmp_path: Path) -> None:
    broken = CONFIG.replace('channel_key = "stream"', "channel_key = stream")
    path = config_file(tmp_path, broken)
    with pytest.raises(WriteBackError) as caught:
        write_thresholds(path, {"binance-trades": 60})
    message = str(caught.value)
    assert message.startswith(
        f"thresholds not saved to {path}: the file no longer loads as a feedwatch config:\n"
    )
    assert "line 13" in message
    assert path.read_text(encoding="utf-8") == broken
    assert [entry.name for entry in tmp_path.iterdir()] == ["config.toml"]


def test_a_file_edited_into_an_invalid_config_is_refused(tmp_path: Path) -> None:
    broken = CONFIG.replace('channel_key = "stream"', 'chanel_key = "stream"')
    path = config_file(tmp_path, broken)
    with pytest.raises(WriteBackError, match="chanel_key") as caught:
        write_thresholds(path, {"binance-trades": 60})
    assert "no longer loads" in str(caught.value)
    assert path.read_text(encoding="utf-8") == broken


def test_a_threshold_the_loader_would_reject_is_not_written(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    with pytest.raises(WriteBackError) as caught:
        write_thresholds(path, {"binance-trades": 0})
    assert str(caught.value) == (
        f"thresholds not saved to {path}: the new thresholds would not load:\n"
        '  feed "binance-trades": stale_after: must be greater than zero, found "0s"'
    )
    assert path.read_text(encoding="utf-8") == CONFIG


def test_a_negative_threshold_is_refused_naming_the_feed(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    with pytest.raises(WriteBackError, match='feed "private": cannot format -1'):
        write_thresholds(path, {"private": -1})
    assert path.read_text(encoding="utf-8") == CONFIG


def test_a_missing_file_is_a_plain_message(tmp_path: Path) -> None:
    path = tmp_path / "gone.toml"
    with pytest.raises(WriteBackError) as caught:
        write_thresholds(path, {"private": 10})
    assert str(caught.value) == (
        f"thresholds not saved to {path}: the file does not exist (was it moved or deleted?)"
    )


def test_a_read_only_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    path.chmod(0o444)
    with pytest.raises(WriteBackError) as caught:
        write_thresholds(path, {"private": 10})
    assert str(caught.value) == f"thresholds not saved to {path}: the file is read-only"
    assert path.read_text(encoding="utf-8") == CONFIG


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only directory")
def test_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(WriteBackError, match="cannot create a file in"):
            write_thresholds(path, {"private": 10})
    finally:
        tmp_path.chmod(0o755)
    assert path.read_text(encoding="utf-8") == CONFIG


def test_a_failed_rename_leaves_the_file_and_no_temporary_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: str, target: Path) -> None:
        raise PermissionError(13, "Permission denied")

    path = config_file(tmp_path)
    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(WriteBackError, match=r"cannot write it \(Permission denied\)"):
        write_thresholds(path, {"private": 10})
    assert path.read_text(encoding="utf-8") == CONFIG
    assert [entry.name for entry in tmp_path.iterdir()] == ["config.toml"]
