"""What a ``transport = "sql"`` feed's dsn and query must look like, checked while loading.

Two databases are spoken: SQLite (``sqlite://`` then a file path) and PostgreSQL (a
``postgresql://`` URL, read with psycopg 3). The query must be one statement: the only thing
feedwatch ever asks, so a ``; DELETE ...`` never rides along.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

SQLITE_PREFIX = "sqlite://"
POSTGRES_SCHEMES = ("postgresql", "postgres")
# No whole URL in it: config messages mask URLs, and would mangle an example.
EXPECTED_DSN = "a dsn starting sqlite:// (then a file path) or postgresql:// (a PostgreSQL URL)"


def dsn_problem(dsn: str) -> str | None:
    """What is wrong with an expanded dsn, in words; None when it can be used."""
    if dsn.startswith(SQLITE_PREFIX):
        if not dsn[len(SQLITE_PREFIX) :].strip():
            return "expected a file path after sqlite:// (an absolute path starts with /)"
        return None
    try:
        parts = urlsplit(dsn)
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError as err:
        return f"expected {EXPECTED_DSN} ({err})"
    if parts.scheme.lower() not in POSTGRES_SCHEMES:
        return f"expected {EXPECTED_DSN}"
    if importlib.util.find_spec("psycopg") is None:
        return 'PostgreSQL needs psycopg 3: pip install "feedwatch[sql]"'
    return None


def sqlite_dsn(dsn: str, base: Path | None) -> str:
    """The dsn with its file path made absolute (relative paths start at the config file)."""
    path = Path(dsn[len(SQLITE_PREFIX) :]).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    return SQLITE_PREFIX + str(path)


def is_sqlite(dsn: str) -> bool:
    return dsn.startswith(SQLITE_PREFIX)


def statement_count(query: str) -> int:
    """How many statements ``query`` holds, outside quotes and comments (a trailing ; is fine)."""
    count, text, i, n = 0, False, 0, len(query)
    while i < n:
        char = query[i]
        if char in "'\"":
            end = query.find(char, i + 1)
            i = n if end < 0 else end + 1
            text = True
            continue
        if query.startswith("--", i):
            end = query.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if query.startswith("/*", i):
            end = query.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if char == ";":
            count += text
            text = False
        elif not char.isspace():
            text = True
        i += 1
    return count + text
