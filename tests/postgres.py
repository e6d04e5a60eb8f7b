"""A real PostgreSQL server for the tests, started by the test session itself.

Loaded as a pytest plugin (``pytest_plugins = ["tests.postgres"]`` in tests/conftest.py).

The server lives in a temporary directory: ``initdb`` (trust auth, C locale, no fsync), then
``pg_ctl start -w`` listening on 127.0.0.1 on a free port (its unix socket in the same directory),
and at the end of the session ``pg_ctl stop`` and the directory is removed. PostgreSQL refuses
to run as root, so as root the server runs as the ``postgres`` system user (``runuser``/``su``).

Fixtures:

* ``postgres_url`` (session): ``postgresql+asyncpg://postgres@127.0.0.1:PORT/redebot_test``,
  one database shared by the whole session.
* ``postgres_db_url`` (function): a fresh, empty database for one test, dropped afterwards.
* ``postgres_migrated_url`` (function): the same, already migrated (a copy of a template
  migrated once per session).

Without the server binaries the tests that use these fixtures are skipped, or fail when
``REDEBOT_REQUIRE_POSTGRES=1`` (as in CI).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url

REQUIRE_ENV = "REDEBOT_REQUIRE_POSTGRES"
SUPERUSER = "postgres"
SYSTEM_USER = "postgres"  # the Unix account that runs the server when we are root
SESSION_DB = "redebot_test"
MAINTENANCE_DB = "postgres"
HOST = "127.0.0.1"

_T = TypeVar("_T")


class PostgresStartError(RuntimeError):
    """The server binaries are there but the server could not be set up."""


@dataclass(frozen=True)
class PgBinaries:
    initdb: Path
    pg_ctl: Path


def _version_key(bindir: Path) -> tuple[int, ...]:
    """Sort key of /usr/lib/postgresql/<version>/bin (``15``, or ``9.6`` for old ones)."""
    parts = bindir.parent.name.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (-1,)


def find_pg_binaries() -> PgBinaries | None:
    """``initdb`` and ``pg_ctl``: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return PgBinaries(Path(initdb), Path(pg_ctl))
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if os.access(bindir / "initdb", os.X_OK) and os.access(bindir / "pg_ctl", os.X_OK):
            return PgBinaries(bindir / "initdb", bindir / "pg_ctl")
    return None


