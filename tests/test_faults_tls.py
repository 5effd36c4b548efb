"""TLS failures are clear errors, not hangs, and tls.ca_file trusts a private CA.

Real servers on 127.0.0.1 with certificates made at test time by trustme; the feeds connect
to ``localhost`` (resolved from /etc/hosts, so nothing leaves the machine).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import trustme
from aiohttp import web
from websockets.asyncio.server import ServerConnection, serve

from feedwatch.config.loader import ConfigError, load_config
from feedwatch.config.model import FeedConfig
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.events import Event, EventKind
from tests.live import FAST_BACKOFF, Running, feed
from tests.waiting import wait_until

UNTRUSTED = "not signed by a CA this feed trusts; for a private CA set tls.ca_file"
MISMATCH = "TLS certificate rejected: Hostname mismatch, certificate is not valid for 'localhost'"
NOT_TLS_HINT = "is it a server without TLS? then its URL starts with ws:// or http://"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA, *hosts: str) -> ssl.SSLContext:
    """A server's TLS context with a certificate from ``ca`` for ``hosts``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(context)
    return context


def self_signed_context(ca: trustme.CA, tmp_path: Path) -> ssl.SSLContext:
    """A server that presents a self-signed certificate (the CA's own)."""
    cert, key = tmp_path / "self.pem", tmp_path / "self.key"
    ca.cert_pem.write_to_path(str(cert))
    ca.private_key_pem.write_to_path(str(key))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def _ticks(ws: ServerConnection) -> None:
    n = 0
    while True:
        n += 1
        await ws.send(json.dumps({"n": n}))
        await asyncio.sleep(0.02)


@asynccontextmanager
async def wss_server(context: ssl.SSLContext) -> AsyncIterator[int]:
    """A wss:// server on 127.0.0.1 sending a data message every 20 ms; yields its port."""
    async with serve(_ticks, "127.0.0.1", 0, ssl=context) as server:
        yield int(server.sockets[0].getsockname()[1])


@asynccontextmanager
async def https_server(context: ssl.SSLContext | None) -> AsyncIterator[int]:
    """An https:// server (http:// without a context) with /events (SSE) and /health."""

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for n in range(10_000):
            await response.write(f"data: {n}\n\n".encode())
            await asyncio.sleep(0.02)
        return response

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"age": 0.0})

    app = web.Application()
    app.router.add_get("/events", events)
    app.router.add_get("/health", health)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


@pytest.fixture
async def plain() -> AsyncIterator[Simulator]:
    """A plain ws:// feed, to show one feed's TLS trouble leaves the others alone."""
    simulator = Simulator(seed=5)
    simulator.add("/ticker", Ticker(rate=50, require_subscribe=False))
    await simulator.start()
    yield simulator
    await simulator.stop()


def trusting(config_dir: Path, url: str, **keys: str) -> FeedConfig:
    """A feed read from a config file that trusts private-ca.pem beside it (a relative path)."""
    path = config_dir / "feedwatch.toml"
    extra = "".join(f"{key} = {value}\n" for key, value in keys.items())
    path.write_text(
        f'[[feeds]]\nname = "private"\nurl = "{url}"\nstale_after = "1s"\n{extra}'
        '[feeds.tls]\nca_file = "private-ca.pem"\n',
        encoding="utf-8",
    )
    (loaded,) = load_config(path, environ={}).feeds
    return replace(loaded, backoff=FAST_BACKOFF)


def tls_error(feed_name: str) -> Callable[[Event], bool]:
    return lambda e: e.kind is EventKind.ERROR and e.feed == feed_name


# -- certificates a feed does not trust -----------------------------------------------------------


@pytest.mark.parametrize(
    ("certificate", "reason"),
    [
        ("self-signed", f"TLS certificate rejected: self-signed certificate ({UNTRUSTED})"),
        (
            "from an unknown CA",
            f"TLS certificate rejected: unable to get local issuer certificate ({UNTRUSTED})",
        ),
    ],
    ids=["self-signed", "unknown-ca"],
)
async def test_an_untrusted_certificate_is_a_tls_error_retried_with_backoff_while_others_live(
    ca: trustme.CA, tmp_path: Path, plain: Simulator, certificate: str, reason: str
) -> None:
    if certificate == "self-signed":
        context = self_signed_context(ca, tmp_path)
    else:
        context = server_context(ca, "localhost")
    async with wss_server(context) as port:
        bad = feed("bad", f"wss://localhost:{port}/", stale_after=1.0)
        good = feed("good", plain.url("/ticker"), stale_after=0.5)
        async with Running(bad, good) as run:
            await wait_until(lambda: len(run.rec.of(EventKind.ERROR, "bad")) >= 3)
            errors = run.rec.of(EventKind.ERROR, "bad")
            assert {(e.fields["kind"], e.reason) for e in errors} == {("tls", reason)}
            retries = run.rec.of(EventKind.RECONNECTING, "bad")
            assert [e.fields["attempt"] for e in retries[:3]] == [1, 2, 3]
            assert all(e.fields["delay_seconds"] > 0 for e in retries)
            assert not run.rec.of(EventKind.CONNECTED, "bad")
            # The other feed never noticed.
            assert run.state("good") == "live"
            assert not run.rec.of(EventKind.STALE, "good")
            assert not run.rec.of(EventKind.ERROR, "good")
            # The worker is still trying, not dead: a later attempt fails the same way.
            await run.rec.wait(tls_error("bad"), after=len(run.rec.events))


