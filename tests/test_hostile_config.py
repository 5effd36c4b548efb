"""Config files written to break the reader get a located error and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from feedwatch.config.syntax_errors import MAX_NESTING
from tests.config_text import FEED, error


def feedwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedwatch", *args], capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    "value",
    ["[" * 500 + "]" * 500, "{b=" * 500 + "1" + "}" * 500, "[{a=" * 250 + "1" + "}]" * 250],
)
def test_toml_nested_500_deep_is_a_located_error_with_exit_2(tmp_path: Path, value: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(FEED + f"\nextra = {value}\n")
    done = feedwatch("check-config", "--config", str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    assert f"invalid TOML in {path}:" in done.stderr
    assert "line 7, column " in done.stderr
    assert f"nested more than {MAX_NESTING} deep" in done.stderr
    headless = feedwatch("--headless", "--config", str(path))
    assert headless.returncode == 2 and "Traceback" not in headless.stderr


def test_the_nesting_error_points_at_the_first_bracket_too_deep() -> None:
    text = FEED + "\nextra = " + "[" * 70 + "]" * 70 + "\n"
    message = error(text)
    # "extra = " is 8 columns; the 65th bracket is the first one too deep.
    assert f"line 7, column {8 + MAX_NESTING + 1}:" in message


@pytest.mark.parametrize(
    "quoted",
    [
        '"' + "[" * 200 + '"',
        "'" + "{" * 200 + "'",
        '"""\n' + "[" * 200 + '\n"""',
        "1 # " + "[" * 200,
    ],
)
def test_brackets_inside_strings_and_comments_are_not_nesting(quoted: str) -> None:
    message = error(FEED + f"\nextra = {quoted}\n")
    assert "nested more than" not in message and 'unknown key "extra"' in message


def test_nesting_a_config_needs_still_loads() -> None:
    message = error(FEED + "\nextra = " + "[" * MAX_NESTING + "]" * MAX_NESTING + "\n")
    assert "nested more than" not in message and 'unknown key "extra"' in message


PASSWORD = "hunter2-s3cret"


@pytest.mark.parametrize(
    "lines",
    [
        f'url = "ftp://bob:{PASSWORD}@example.com/ws?apiToken=abcd1234efgh5678"',
        f'url = "wss://bob:{PASSWORD}@exa mple.com/ws?apiToken=abcd1234efgh5678"',
        f'url = "wss://bob:{PASSWORD}@example.com/ws?apiToken=abcd1234efgh5678" oops',
        'url = "${FW_TOKEN}"',
    ],
)
def test_config_errors_never_print_a_url_password_or_token(tmp_path: Path, lines: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[[feeds]]\nname = "x"\n{lines}\nstale_after = "30s"\n')
    done = subprocess.run(
        [sys.executable, "-m", "feedwatch", "check-config", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "FW_TOKEN": "envtok-9f8e7d6c"},
    )
    assert done.returncode == 2, done.stderr
    for secret in (PASSWORD, "abcd1234", "envtok-9f8e7d6c", "envtok%2D"):
        assert secret not in done.stderr, done.stderr
    assert "***" in done.stderr or "${FW_TOKEN}" in done.stderr


def test_the_caret_still_points_at_the_error_after_a_url_is_masked() -> None:
    text = f'[[feeds]]\nname = "x"\nurl = "wss://bob:{PASSWORD}@example.com/ws" oops\n'
    message = error(text)
    shown = message.splitlines()
    line = next(n for n, row in enumerate(shown) if row.lstrip().startswith("3 |"))
    caret = shown[line + 1].index("^")
    assert shown[line][caret:].startswith("oops")
    assert PASSWORD not in message
