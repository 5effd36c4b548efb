"""The health server's listen address as people write it: "host:port", "[v6]:port", ":port"."""

from __future__ import annotations

import ipaddress
import re

EXPECTED_LISTEN = 'an address like "127.0.0.1:9321", "[::1]:9321" or ":9321"'

_HOST = re.compile(r"[A-Za-z0-9.-]+")


def parse_listen(value: str | int) -> tuple[str, int]:
    """Split "host:port", "[v6]:port" or ":port"; the ValueError says what is wrong."""
    if isinstance(value, int):
        host, port = "", str(value)
    elif value.strip().startswith("["):
        match = re.fullmatch(r"\s*\[([^\]]*)\]:(\S*)\s*", value)
        if match is None:
            raise ValueError('an IPv6 address is written like "[::1]:9321"')
        host, port = match.groups()
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f'"{host}" is not an IPv6 address') from None
    else:
        host, colon, port = value.strip().rpartition(":")
        if not colon:
            raise ValueError("no port; add one, as in :9321")
        if ":" in host:
            raise ValueError("put an IPv6 address in brackets, as in [::1]:9321")
        if host and not _HOST.fullmatch(host):
            raise ValueError(f'"{host}" is not a host name or IP address')
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise ValueError("the port must be a number from 1 to 65535")
    return host or "127.0.0.1", int(port)


def exposure_warning(host: str, port: int, token: str | None) -> str | None:
    """A warning when /health and /metrics are open beyond this machine with no token."""
    if token or _is_loopback(host):
        return None
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return (
        f'[server] listen = "{shown}" serves /health and /metrics beyond this machine '
        "without a token: anyone who can reach the port sees your feeds' names and states. "
        'Set [server] token (token = "${FEEDWATCH_TOKEN}"), or listen on 127.0.0.1'
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to, assume it is reachable