async def test_ca_file_trusts_a_private_ca_and_the_feed_goes_live(
    ca: trustme.CA, ca_file: Path
) -> None:
    async with wss_server(server_context(ca, "localhost")) as port:
        private = trusting(ca_file.parent, f"wss://localhost:{port}/")
        assert private.tls.ca_file == ca_file  # relative to the config file
        async with Running(private) as run:
            await run.rec.wait_kind(EventKind.CONNECTED)
            await wait_until(lambda: run.state("private") == "live")
            assert not run.rec.of(EventKind.ERROR)


async def test_a_certificate_for_another_host_is_a_hostname_mismatch(
    ca: trustme.CA, ca_file: Path
) -> None:
    async with wss_server(server_context(ca, "feeds.example.com")) as port:
        private = trusting(ca_file.parent, f"wss://localhost:{port}/")
        async with Running(private) as run:
            error = await run.rec.wait(tls_error("private"))
            assert error.fields["kind"] == "tls"
            assert error.reason == MISMATCH
            await run.rec.wait_kind(EventKind.RECONNECTING, "private")


# -- the same over HTTP: SSE and http-poll --------------------------------------------------------


@pytest.mark.parametrize(
    ("hosts", "trusted", "expected"),
    [
        (("localhost",), True, None),
        (("feeds.example.com",), True, MISMATCH),
        (
            ("localhost",),
            False,
            f"TLS certificate rejected: unable to get local issuer certificate ({UNTRUSTED})",
        ),
    ],
    ids=["trusted", "other-host", "unknown-ca"],
)
async def test_an_https_sse_feed_trusts_ca_file_and_names_what_is_wrong(
    ca: trustme.CA, ca_file: Path, hosts: tuple[str, ...], trusted: bool, expected: str | None
) -> None:
    async with https_server(server_context(ca, *hosts)) as port:
        url = f"https://localhost:{port}/events"
        if trusted:
            sse = trusting(ca_file.parent, url, transport='"sse"')
        else:
            sse = feed("private", url, stale_after=1.0, transport="sse")
        async with Running(sse) as run:
            if expected is None:
                await wait_until(lambda: run.state("private") == "live")
                assert not run.rec.of(EventKind.ERROR)
            else:
                error = await run.rec.wait(tls_error("private"))
                assert (error.fields["kind"], error.reason) == ("tls", expected)


async def test_an_https_health_endpoint_is_polled_through_a_private_ca(
    ca: trustme.CA, ca_file: Path
) -> None:
    async with https_server(server_context(ca, "localhost")) as port:
        url = f"https://localhost:{port}/health"
        poll = trusting(ca_file.parent, url, transport='"http-poll"', every='"100ms"')
        async with Running(poll) as run:
            await wait_until(lambda: run.state("private") == "live")
            assert not run.rec.of(EventKind.ERROR)


# -- a TLS URL on a server that speaks no TLS -----------------------------------------------------


async def test_a_plain_websocket_server_behind_wss_is_a_quick_clear_tls_error(
    plain: Simulator,
) -> None:
    url = plain.url("/ticker").replace("ws://127.0.0.1", "wss://localhost")
    started = time.monotonic()
    async with Running(feed("mislabelled", url, open_timeout=5.0)) as run:
        error = await run.rec.wait(tls_error("mislabelled"))
    assert time.monotonic() - started < 2.0  # refused at once, not after open_timeout
    assert error.fields["kind"] == "tls"
    assert (
        error.reason == f"TLS handshake failed: the server closed the connection ({NOT_TLS_HINT})"
    )


async def test_a_plain_http_server_behind_https_is_a_quick_clear_tls_error() -> None:
    async with https_server(None) as port:
        url = f"https://localhost:{port}/events"
        started = time.monotonic()
        async with Running(feed("mislabelled", url, transport="sse", open_timeout=5.0)) as run:
            error = await run.rec.wait(tls_error("mislabelled"))
    assert time.monotonic() - started < 2.0
    assert (error.fields["kind"], error.reason) == (
        "tls",
        f"TLS handshake failed: the answer is not TLS ({NOT_TLS_HINT})",
    )