def asyncpg_dsn(url: str) -> str:
    """The DSN asyncpg takes, from an SQLAlchemy URL (``postgresql+asyncpg://`` -> ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _run_coro(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` to completion on its own loop, in a worker thread.

    Safe whether or not the calling thread already runs an event loop (pytest-asyncio's).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class PostgresServer:
    """One throw-away PostgreSQL cluster in a temporary directory."""

    bins: PgBinaries
    port: int = 0
    root: Path | None = None
    _as_root: bool = field(default_factory=lambda: os.geteuid() == 0)

    @property
    def datadir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    def url(self, dbname: str) -> str:
        """SQLAlchemy async URL of ``dbname`` on this server."""
        return f"postgresql+asyncpg://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    # -- processes -------------------------------------------------------------------------

    def _command(self, argv: list[str]) -> list[str]:
        """``argv`` run as the server's user: ourselves, or ``postgres`` when we are root."""
        if not self._as_root:
            return argv
        if runuser := shutil.which("runuser"):
            return [runuser, "-u", SYSTEM_USER, "--", *argv]
        if su := shutil.which("su"):
            return [su, "-s", "/bin/sh", SYSTEM_USER, "-c", shlex.join(argv)]
        raise PostgresStartError("running as root, but neither runuser nor su is available")

    def _run(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        return subprocess.run(
            self._command(argv),
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.logfile.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self._make_root()
            self._initdb()
            self._start_server()
            self.execute(f"CREATE DATABASE {_quote_ident(SESSION_DB)}")
        except BaseException:
            self.stop()
            raise

    def _make_root(self) -> None:
        # As root the directory must be reachable by the postgres user: /tmp, not $TMPDIR.
        self.root = Path(
            tempfile.mkdtemp(prefix="redebot-pg-", dir="/tmp" if self._as_root else None)
        )
        if self._as_root:
            try:
                account = pwd.getpwnam(SYSTEM_USER)
            except KeyError as exc:
                raise PostgresStartError(
                    f"running as root, but there is no {SYSTEM_USER!r} system user to run the "
                    "server as (it comes with the postgresql package)"
                ) from exc
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.root.chmod(0o700)

    def _initdb(self) -> None:
        argv = [
            str(self.bins.initdb),
            "--pgdata",
            str(self.datadir),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        ]
        done = self._run(argv, timeout=180)
        if done.returncode != 0:
            raise PostgresStartError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        settings = {
            "listen_addresses": f"'{HOST}'",
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.write("\n# redebot test server\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _start_server(self) -> None:
        for _attempt in range(5):
            self.port = _free_port()
            argv = [
                str(self.bins.pg_ctl),
                "--pgdata",
                str(self.datadir),
                "--log",
                str(self.logfile),
                "--options",
                f"-p {self.port}",
                "--wait",
                "--timeout",
                "60",
                "start",
            ]
            done = self._run(argv, timeout=90)
            if done.returncode == 0:
                return
            log = self._log_tail()
            if "could not bind" not in log and "already in use" not in log:
                raise PostgresStartError(
                    f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\nserver log:\n{log}"
                )
        raise PostgresStartError(f"no free port for the server:\n{self._log_tail()}")

    def stop(self) -> None:
        """Stop the server (if it runs) and remove its directory; never raises."""
        if self.root is None:
            return
        if (self.datadir / "postmaster.pid").exists():
            argv = [str(self.bins.pg_ctl), "--pgdata", str(self.datadir), "--mode", "fast"]
            try:
                done = self._run([*argv, "--wait", "--timeout", "30", "stop"], timeout=60)
                stopped = done.returncode == 0
            except (OSError, subprocess.SubprocessError, PostgresStartError):
                stopped = False
            if not stopped:
                self._kill_postmaster()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def _kill_postmaster(self) -> None:
        try:
            pid = int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        for sig, wait in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    # -- SQL -------------------------------------------------------------------------------

    def execute(self, *statements: str) -> None:
        """Run ``statements`` on the maintenance database (outside a transaction)."""

        async def run() -> None:
            conn = await asyncpg.connect(
                host=HOST, port=self.port, user=SUPERUSER, database=MAINTENANCE_DB, timeout=30
            )
            try:
                for statement in statements:
                    await conn.execute(statement)
            finally:
                await conn.close()

        _run_coro(run())

    def drop_database(self, name: str) -> None:
        """Drop ``name``, closing whatever connections a test left open to it."""
        literal = "'" + name.replace("'", "''") + "'"
        self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = {literal} AND pid <> pg_backend_pid()",
            f"DROP DATABASE IF EXISTS {_quote_ident(name)}",
        )


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1, so this is an error)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running PostgreSQL server for the whole session (stopped and removed at its end)."""
    bins = find_pg_binaries()
    if bins is None:
        _unavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH nor in "
            "/usr/lib/postgresql/*/bin; install them: apt-get install postgresql"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            _unavailable(
                f"running as root, and PostgreSQL refuses root: the {SYSTEM_USER!r} system user "
                "to run it as is missing (the postgresql package creates it)"
            )
    server = PostgresServer(bins)
    try:
        server.start()
    except PostgresStartError as exc:
        pytest.fail(f"could not start a PostgreSQL test server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy async URL of a database shared by the whole test session."""
    return postgres_server.url(SESSION_DB)


_db_numbers = itertools.count(1)
MIGRATED_TEMPLATE = "redebot_migrated_template"


@pytest.fixture
def postgres_db_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy async URL of a fresh, empty database for this test only."""
    name = f"test_{next(_db_numbers)}"
    postgres_server.execute(f"CREATE DATABASE {_quote_ident(name)}")
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A database migrated to the newest revision once per session, by the migrations
    start-up runs; tests get copies of it (``CREATE DATABASE … TEMPLATE``)."""
    from storage.db import make_engine, migrate

    name = MIGRATED_TEMPLATE
    postgres_server.drop_database(name)
    postgres_server.execute(f"CREATE DATABASE {_quote_ident(name)}")

    async def run() -> None:
        engine = make_engine(postgres_server.url(name))
        try:
            await migrate(engine)
        finally:
            await engine.dispose()  # a template must have no connection when copied

    _run_coro(run())
    return name


@pytest.fixture
def postgres_migrated_url(postgres_server: PostgresServer, postgres_template: str) -> Iterator[str]:
    """SQLAlchemy async URL of a fresh database for this test, already migrated (a copy of
    the session's template: the migrations run once, not once per test)."""
    name = f"test_{next(_db_numbers)}"
    postgres_server.execute(
        f"CREATE DATABASE {_quote_ident(name)} TEMPLATE {_quote_ident(postgres_template)}"
    )
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)
