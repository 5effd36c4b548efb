"""Connect-time failures become reasons a person can act on."""

from __future__ import annotations

import socket
import ssl

from feedwatch.transports.websocket import describe_failure


def test_dns_failure_says_dns() -> None:
    failure = describe_failure(socket.gaierror(-2, "Name or service not known"), 0.0)
    assert failure.kind == "dns"
    assert failure.reason == "DNS lookup failed: Name or service not known"


def test_certificate_failure_says_tls() -> None:
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_message = "self-signed certificate"
    failure = describe_failure(exc, 0.0)
    assert failure.kind == "tls"
    assert "self-signed certificate" in failure.reason


def test_timeout_and_refused_are_named() -> None:
    assert describe_failure(TimeoutError(), 0.0).kind == "timeout"
    assert describe_failure(ConnectionRefusedError(111, "refused"), 0.0).reason == (
        "connection refused"
    )