@pytest.mark.parametrize(
    ("scheme", "transport"), [("wss", "websocket"), ("https", "sse"), ("https", "http-poll")]
)
async def test_a_server_that_never_answers_the_tls_hello_times_out_at_open_timeout(
    scheme: str, transport: str
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        url = f"{scheme}://localhost:{port}/"
        silent_feed = feed("silent", url, transport=transport, open_timeout=0.4)
        async with Running(silent_feed) as run:
            started = time.monotonic()
            error = await run.rec.wait(tls_error("silent"))
            waited = time.monotonic() - started
            await run.rec.wait_kind(EventKind.RECONNECTING, "silent")
    finally:
        server.close()
        await server.wait_closed()
    assert (error.fields["kind"], error.reason) == (
        "timeout",
        "timed out during the opening handshake",
    )
    assert 0.3 < waited < 1.5


# -- tls.ca_file in the config --------------------------------------------------------------------


def _config(tmp_path: Path, tls: str, url: str = "wss://feeds.example.com/ws") -> Path:
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        f'[[feeds]]\nname = "private"\nurl = "{url}"\nstale_after = "30s"\n\n[feeds.tls]\n{tls}\n',
        encoding="utf-8",
    )
    return path


def _problem(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert len(caught.value.problems) == 1, str(caught.value)
    return str(caught.value.problems[0])


def test_a_missing_ca_file_is_named_with_where_it_was_looked_for(tmp_path: Path) -> None:
    path = _config(tmp_path, 'ca_file = "certs/ca.pem"')
    assert _problem(path) == (
        'feed "private": tls.ca_file: expected a PEM file of CA certificates, found '
        f'"certs/ca.pem": {tmp_path / "certs" / "ca.pem"} does not exist'
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"just some text\n", 'holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)'),
        (b"", "holds no PEM certificate"),
        (
            b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",
            "holds a damaged PEM certificate",
        ),
    ],
    ids=["text", "empty", "damaged"],
)
def test_a_ca_file_that_is_not_a_pem_bundle_is_a_located_error(
    tmp_path: Path, content: bytes, says: str
) -> None:
    (tmp_path / "ca.pem").write_bytes(content)
    problem = _problem(_config(tmp_path, 'ca_file = "ca.pem"'))
    assert problem.startswith(
        'feed "private": tls.ca_file: expected a PEM file of CA certificates, found "ca.pem": '
        f"{tmp_path / 'ca.pem'} "
    )
    assert says in problem


def test_a_private_key_is_not_a_ca_bundle(ca: trustme.CA, tmp_path: Path) -> None:
    ca.private_key_pem.write_to_path(str(tmp_path / "ca.pem"))
    assert "holds no PEM certificate" in _problem(_config(tmp_path, 'ca_file = "ca.pem"'))


def test_a_directory_is_not_a_ca_file(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    assert _problem(_config(tmp_path, 'ca_file = "certs"')).endswith(
        f"{tmp_path / 'certs'} is a directory"
    )


def test_ca_file_on_a_url_without_tls_is_an_error_not_a_silent_no_op(
    ca_file: Path,
) -> None:
    path = _config(ca_file.parent, 'ca_file = "private-ca.pem"', url="ws://feeds.example.com/ws")
    assert _problem(path) == (
        'feed "private": tls.ca_file: has no effect on a ws:// URL, which does not use TLS '
        "(use wss:// to connect with TLS)"
    )


def test_ca_file_expands_variables_and_the_home_directory(
    ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(ca_file.parent))
    path = _config(ca_file.parent, 'ca_file = "~/${CA_NAME}"')
    (loaded,) = load_config(path, environ={"CA_NAME": "private-ca.pem"}).feeds
    assert loaded.tls.ca_file == ca_file
    assert loaded.tls.context is not None
    assert "private-ca.pem" not in loaded.secrets  # a file name is not a secret


def test_ca_file_written_as_a_feed_key_says_where_it_belongs(tmp_path: Path) -> None:
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        '[[feeds]]\nname = "private"\nurl = "wss://feeds.example.com/ws"\n'
        'stale_after = "30s"\nca_file = "ca.pem"\n',
        encoding="utf-8",
    )
    assert _problem(path) == (
        'feed "private": unknown key "ca_file"; it belongs in the feed\'s [feeds.tls] table'
    )


def test_check_config_reports_a_bad_ca_file_with_exit_status_2(tmp_path: Path) -> None:
    path = _config(tmp_path, 'ca_file = "missing.pem"')
    done = subprocess.run(
        [sys.executable, "-m", "feedwatch", "check-config", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert 'tls.ca_file: expected a PEM file of CA certificates, found "missing.pem": ' in (
        done.stderr
    )
