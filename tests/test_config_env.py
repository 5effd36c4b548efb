"""${VAR} references expand from the environment, only in url and headers, and stay secret."""

from __future__ import annotations

import pytest

from tests.config_text import error, load, problem

ENV_FEED = """
[[feeds]]
name = "private"
url = "{url}"
stale_after = "30s"
"""


def env_feed(url: str, extra: str = "") -> str:
    return ENV_FEED.replace("{url}", url) + extra


def test_variables_expand_in_url_and_headers_and_are_remembered_as_secrets() -> None:
    text = env_feed(
        "wss://${HOST}/ws?token=${TOKEN}",
        'headers = { Authorization = "Bearer ${TOKEN}", X-Id = "${ID}" }\n',
    )
    (feed,) = load(text, {"HOST": "feeds.example.com", "TOKEN": "t0k", "ID": "id-1"}).feeds
    assert feed.url == "wss://feeds.example.com/ws?token=t0k"
    assert feed.url_template == "wss://${HOST}/ws?token=${TOKEN}"
    assert feed.headers == (("Authorization", "Bearer t0k"), ("X-Id", "id-1"))
    assert feed.secrets == ("feeds.example.com", "t0k", "id-1")


def test_an_unset_variable_is_named_with_how_to_fix_it() -> None:
    assert problem(env_feed("wss://example.com/?key=${API_KEY}")) == (
        'feed "private": url: environment variable API_KEY is not set '
        "(set it, or write ${API_KEY:-default})"
    )


def test_every_unset_variable_is_reported() -> None:
    text = env_feed("wss://${HOST}/", 'headers = { A = "${A}", B = "${B}" }\n')
    assert [line.split(": ", 2)[1:] for line in error(text).splitlines()[1:]] == [
        ["url", "environment variable HOST is not set (set it, or write ${HOST:-default})"],
        ["headers.A", "environment variable A is not set (set it, or write ${A:-default})"],
        ["headers.B", "environment variable B is not set (set it, or write ${B:-default})"],
    ]


def test_a_default_is_used_when_the_variable_is_unset_or_empty() -> None:
    text = env_feed("wss://${HOST:-localhost:8080}/${PATH:-}")
    for environ in ({}, {"HOST": "", "PATH": ""}):
        (feed,) = load(text, environ).feeds
        assert feed.url == "wss://localhost:8080/"
        assert feed.secrets == ()


def test_a_set_variable_wins_over_its_default() -> None:
    (feed,) = load(env_feed("wss://${HOST:-localhost}/"), {"HOST": "example.com"}).feeds
    assert feed.url == "wss://example.com/"
    assert feed.secrets == ("example.com",)


def test_a_variable_set_to_empty_expands_to_nothing() -> None:
    (feed,) = load(env_feed("wss://example.com/${SUFFIX}"), {"SUFFIX": ""}).feeds
    assert feed.url == "wss://example.com/"
    assert feed.secrets == ()


def test_double_dollar_writes_a_literal_reference() -> None:
    (feed,) = load(env_feed("wss://example.com/$${NOT_A_VAR}"), {"NOT_A_VAR": "x"}).feeds
    assert feed.url == "wss://example.com/${NOT_A_VAR}"


@pytest.mark.parametrize("reference", ["${MY-TOKEN}", "${}", "${UNCLOSED"])
def test_a_malformed_reference_explains_the_syntax(reference: str) -> None:
    assert problem(env_feed(f"wss://example.com/{reference}")) == (
        f'feed "private": url: "{reference}" is not a variable reference; write ${{NAME}} or '
        '${NAME:-default} (NAME: letters, digits, _), or $${ for a literal "${"'
    )


def test_variables_only_expand_in_url_and_headers() -> None:
    text = env_feed("wss://example.com/", 'subscribe = \'{"token":"${TOKEN}"}\'\n')
    assert load(text, {"TOKEN": "t0k"}).feeds[0].subscribe == ('{"token":"${TOKEN}"}',)


def test_errors_show_the_url_as_written_never_the_expanded_secret() -> None:
    message = error(env_feed("${FEED_URL}"), {"FEED_URL": "https://user:hunter2@example.com/"})
    assert "hunter2" not in message
    assert 'found "${FEED_URL}" after expanding ${...}' in message


def test_a_header_value_may_not_smuggle_a_line_break_from_the_environment() -> None:
    text = env_feed("wss://example.com/", 'headers = { Authorization = "${TOKEN}" }\n')
    assert problem(text, {"TOKEN": "a\r\nX-Evil: 1"}) == (
        'feed "private": headers.Authorization: must not contain a line break'
    )


def test_header_names_must_be_valid_http_tokens() -> None:
    text = env_feed("wss://example.com/", 'headers = { "Bad Name" = "x" }\n')
    assert problem(text) == (
        'feed "private": headers."Bad Name": is not a valid HTTP header name '
        "(letters, digits and -, no spaces)"
    )
