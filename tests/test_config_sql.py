"""transport = "sql": its keys, their defaults, and every mistake named at its key."""

from __future__ import annotations

import pytest

from feedwatch.config.sql_reader import statement_count
from feedwatch.engine.redact import FeedRedactor
from tests.config_text import error, load, problem


def sql(*lines: str, transport: str = "sql") -> str:
    body = "\n".join(lines)
    return f'[[feeds]]\nname = "ticks"\ntransport = "{transport}"\nstale_after = "2m"\n{body}\n'


DSN = 'dsn = "sqlite:///var/lib/ticks.db"'
QUERY = 'query = "SELECT max(ts) FROM ticks"'


def test_a_sql_feed_reads_its_keys_with_their_defaults() -> None:
    (feed,) = load(sql(DSN, QUERY)).feeds
    assert feed.transport == "sql"
    assert feed.url == "sqlite:///var/lib/ticks.db"
    assert feed.query == "SELECT max(ts) FROM ticks"
    assert (feed.poll_every, feed.query_timeout, feed.open_timeout) == (10.0, 5.0, 10.0)
    assert feed.reconnect_on_stale is False  # a new connection reads the same rows


def test_a_relative_sqlite_path_starts_at_the_config_file() -> None:
    (feed,) = load(sql('dsn = "sqlite://data/ticks.db"', QUERY, 'every = "1s"')).feeds
    assert feed.url == "sqlite:///home/u/.config/feedwatch/data/ticks.db"
    assert feed.poll_every == 1.0


def test_a_dsn_password_expands_from_the_environment_and_is_masked() -> None:
    dsn = 'dsn = "postgresql://reader:${PGPW}@db.internal/feeds"'
    (feed,) = load(sql(dsn, QUERY, 'query_timeout = "2s"'), {"PGPW": "hunter22"}).feeds
    assert feed.url == "postgresql://reader:hunter22@db.internal/feeds"
    assert feed.url_template == "postgresql://reader:${PGPW}@db.internal/feeds"
    assert feed.query_timeout == 2.0
    redact = FeedRedactor(feed)
    assert "hunter22" not in redact.display_url
    assert redact(f"cannot connect to {feed.url}: bad password hunter22") == (
        f"cannot connect to {redact.display_url}: bad password ***"
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((QUERY,), 'feed "ticks": dsn: required key is missing'),
        (
            (DSN,),
            'feed "ticks": query: required key is missing: one SELECT whose first column is '
            "the newest row's timestamp, like \"SELECT max(ts) FROM ticks\"",
        ),
        (
            ('dsn = "mysql://db.internal/feeds"', QUERY),
            'feed "ticks": dsn: expected a dsn starting sqlite:// (then a file path) or '
            'postgresql:// (a PostgreSQL URL), found "mysql://db.internal/feeds"',
        ),
        (
            ('dsn = "sqlite://"', QUERY),
            'feed "ticks": dsn: expected a file path after sqlite:// (an absolute path starts '
            'with /), found "sqlite://"',
        ),
        (
            (DSN, 'query = "SELECT max(ts) FROM ticks; DELETE FROM ticks"'),
            'feed "ticks": query: expected exactly one SQL statement, found 2',
        ),
        (
            (DSN, 'query = " ; "'),
            'feed "ticks": query: expected exactly one SQL statement, found none',
        ),
        (
            (DSN, QUERY, 'url = "wss://x.example/ws"'),
            'feed "ticks": url: does not apply to transport = "sql"; use dsn instead',
        ),
        (
            (DSN, QUERY, 'channel_key = "symbol"'),
            'feed "ticks": channel_key: does not apply to transport = "sql": a row\'s channel '
            "is the query's second column",
        ),
        (
            (DSN, QUERY, 'age_field = "age"'),
            'feed "ticks": age_field: only applies to transport = "http-poll"',
        ),
        (
            (DSN, QUERY, 'query_timeout = "0s"'),
            'feed "ticks": query_timeout: must be greater than zero, found "0s"',
        ),
        ((DSN, "query = 5"), 'feed "ticks": query: expected a string, found 5'),
        (
            ('dsn = "postgresql://u:${NOPE}@h/db"', QUERY),
            'feed "ticks": dsn: environment variable NOPE is not set (set it, or write '
            "${NOPE:-default})",
        ),
    ],
    ids=[
        "no-dsn", "no-query", "unknown-scheme", "empty-sqlite-path", "two-statements",
        "no-statement", "url", "channel_key", "age_field", "zero-timeout", "query-type",
        "unset-variable",
    ],
)  # fmt: skip
def test_sql_mistakes_are_named_at_their_key(lines: tuple[str, ...], message: str) -> None:
    assert problem(sql(*lines)) == message


def test_rules_that_read_messages_do_not_apply_to_rows() -> None:
    text = sql(DSN, QUERY, 'event_time = "ts"', "[feeds.heartbeat]", 'contains = "hb"')
    assert error(text).splitlines()[1:] == [
        '  feed "ticks": event_time: does not apply to transport = "sql": a row is a timestamp '
        "and a channel, no message to read",
        '  feed "ticks": heartbeat: does not apply to transport = "sql": a row is a timestamp '
        "and a channel, no message to read",
    ]


def test_sql_keys_on_another_transport_are_errors() -> None:
    text = sql(
        'url = "wss://x.example/ws"', DSN, QUERY, 'query_timeout = "1s"', transport="websocket"
    )
    assert error(text).splitlines()[1:] == [
        '  feed "ticks": dsn: only applies to transport = "sql"',
        '  feed "ticks": query: only applies to transport = "sql"',
        '  feed "ticks": query_timeout: only applies to transport = "sql"',
    ]


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("SELECT max(ts) FROM ticks", 1),
        ("SELECT max(ts) FROM ticks;", 1),
        ("SELECT max(ts) FROM ticks; -- newest\n", 1),
        ("SELECT ';' AS x, max(ts) FROM \"a;b\" /* ; */", 1),
        ("SELECT 1; SELECT 2", 2),
        ("", 0),
    ],
)
def test_statements_are_counted_outside_quotes_and_comments(query: str, count: int) -> None:
    assert statement_count(query) == count


def test_a_sqlite_dsn_is_shown_as_written() -> None:
    (feed,) = load(sql(DSN, QUERY)).feeds
    assert FeedRedactor(feed).display_url == "sqlite:///var/lib/ticks.db"


def test_a_dsn_password_written_in_the_file_is_a_written_secret_a_user_name_is_not() -> None:
    import tomllib

    from feedwatch.config.exposure import written_secrets

    def found(dsn: str) -> list[str]:
        return list(written_secrets(tomllib.loads(sql(f'dsn = "{dsn}"', QUERY))))

    assert found("postgresql://reader:hunter22@db/feeds") == ['feed "ticks" dsn password']
    assert found("postgresql://reader:${PGPW}@db/feeds") == []
    assert found("postgresql://reader@db/feeds") == []
