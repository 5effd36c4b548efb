"""The command channel: run a program (no shell) with the alert in its env and stdin."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal

from feedwatch.alerts.alert import FAILED, SENT, TIMEOUT, Alert, Delivery
from feedwatch.alerts.payloads import command_env, json_payload
from feedwatch.config.model import AlertChannel

STDERR_TAIL = 300  # characters of a failing command's stderr kept in its event


class CommandSender:
    """One process per alert, killed (with its process group) when it outlives the timeout."""

    def __init__(self, channel: AlertChannel, withhold: tuple[str, ...] = ()) -> None:
        self._channel = channel
        self._withhold = withhold  # secrets no inherited variable may carry to the command

    async def send(self, alert: Alert) -> Delivery:
        channel = self._channel
        stdin = json.dumps(json_payload(alert, channel.name)).encode() + b"\n"
        inherited = {k: v for k, v in os.environ.items() if not any(s in v for s in self._withhold)}
        env = {**inherited, **command_env(alert, channel.name)}
        try:
            proc = await asyncio.create_subprocess_exec(
                *channel.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                start_new_session=True,  # its own process group: a timeout kills it all
            )
        except OSError as exc:
            return Delivery(FAILED, error=f"cannot run {channel.argv[0]}: {exc.strerror or exc}")
        try:
            _, err = await asyncio.wait_for(proc.communicate(stdin), channel.timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            return Delivery(
                TIMEOUT,
                exit_code=proc.returncode,
                error=f"still running after {channel.timeout:g}s; killed",
            )
        code = proc.returncode
        if code == 0:
            return Delivery(SENT, exit_code=0)
        tail = err.decode(errors="replace").strip().splitlines()
        reason = f"exited with status {code}" + (f": {tail[-1][-STDERR_TAIL:]}" if tail else "")
        return Delivery(FAILED, exit_code=code, error=reason)

    async def close(self) -> None:
        return None
