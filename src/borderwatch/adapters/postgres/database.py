"""Connections to the service's PostgreSQL database: a small pool, and one transaction per
thread that the repositories join.

Every repository of a :class:`~borderwatch.adapters.postgres.storage.PostgresStorage`
runs its SQL through one :class:`Database`. A statement outside a transaction borrows a
connection (in autocommit) for that statement only; ``transaction()`` pins one connection
to the calling thread until the outermost block ends, so what several repositories write
in it commits together, and a nested ``transaction()`` in the same thread joins it. Other
threads meanwhile use other connections: readers never wait for a writer's commit (each
statement reads the last commit, READ COMMITTED).

Cross-process rules use advisory locks in the two-key space ``(ADVISORY_NAMESPACE, n)``,
which is apart from the one-key space of the segment locks (``coordination.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import pq
from psycopg.rows import TupleRow

Connection = psycopg.Connection[TupleRow]
Params = Sequence[Any] | Mapping[str, Any] | None

ADVISORY_NAMESPACE = 0x4257_0000
"""First key of Borderwatch's transaction-level advisory locks ("BW")."""
SCHEMA_LOCK = 1
"""Second key: creating the tables (several processes may open a new database at once)."""
AUDIT_LOCK = 2
"""Second key: appending to the screening audit chain (one writer at a time)."""
POOL_SIZE = 8
"""Connections per Database: a process's busy threads beyond it wait their turn."""
WAIT_S = 30.0
"""How long a thread waits for a free connection before it fails."""
CONNECT_TIMEOUT_S = 10
CHECK_AFTER_S = 2.0
"""A connection idle longer than this is checked before use: after a server restart, the
first statement then runs on a new connection instead of failing on a dead one."""


class StorageClosed(RuntimeError):
    """The storage was closed and may not be used."""


class Database:
    """A pool of at most ``pool_size`` connections to ``url`` and a per-thread
    transaction. Thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = POOL_SIZE,
        application_name: str = "borderwatch",
    ) -> None:
        if "://" not in url:
            raise ValueError(f"expected a postgresql:// URL, got {url!r}")
        if pool_size < 1:
            raise ValueError(f"pool_size must be at least 1, got {pool_size}")
        self.url = url
        self._application_name = application_name
        self._idle: list[tuple[Connection, float]] = []
        """Connections not in use, each with when it was given back (monotonic)."""
        self._idle_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._local = threading.local()
        self._closed = False
        self.check_after_s = CHECK_AFTER_S

    # --- connections ---------------------------------------------------------------------

    def connect(self) -> Connection:
        """A new connection in autocommit, times in UTC."""
        return psycopg.connect(
            self.url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=self._application_name,
            options="-c TimeZone=UTC",
        )

    def _take(self) -> Connection:
        if self._closed:
            raise StorageClosed("the PostgreSQL storage is closed")
        if not self._slots.acquire(timeout=WAIT_S):
            raise TimeoutError(f"no free database connection within {WAIT_S:.0f} s")
        try:
            with self._idle_lock:
                found = self._idle.pop() if self._idle else None
            if found is not None:
                connection, since = found
                if time.monotonic() - since < self.check_after_s or _works(connection):
                    return connection
                # The server went away since (a restart): so did the other idle ones.
                self._drop_idle()
                connection.close()
            return self.connect()
        except BaseException:
            self._slots.release()
            raise

    def _give(self, connection: Connection) -> None:
        try:
            status = connection.info.transaction_status
            if self._closed or connection.broken or status != pq.TransactionStatus.IDLE:
                connection.close()  # a broken or half-used connection is not reused
                if connection.broken:
                    self._drop_idle()
            else:
                with self._idle_lock:
                    self._idle.append((connection, time.monotonic()))
        finally:
            self._slots.release()

    def _drop_idle(self) -> None:
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()

    @property
    def in_transaction(self) -> bool:
        """Whether this thread is inside :meth:`transaction`."""
        return getattr(self._local, "connection", None) is not None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """This thread's transaction's connection, or one borrowed for a statement."""
        pinned: Connection | None = getattr(self._local, "connection", None)
        if pinned is not None:
            yield pinned
            return
        borrowed = self._take()
        try:
            yield borrowed
        finally:
            self._give(borrowed)

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Connection]:
        """Everything inside is one transaction (nested uses in this thread join the
        outer one). ``durable=False`` commits without waiting for the disk, when this
        block is the outermost: for writes whose loss is harmless (a delivery mark)."""
        local = self._local
        pinned: Connection | None = getattr(local, "connection", None)
        if pinned is not None:
            local.depth += 1
            try:
                yield pinned
            finally:
                local.depth -= 1
            return
        connection = self._take()
        local.connection, local.depth = connection, 1
        try:
            with connection.transaction():
                if not durable:
                    connection.execute("SET LOCAL synchronous_commit TO off")
                yield connection
        finally:
            local.connection, local.depth = None, 0
            self._give(connection)

    # --- statements ----------------------------------------------------------------------

    def execute(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run one statement (in this thread's transaction, if any; otherwise committed at
        once) and return its rows (none for a statement that returns none)."""
        with self.connection() as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description is not None else []

    def changes(self, sql: str, params: Params = None) -> int:
        """Run one statement; return how many rows it changed."""
        with self.connection() as connection:
            return connection.execute(sql, params).rowcount

    def run_script(self, script: str, lock: int) -> None:
        """Run several statements (no parameters) in one transaction, under the advisory
        lock ``(ADVISORY_NAMESPACE, lock)`` so that processes doing the same queue."""
        with self.transaction() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(%s, %s)", (ADVISORY_NAMESPACE, lock))
            connection.execute(script)

    def close(self) -> None:
        """Close the idle connections; those in use close when given back. Again:
        nothing happens."""
        self._closed = True
        self._drop_idle()


def _works(connection: Connection) -> bool:
    """Whether an idle connection still reaches the server (an empty query)."""
    try:
        connection.execute("")
    except psycopg.Error:
        return False
    return True
