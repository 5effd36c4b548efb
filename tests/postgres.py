"""A throwaway PostgreSQL server for tests: initdb into a temporary directory, listening only
on a private Unix socket (no TCP port), stopped and removed afterwards.

PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` user
(else ``nobody``), in a directory of its own under /tmp that user can reach (pytest's
tmp_path sits in a root-only directory). Tests that need one use the ``postgres`` fixture,
which skips with the reason when the binaries are missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

BINARIES = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "tester"
DATABASE = "feeds"
# A role that must give its password (scram-sha-256): for tests of dsn secrets.
READER = "reader"


def find_bindir() -> Path | None:
    """Where initdb, pg_ctl and postgres are: PATH first, then Debian's versioned dirs."""
    found = shutil.which("initdb")
    if found and all(shutil.which(name) for name in BINARIES):
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name or 0)
    )
    for candidate in reversed(versions):
        if all((Path(candidate) / name).is_file() for name in BINARIES):
            return Path(candidate)
    return None


MISSING = (
    "PostgreSQL binaries (initdb, pg_ctl, postgres) not found in PATH or "
    "/usr/lib/postgresql/*/bin; install Debian's postgresql package"
)


class PostgresServer:
    """One private cluster: ``start``, ``stop``, ``dsn`` and ``execute`` as the superuser."""

    def __init__(self, bindir: Path, reader_password: str = "pw-s3cret-4711") -> None:
        self.bindir = bindir
        self.reader_password = reader_password
        self.root = Path(tempfile.mkdtemp(prefix="fw-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.socket_dir.mkdir()
        self.log = self.root / "server.log"
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self.user = _unprivileged()
            for path in (self.root, self.socket_dir):
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8", "--no-sync",
                  "--auth=trust")  # fmt: skip
        (self.data / "pg_hba.conf").write_text(
            f"local all {READER} scram-sha-256\nlocal all all trust\n"
        )
        self.start()
        self.execute(f"CREATE DATABASE {DATABASE}", database="postgres")
        self.execute(f"CREATE ROLE {READER} LOGIN PASSWORD '{reader_password}'")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.user is not None:
            command = ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}",
                       "--clear-groups", *command]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stderr}{done.stdout}{log}")

    def start(self) -> None:
        options = f"-c listen_addresses='' -k {self.socket_dir} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def dsn(self, user: str = SUPERUSER, password: str | None = None) -> str:
        """A postgresql:// URL to the test database over the private socket."""
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{user}{secret}@/{DATABASE}?host={self.socket_dir}"

    def execute(self, statement: str, database: str = DATABASE) -> None:
        import psycopg

        dsn = f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _unprivileged() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and neither a postgres nor a nobody user exists")


def server_or_skip() -> PostgresServer:
    """A running server, or the test skipped with the reason it cannot have one."""
    import pytest

    pytest.importorskip("psycopg", reason="psycopg 3 is not installed (pip install feedwatch[sql])")
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(MISSING)
    return PostgresServer(bindir)
