"""TOML syntax errors point at the line and say what to change."""

from __future__ import annotations

import textwrap

from tests.config_text import FEED, SOURCE, error


def test_a_toml_syntax_error_points_at_the_line_and_column() -> None:
    message = error(FEED + 'open_timeout "10s"\n')
    assert message == textwrap.dedent(
        f"""\
        invalid TOML in {SOURCE}:
          line 6, column 14: expected '=' after a key in a key/value pair
            6 | open_timeout "10s"
              |              ^"""
    )


def test_an_unquoted_duration_is_told_to_use_quotes() -> None:
    message = error(FEED.replace('"30s"', "30s"))
    assert "line 5, column 17: expected newline or end of document after a statement" in message
    assert '(text values need quotes: "30s")' in message


def test_a_capitalised_boolean_is_told_to_use_lower_case() -> None:
    message = error(FEED + "reconnect_on_stale = True\n")
    assert "(true and false are written in lower case: true)" in message


def test_a_syntax_error_found_only_at_the_end_of_the_file_says_so() -> None:
    assert error(FEED + 'send = """unterminated\n') == (
        f"invalid TOML in {SOURCE}:\n  at the end of the file: unterminated string"
    )


def test_declaring_a_single_bracket_feeds_table_twice_suggests_double_brackets() -> None:
    message = error('[feeds]\nname = "a"\n[feeds]\nname = "b"\n')
    assert "line 3, column 7: cannot declare ('feeds',) twice" in message
    assert "each feed starts with [[feeds]], two brackets" in message


def test_a_key_set_twice_is_called_out() -> None:
    assert "a key is set twice in the same table" in error(FEED + 'name = "again"\n')
