"""Tailing a log file: each new line is a message; rotation is followed.

The file is checked every ``POLL_INTERVAL`` with a read and an ``os.stat``; a new inode at
the path (rename and recreate) is opened from its start, and a file shorter than what was
read (truncate, copytruncate) is read again from its start. Staleness itself is the
monitor's deadline, as for every transport.
"""

from __future__ import annotations

import asyncio
import os
from typing import BinaryIO

from feedwatch.config.model import FeedConfig
from feedwatch.transports.connection import Failure, OpenFailed, Plain

POLL_INTERVAL = 0.1
CHUNK = 65536


def _open(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise OpenFailed(Failure("file", f"cannot open {path}: {exc.strerror or exc}")) from exc


async def open_tail(feed: FeedConfig) -> FileTail:
    """Open the file at its end: history is not replayed."""
    assert feed.path is not None
    file = _open(feed.path)
    file.seek(0, os.SEEK_END)
    return FileTail(feed.path, file, feed.max_size)


class FileTail(Plain):
    """One log file being followed."""

    def __init__(self, path: str, file: BinaryIO, max_size: int) -> None:
        self.path = path
        self.file = file
        self.max_size = max_size
        self.lines: list[bytes] = []
        self.partial = b""

    async def recv(self) -> bytes:
        while True:
            if self.lines:
                return self.lines.pop(0)
            chunk = self.file.read(CHUNK)
            if chunk:
                self._split(chunk)
                continue
            self._follow_rotation()
            if not self.lines:
                await asyncio.sleep(POLL_INTERVAL)

    def _split(self, chunk: bytes) -> None:
        *complete, self.partial = (self.partial + chunk).split(b"\n")
        self.lines.extend(line.rstrip(b"\r") for line in complete if line.strip())
        if len(self.partial) > self.max_size:  # a runaway line: take what fits as one message
            self.lines.append(self.partial[: self.max_size])
            self.partial = b""

    def _follow_rotation(self) -> None:
        try:
            at_path = os.stat(self.path)
        except FileNotFoundError:
            return  # renamed away, not recreated yet
        current = os.fstat(self.file.fileno())
        if (at_path.st_ino, at_path.st_dev) != (current.st_ino, current.st_dev):
            try:
                replacement = _open(self.path)
            except OpenFailed:
                return
            self.file.close()
            self.file, self.partial = replacement, b""
        elif at_path.st_size < self.file.tell():
            self.file.seek(0)
            self.partial = b""

    async def close(self) -> None:
        self.file.close()
