"""One SQLite connection shared by the alert states, the outbox and the disclosure log, so
that what one decision writes (the alert's new state, its messages, its disclosures) is
committed together: one transaction, one sync to disk.

Without it, a process killed between "alert stored" and "its messages stored" would leave
an alert nobody is told about, and every write would pay its own fsync (measured: 3 syncs
per alert put a 100 alerts/s load past its budget on the development machine).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")


class Database:
    """A WAL-mode SQLite file behind a re-entrant lock. ``synchronous=FULL`` (default):
    a committed transaction survives a power cut; ``NORMAL``: it survives a killed
    process, and the last transactions may be lost in a power cut (SQLite WAL docs)."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS}, got {synchronous!r}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._depth = 0
        self._connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute(f"PRAGMA synchronous={synchronous}")
        self._connection.execute("PRAGMA busy_timeout=5000")

    @classmethod
    def of(cls, where: str | Path | Database, synchronous: str = "FULL") -> Database:
        return where if isinstance(where, Database) else cls(where, synchronous=synchronous)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside is one transaction (nested uses join the outer one)."""
        with self.lock:
            if self._depth == 0:
                self._connection.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._connection.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._connection.execute("COMMIT")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self._connection.execute(sql, params).fetchall()

    def executescript(self, script: str) -> None:
        with self.lock:
            self._connection.executescript(script)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        """Run ``sql`` for each row; return how many rows changed."""
        with self.lock:
            before = self._connection.total_changes
            self._connection.executemany(sql, rows)
            return self._connection.total_changes - before

    def changes(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self.lock:
            return self._connection.execute(sql, params).rowcount

    def close(self) -> None:
        with self.lock:
            self._connection.close()
