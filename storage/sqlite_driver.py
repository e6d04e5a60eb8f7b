"""SQLite on the event loop's own thread, with transactions that wait without blocking it.

SQLAlchemy's aiosqlite dialect drives an aiosqlite connection: every call on it is a
hand-off to the connection's thread (the loop queues the call, the thread wakes, runs it
and wakes the loop back through a pipe, an epoll round and a task step). A statement of
this bot takes SQLite tens of microseconds; the hand-off cost ten times that, in CPU, on
every statement, and it was most of what an update cost (bench/bench_updates.py).

Here the connection is SQLite's own, used on the loop's thread: a statement runs at once,
its rows, description, ``rowcount`` and ``lastrowid`` read together (the cursor is
buffered, as SQLAlchemy's adapter buffers a result anyway). Nothing in the loop can wait
on SQLite while it runs: SQLite's busy timeout is 0, and the one place a connection waits
for another, the write lock every transaction takes with ``BEGIN IMMEDIATE``
(``storage.db``), is awaited instead:

* within the process, the transactions on one database file queue on an asyncio lock, in
  arrival order (SQLite would have let only one of them write at a time anyway);
* against another process (a worker, a second bot process, ``sqlite3`` by hand), a busy
  ``BEGIN IMMEDIATE`` is retried after an asyncio sleep that grows from 1 to 50 ms,
  until the busy timeout ``storage.db`` gives (then SQLite's own "database is locked").

So a transaction that awaits something else (it should not: no transaction across the
network) only holds up the other transactions, as SQLite's lock did, never the loop.
A long statement does hold the loop while it runs; this bot's statements are short (the
largest, a year's report, reads in milliseconds; its PDF is built outside the
transaction, in a thread).

The connection is what SQLAlchemy's aiosqlite adapter expects of aiosqlite's (awaitable
to connect; ``cursor``, ``execute``, ``commit``, ``rollback``, ``close``, ``stop``,
``create_function`` as coroutines). A commit or rollback with no transaction open (the
pool rolls back every connection it gets back, even after a commit) does nothing.
``make_engine`` hands :func:`connect` to the dialect through its ``async_creator_fn``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from typing import Any

Description = tuple[tuple[Any, ...], ...] | None

# The busy ``BEGIN IMMEDIATE`` against another process: first and longest pause (seconds).
FIRST_RETRY = 0.001
LONGEST_RETRY = 0.05

# One queue per database file and event loop (an asyncio.Lock belongs to one loop).
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _gate(database: str) -> asyncio.Lock | None:
    """The in-process queue of ``database``'s writers; none for a private in-memory one."""
    if database in ("", ":memory:") or "mode=memory" in database:
        return None
    loop = asyncio.get_running_loop()
    per_loop = _gates.setdefault(loop, {})
    lock = per_loop.get(database)
    if lock is None:
        lock = per_loop[database] = asyncio.Lock()
    return lock


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class BufferedCursor:
    """The cursor SQLAlchemy's adapter drives: the statement runs, and is read, at once."""

    __slots__ = ("_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def _run(self, sql: str, parameters: Any, many: bool) -> BufferedCursor:
        cursor = self._connection.sqlite.cursor()
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            self.description = cursor.description
            self._rows = deque(cursor.fetchall() if cursor.description else ())
            self.rowcount = cursor.rowcount
            self.lastrowid = cursor.lastrowid
        finally:
            cursor.close()
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> BufferedCursor:
        return self._run(sql, () if parameters is None else parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> BufferedCursor:
        return self._run(sql, parameters, True)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        size = self.arraysize if size is None else size
        rows = self._rows
        return [rows.popleft() for _ in range(min(size, len(rows)))]

    async def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()  # the SQLite cursor was closed already

    async def __aenter__(self) -> BufferedCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __await__(self) -> Generator[Any, None, BufferedCursor]:
        return self.__aenter__().__await__()


class Connection:
    """One SQLite connection, used on the event loop's thread (see the module's text)."""

    def __init__(self, database: str, busy_timeout: float, **kwargs: Any) -> None:
        kwargs.pop("iter_chunk_size", None)
        kwargs["timeout"] = 0  # never block the loop: the write lock is awaited instead
        kwargs["check_same_thread"] = False  # the pool may close it from its own thread
        kwargs["isolation_level"] = None  # no implicit BEGIN: storage.db begins IMMEDIATE
        self._sqlite: sqlite3.Connection | None = sqlite3.connect(database, **kwargs)
        self.busy_timeout = busy_timeout
        self._gate = _gate(database)
        self._holding = False

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._connected().__await__()

    async def _connected(self) -> Connection:
        return self

    @property
    def sqlite(self) -> sqlite3.Connection:
        if self._sqlite is None:
            raise ValueError("Connection closed")
        return self._sqlite

    @property
    def _connection(self) -> sqlite3.Connection | None:
        # SQLAlchemy's adapter skips commit and rollback on a closed connection by this.
        return self._sqlite

    @property
    def isolation_level(self) -> str | None:
        # Always None (no implicit BEGIN); nothing here sets another (storage.db begins).
        return self.sqlite.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._sqlite is not None and self._sqlite.in_transaction

    def cursor(self) -> BufferedCursor:
        return BufferedCursor(self)

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> BufferedCursor:
        return await self.cursor().execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.sqlite.create_function(*args, **kwargs)

    async def begin_immediate(self) -> None:
        """``BEGIN IMMEDIATE``: wait for this process's other writers in turn, then for
        another process's, without blocking the loop; give up after the busy timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_timeout
        if self._gate is not None and not self._holding:
            if self._gate.locked():
                try:
                    await asyncio.wait_for(self._gate.acquire(), self.busy_timeout)
                except TimeoutError:
                    raise sqlite3.OperationalError("database is locked") from None
            else:
                await self._gate.acquire()  # free: taken at once, the loop not even entered
            self._holding = True
        pause = FIRST_RETRY
        try:
            while True:
                try:
                    self.sqlite.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not _busy(exc) or loop.time() + pause > deadline:
                        raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_RETRY)
        except BaseException:
            self._let_go()
            raise

    def _let_go(self) -> None:
        """The transaction ended (or never began): the next writer in this process goes."""
        if self._holding:
            self._holding = False
            assert self._gate is not None
            self._gate.release()

    async def commit(self) -> None:
        try:
            if self.in_transaction:
                self.sqlite.commit()
        finally:
            if not self.in_transaction:
                self._let_go()

    async def rollback(self) -> None:
        # The pool rolls back every connection it gets back, even right after a commit:
        # with no transaction open there is nothing to undo.
        try:
            if self.in_transaction:
                self.sqlite.rollback()
        finally:
            self._let_go()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate); an open transaction is rolled back."""
        sqlite, self._sqlite = self._sqlite, None
        try:
            if sqlite is not None:
                sqlite.close()
        finally:
            self._let_go()


def connect(database: str, **kwargs: Any) -> Connection:
    """Like ``aiosqlite.connect`` (await it): SQLite's connection on the loop's thread.
    ``timeout`` is how long a transaction may wait for the write lock (seconds)."""
    busy_timeout = float(kwargs.pop("timeout", 5.0))
    return Connection(database, busy_timeout, **kwargs)
