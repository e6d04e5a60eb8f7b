"""aiosqlite with one thread hand-off per statement.

aiosqlite runs each SQLite connection in its own thread and every call on it is a
hand-off: the event loop queues the call, the thread wakes, runs it, and wakes the loop
back (a pipe write, an epoll round, a task step, a greenlet switch into SQLAlchemy).
SQLAlchemy's adapter makes four of them per statement: open a cursor, execute, fetch
all rows, close the cursor. Here the cursor does the four in the thread at once, so a
statement costs one hand-off; the rows, the description, ``rowcount`` and ``lastrowid``
come back together and are read from memory.

A commit or rollback with no transaction open (the pool rolls back every connection it
gets back, even after a commit) is skipped: SQLite would do nothing either. And the
``BEGIN IMMEDIATE`` that ``storage.db`` opens every transaction with travels with the
transaction's first statement (:meth:`Connection.begin_with_next`) instead of alone.
Everything else is aiosqlite's own (the thread, the queue, close).
Rows were already fetched in full by SQLAlchemy's adapter (it buffers a result before
returning it), so buffering them here changes nothing but the number of trips.

``make_engine`` hands :func:`connect` to SQLAlchemy's aiosqlite dialect through its
``async_creator_fn`` connect argument.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any

import aiosqlite

Description = tuple[tuple[Any, ...], ...] | None
Outcome = tuple[Description, list[Any], int, int | None]


def _run(
    conn: sqlite3.Connection, sql: str, parameters: Any, many: bool
) -> Outcome:  # pragma: no cover - runs in aiosqlite's thread, where coverage does not look
    """Open a cursor, execute, fetch every row, close: in the connection's thread."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class BufferedCursor:
    """The cursor SQLAlchemy's aiosqlite adapter drives: one trip per execute."""

    __slots__ = ("_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def _trip(self, sql: str, parameters: Any, many: bool) -> BufferedCursor:
        conn = self._connection
        outcome: Outcome = await conn._execute(_run, conn._conn, sql, parameters, many)
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> BufferedCursor:
        return await self._trip(sql, () if parameters is None else parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> BufferedCursor:
        return await self._trip(sql, parameters, True)

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
        self._rows.clear()  # the SQLite cursor was closed in the thread already

    async def __aenter__(self) -> BufferedCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __await__(self) -> Generator[Any, None, BufferedCursor]:
        return self.__aenter__().__await__()


class Connection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors make one hand-off per statement."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._begin: str | None = None

    def cursor(self) -> BufferedCursor:  # type: ignore[override]
        return BufferedCursor(self)

    def begin_with_next(self, sql: str) -> None:
        """Run ``sql`` (``BEGIN IMMEDIATE``) in the thread right before the next call on
        this connection, in the same trip: a transaction's BEGIN costs no hand-off of its
        own. Nothing runs between the two, so SQLite sees what it would have seen."""
        self._begin = sql

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        begin, self._begin = self._begin, None
        if begin is None:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        conn = self._conn

        def begun() -> Any:  # pragma: no cover - runs in aiosqlite's thread
            conn.execute(begin)
            return fn(*args, **kwargs)

        return await super()._execute(begun)  # type: ignore[no-untyped-call]

    def _idle(self) -> bool:
        """No transaction is open (SQLite's own flag, safe to read from any thread); a
        BEGIN still waiting for its first statement was never sent, so it is dropped."""
        self._begin = None
        return self._connection is not None and not self._connection.in_transaction

    async def commit(self) -> None:
        if not self._idle():
            await super().commit()

    async def rollback(self) -> None:
        # The pool rolls back every connection it gets back, even right after a commit:
        # with no transaction open there is nothing to undo, so no trip to the thread.
        if not self._idle():
            await super().rollback()

    async def close(self) -> None:
        self._begin = None
        await super().close()


def connect(database: str, **kwargs: Any) -> Connection:
    """Like ``aiosqlite.connect`` (await it), with :class:`BufferedCursor` cursors."""
    kwargs.pop("iter_chunk_size", None)

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = Connection(connector, iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy's dialect does for aiosqlite's own
    return connection
