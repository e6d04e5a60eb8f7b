"""SQLite on the event loop's own thread, with transactions that wait without blocking it.

SQLAlchemy's aiosqlite dialect drives an aiosqlite connection: every call on it is a
hand-off to the connection's thread (the loop queues the call, the thread wakes, runs it
and wakes the loop back through a pipe, an epoll round and a task step). A statement of
this bot takes SQLite tens of microseconds; the hand-off cost ten times that, in CPU, on
every statement, and a context switch or more each (bench/bench_updates.py: 37 context
switches per update with it, under 3 without).

Here the connection is SQLite's own, used on the loop's thread: a statement runs at once,
its rows, description, ``rowcount`` and ``lastrowid`` read together (the cursor is
buffered, as SQLAlchemy's adapter buffers a result anyway). Nothing in the loop can wait
on SQLite while it runs: SQLite's busy timeout is 0, and the one place a connection waits
for another, the write lock every transaction takes with ``BEGIN IMMEDIATE``
(``storage.db``), is awaited instead:

* within the process, the transactions on one database file queue at its :class:`Gate`,
  in arrival order (SQLite would have let only one of them write at a time anyway);
* against another process (a worker, a second bot process, ``sqlite3`` by hand), a busy
  ``BEGIN IMMEDIATE`` is retried after an asyncio sleep that grows from 1 to 50 ms,
  until the busy timeout ``storage.db`` gives (then SQLite's own "database is locked").

So a transaction that awaits something else (it should not: no transaction across the
network) only holds up the other transactions, as SQLite's lock did, never the loop.
A long statement does hold the loop while it runs; this bot's statements are short and
indexed (a dispatcher round over a million pending rows takes about 13 ms,
bench/bench_idle.py), and its slow work (PDFs, files) runs outside transactions, in
threads.

The connection is what SQLAlchemy's aiosqlite adapter expects of aiosqlite's (awaitable
to connect; ``cursor``, ``execute``, ``commit``, ``rollback``, ``close``, ``stop``,
``create_function`` as coroutines). A commit or rollback with no transaction open (the
pool rolls back every connection it gets back, even after a commit) does nothing.
``make_engine`` hands :func:`connect` to the dialect through its ``async_creator_fn``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from typing import Any

Description = tuple[tuple[Any, ...], ...] | None

# The busy ``BEGIN IMMEDIATE`` against another process: first and longest pause (seconds).
FIRST_RETRY = 0.001
LONGEST_RETRY = 0.05


class Gate:
    """The writers of one database file in one event loop, in turn: first come, first
    served, each waiting at most ``within`` seconds. Like ``asyncio.Lock`` (a free gate
    is taken without entering the loop), with the timeout inside: a writer that arrives
    as the gate is handed on still queues under its timeout, and a writer granted the
    gate as it is cancelled or times out hands it on at once."""

    __slots__ = ("held", "waiters")

    def __init__(self) -> None:
        self.held = False
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def enter(self, within: float) -> None:
        if not self.held and not self.waiters:
            self.held = True
            return
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        self.waiters.append(turn)
        expiry = loop.call_later(within, _expire, turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self.leave()  # granted as we gave up: the next writer goes
            elif turn in self.waiters:
                self.waiters.remove(turn)
            raise
        finally:
            expiry.cancel()

    def leave(self) -> None:
        """Hand the gate to the oldest writer still waiting, or free it."""
        while self.waiters:
            turn = self.waiters.popleft()
            if not turn.done():
                turn.set_result(None)  # ``held`` stays True: handed over
                return
        self.held = False


def _expire(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_exception(TimeoutError())


# One gate per database file and event loop.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Gate]] = (
    weakref.WeakKeyDictionary()
)


def in_memory(database: str | None) -> bool:
    """Whether ``database`` (a file name or URI) is a private in-memory database."""
    return not database or database == ":memory:" or "mode=memory" in database


def _gate(database: str) -> Gate | None:
    """This loop's gate of ``database``; none for a private in-memory one."""
    if in_memory(database):
        return None
    per_loop = _gates.setdefault(asyncio.get_running_loop(), {})
    gate = per_loop.get(database)
    if gate is None:
        gate = per_loop[database] = Gate()
    return gate


