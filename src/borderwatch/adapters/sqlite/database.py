"""The service's SQLite file: the one place that opens a connection and sets its PRAGMAs.

Every repository of the storage (detections, keys, alert states, outbox, disclosures,
cases, audit) writes through one connection, so that what one decision writes (the
alert's new state, its messages, its disclosures) is committed together: one transaction,
one sync to disk. Without it, a process killed between "alert stored" and "its messages
stored" would leave an alert nobody is told about, and every write would pay its own
fsync (docs/performance.md). Reads outside a transaction go through a second connection, so a
reader never waits for a writer's fsync (WAL readers see the last commit).

Dialect-specific, and why: ``PRAGMA`` (SQLite's settings: WAL, sync level, busy timeout,
foreign keys, which SQLite leaves off) and ``BEGIN IMMEDIATE`` (take the write lock at
the start, so two writers queue instead of one failing half-way; PostgreSQL's ``BEGIN``
needs no such mode). The repositories' SQL is otherwise portable.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")
BUSY_TIMEOUT_MS = 10_000
"""How long a writer waits for another process's write lock before it fails."""


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    # isolation_level=None: the driver issues no BEGIN of its own; transactions are
    # exactly the ones Database.transaction opens.
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


class Database:
    """A WAL-mode SQLite file behind a re-entrant lock. ``synchronous=FULL`` (default):
    a committed transaction survives a power cut; ``NORMAL``: it survives a killed
    process, and the last transactions may be lost in a power cut (SQLite WAL docs).
    Thread-safe: one writer at a time in this process, readers alongside."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS}, got {synchronous!r}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._depth = 0
        self._writer: int | None = None
        """The thread inside the open transaction, if any."""
        self._connection = _connect(self.path, synchronous)
        self._reader = _connect(self.path, synchronous)
        self._reader_lock = threading.Lock()
        self._closed = False

    @classmethod
    def of(cls, where: str | Path | Database, synchronous: str = "FULL") -> Database:
        """``where`` itself when it is a Database, else a new one on that file."""
        if isinstance(where, str) and "://" in where:
            raise ValueError(f"expected a file path, got a URL: {where!r}")
        return where if isinstance(where, Database) else cls(where, synchronous=synchronous)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside is one transaction (nested uses join the outer one)."""
        with self.lock:
            if self._depth == 0:
                self._connection.execute("BEGIN IMMEDIATE")
                self._writer = threading.get_ident()
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._writer = None
                    self._connection.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._writer = None
                self._connection.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        """Whether this thread is inside an open transaction (its writes not committed)."""
        return self._writer == threading.get_ident()

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on the writing connection (inside the caller's transaction,
        if any; otherwise committed at once) and return its rows."""
        with self.lock:
            return self._connection.execute(sql, params).fetchall()

    def read(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query. Inside this thread's transaction it sees what the transaction
        wrote; otherwise it reads the last commit without waiting for a writer."""
        if self._writer == threading.get_ident():
            return self.execute(sql, params)
        with self._reader_lock:
            return self._reader.execute(sql, params).fetchall()

    def executescript(self, script: str) -> None:
        """Run several statements (the schema); not inside a transaction."""
        with self.lock:
            self._connection.executescript(script)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        """Run ``sql`` for each row; return how many rows changed."""
        with self.lock:
            before = self._connection.total_changes
            self._connection.executemany(sql, rows)
            return self._connection.total_changes - before

    def changes(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement; return how many rows it changed."""
        with self.lock:
            return self._connection.execute(sql, params).rowcount

    def close(self) -> None:
        """Close both connections (again: nothing happens)."""
        with self.lock:
            if self._closed:
                return
            self._closed = True
            with self._reader_lock:
                self._reader.close()
            self._connection.close()
