"""A TCP proxy on 127.0.0.1 that can be told to misbehave, for the fault-injection tests.

It sits between feedwatch and a real server and forwards bytes both ways until told
otherwise:

- ``blackhole()``: the open connections stop forwarding in both directions and are not
  closed (a half-open path: a dead NAT entry, a frozen proxy). Data already in flight is
  held, never delivered. New connections forward normally.
- ``hang_new = True``: new connections are accepted and then nothing is forwarded (TCP is
  up, the HTTP handshake never answers).
- ``dribble = seconds``: server-to-client bytes are delivered one at a time, that far apart.
- ``reset()``: every open connection is torn down with a TCP RST (SO_LINGER 0), no FIN, no
  close frame.
- ``refuse()`` / ``listen()``: stop and start listening (connection refused in between).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

_CHUNK = 65536


class _Pair:
    """One client connection and its upstream, with the two pumps between them."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.frozen = False
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, downstream: bool
    ) -> None:
        try:
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    break
                while self.frozen or self.proxy.hang_new_for(self):
                    await asyncio.sleep(3600)  # held forever: nothing more moves
                delay = self.proxy.dribble if downstream else 0.0
                if delay:
                    for i in range(len(data)):
                        writer.write(data[i : i + 1])
                        await writer.drain()
                        await asyncio.sleep(delay)
                else:
                    writer.write(data)
                    await writer.drain()
            with contextlib.suppress(OSError):
                writer.write_eof()
        except (OSError, asyncio.IncompleteReadError):
            self.close()

    def close(self, rst: bool = False) -> None:
        for writer in self.writers:
            if rst:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                writer.transport.abort()
            else:
                writer.close()
        for task in self.tasks:
            task.cancel()


class FaultProxy:
    """Forwards 127.0.0.1:port to an upstream, with faults switched on at will."""

    def __init__(self, upstream_port: int, port: int = 0) -> None:
        self.upstream_port = upstream_port
        self.port = port
        self.hang_new = False
        self.dribble = 0.0
        self.accepted = 0
        self._hung: set[_Pair] = set()
        self._pairs: set[_Pair] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> FaultProxy:
        await self.listen()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.refuse()
        for pair in list(self._pairs):
            pair.close()

    def url(self, path: str = "/", scheme: str = "ws") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        """Stop listening: new connections are refused (open ones carry on)."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def blackhole(self) -> int:
        """Freeze every open connection, both ways, without closing it; how many froze."""
        for pair in self._pairs:
            pair.frozen = True
        return len(self._pairs)

    def reset(self) -> int:
        """Tear every open connection down with a TCP RST; how many were reset."""
        pairs = list(self._pairs)
        for pair in pairs:
            pair.close(rst=True)
        self._pairs.clear()
        return len(pairs)

    def hang_new_for(self, pair: _Pair) -> bool:
        return pair in self._hung

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        pair = _Pair(self)
        self._pairs.add(pair)
        if self.hang_new:
            self._hung.add(pair)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            self._pairs.discard(pair)
            return
        pair.writers = [writer, up_writer]
        pair.tasks = [
            asyncio.create_task(pair.pump(reader, up_writer, downstream=False)),
            asyncio.create_task(pair.pump(up_reader, writer, downstream=True)),
        ]
        try:
            await asyncio.gather(*pair.tasks, return_exceptions=True)
        finally:
            pair.close()
            self._pairs.discard(pair)
            self._hung.discard(pair)