class _Holding:
    """What a connection holds, kept apart from the connection: the SQLite connection and
    the gate. If the connection is garbage-collected unclosed, with its transaction open
    (SQLAlchemy drops such a connection), its finalizer still closes SQLite's (which rolls
    back and frees SQLite's lock; a reference cycle in sqlite3's statement cache would
    keep it open until a later collection) and lets the gate go, on the gate's loop,
    whatever thread the collector runs in."""

    __slots__ = ("gate", "loop", "sqlite")

    def __init__(self, sqlite: sqlite3.Connection) -> None:
        self.sqlite: sqlite3.Connection | None = sqlite
        self.gate: Gate | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def take(self, gate: Gate) -> None:
        self.gate, self.loop = gate, asyncio.get_running_loop()

    def let_go(self) -> None:
        """Hand the gate on, on its own loop: at once when called there; else (a
        connection terminated or collected in another thread, e.g. a garbage collection
        inside ``asyncio.to_thread``) through ``call_soon_threadsafe``, which also wakes
        the loop."""
        gate, loop, self.gate = self.gate, self.loop, None
        if gate is None:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            gate.leave()
        elif loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(gate.leave)

    def let_go_from_gc(self) -> None:
        sqlite, self.sqlite = self.sqlite, None
        if sqlite is not None:
            with contextlib.suppress(sqlite3.Error):
                sqlite.close()
        self.let_go()


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


class Connection:
    """One SQLite connection, used on the event loop's thread (see the module's text)."""

    def __init__(self, database: str, busy_timeout: float, **kwargs: Any) -> None:
        kwargs.pop("iter_chunk_size", None)
        kwargs["timeout"] = 0  # never block the loop: the write lock is awaited instead
        kwargs["check_same_thread"] = False  # the pool may close it from its own thread
        kwargs["isolation_level"] = None  # no implicit BEGIN: storage.db begins IMMEDIATE
        self._sqlite: sqlite3.Connection | None = sqlite3.connect(database, **kwargs)
        self.database = database
        self.busy_timeout = busy_timeout
        self._holding = _Holding(self._sqlite)
        weakref.finalize(self, self._holding.let_go_from_gc)

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._connected().__await__()

    async def _connected(self) -> Connection:
        return self

    @property
    def sqlite(self) -> sqlite3.Connection:
        if self._sqlite is None:
            raise ValueError("no active connection")
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
        gate = _gate(self.database)
        if gate is not None and self._holding.gate is None:
            try:
                await gate.enter(self.busy_timeout)
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
            self._holding.take(gate)
        pause = FIRST_RETRY
        try:
            while True:
                try:
                    self.sqlite.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    now = loop.time()
                    if not _busy(exc) or now >= deadline:
                        raise
                await asyncio.sleep(min(pause, deadline - now))
                pause = min(pause * 2, LONGEST_RETRY)
        except BaseException:
            self._holding.let_go()
            raise

    async def commit(self) -> None:
        try:
            if self.in_transaction:
                self.sqlite.commit()
        except BaseException:
            # A failed COMMIT leaves SQLite's transaction open: end it here, so that
            # neither it nor the gate outlives this transaction.
            with contextlib.suppress(sqlite3.Error, ValueError):
                self.sqlite.rollback()
            raise
        finally:
            if not self.in_transaction:
                self._holding.let_go()

    async def rollback(self) -> None:
        # The pool rolls back every connection it gets back, even right after a commit:
        # with no transaction open there is nothing to undo.
        try:
            if self.in_transaction:
                self.sqlite.rollback()
        finally:
            self._holding.let_go()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate); an open transaction is rolled back."""
        sqlite, self._sqlite = self._sqlite, None
        self._holding.sqlite = None
        try:
            if sqlite is not None:
                sqlite.close()
        finally:
            self._holding.let_go()


def connect(database: str, **kwargs: Any) -> Connection:
    """Like ``aiosqlite.connect`` (await it): SQLite's connection on the loop's thread.
    ``timeout`` is how long a transaction may wait for the write lock (seconds)."""
    busy_timeout = float(kwargs.pop("timeout", 5.0))
    return Connection(database, busy_timeout, **kwargs)
