"""Durable outbox (SQLite): a message is stored before it is sent, and stays until a
receiver took it or an operator gave up on it.

* ``enqueue`` commits the message before anything is sent; its ``dedup_key`` is unique, so
  enqueueing the same message again (a replay after a crash) stores nothing new.
* A failed send is retried with exponential backoff and jitter; after ``max_attempts``
  the message goes to the dead-letter list, which an operator lists and retries
  (``borderwatch alerts dead`` / ``retry``).
* Delivery is at least once: a process killed between a receiver's ``200`` and
  ``mark_sent`` sends that message again after the restart, with the same dedup key, and
  the receiver absorbs it (webhook receivers must de-duplicate on it).

One dispatcher per outbox file: two processes draining the same file would both send
(within the one dispatcher, each destination has its own queue: transports/dispatch.py).
SQLite runs in WAL mode; ``synchronous=FULL`` (the default here) makes a committed message
survive a power cut, not only a killed process; the dispatcher's "sent" marks are written
without waiting for the disk (a lost mark means a resend, never a lost message;
docs/gotchas.md).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from borderwatch.adapters.sqlite.database import Database
from borderwatch.alerts.outbox import Backoff, Message, MessageStatus, StoredMessage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key       TEXT NOT NULL UNIQUE,
    alert_id        TEXT NOT NULL,
    channel         TEXT NOT NULL,
    destination     TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    body            BLOB NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created_at      REAL NOT NULL,
    sent_at         REAL,
    last_error      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_alert ON outbox (alert_id);
"""
# AUTOINCREMENT is SQLite's spelling (PostgreSQL: an identity column); the rest of the
# outbox's SQL, ON CONFLICT DO NOTHING included, is also PostgreSQL's.

class SqliteOutbox:
    """The SQLite outbox. Thread-safe; shares its :class:`Database` (and so its
    transactions) with the alert states and the disclosure log when given one."""

    def __init__(
        self,
        where: str | Path | Database,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        synchronous: str = "FULL",
    ) -> None:
        self.db = Database.of(where, synchronous)
        self.path = self.db.path
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.rng = rng or random.Random()
        self.db.executescript(_SCHEMA)
        # The dispatcher's side (what is due, what was sent or failed) has its own
        # connection that does not wait for the disk: a "sent" mark lost in a power cut
        # only means a message is sent again, which its dedup key absorbs; a message is
        # never lost, because enqueueing stays on the synchronous connection. It also
        # keeps the dispatcher from queueing behind the producer's transactions.
        self._marks = Database(self.path, synchronous="NORMAL")

    def close(self) -> None:
        """Close the marks connection and the :class:`Database` (shared: the storage)."""
        self._marks.close()
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Its Database's transaction (shared with the other repositories on it)."""
        with self.db.transaction():
            yield

    def enqueue(self, messages: Iterable[Message]) -> int:
        """Store messages (one transaction); return how many were new."""
        now = self.clock()
        rows = [
            (
                m.dedup_key,
                m.alert_id,
                m.channel,
                m.destination,
                m.content_type,
                m.body,
                MessageStatus.PENDING.value,
                now,
                now,
            )
            for m in messages
        ]
        if not rows:
            return 0
        with self.db.transaction():
            return self.db.executemany(
                "INSERT INTO outbox (dedup_key, alert_id, channel, destination,"
                " content_type, body, status, next_attempt_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING",
                rows,
            )

    def due(self, limit: int = 100, *, destination: str | None = None) -> list[StoredMessage]:
        """Pending messages whose next attempt is due (to ``destination``, when given),
        oldest first."""
        to, params = _to(destination)
        return self._select(
            f"WHERE status = ? AND next_attempt_at <= ?{to} ORDER BY id LIMIT ?",
            (MessageStatus.PENDING.value, self.clock(), *params, limit),
            self._marks,
        )

    def next_due_at(self, *, destination: str | None = None) -> float | None:
        to, params = _to(destination)
        row = self._marks.read(
            f"SELECT MIN(next_attempt_at) FROM outbox WHERE status = ?{to}",
            (MessageStatus.PENDING.value, *params),
        )[0]
        return None if row[0] is None else float(row[0])

    def pending_destinations(self) -> list[str]:
        rows = self._marks.read(
            "SELECT destination FROM outbox WHERE status = ? GROUP BY destination"
            " ORDER BY MIN(id)",
            (MessageStatus.PENDING.value,),
        )
        return [str(r[0]) for r in rows]

    def mark_sent(self, message_id: int) -> None:
        self._marks.execute(
            "UPDATE outbox SET status = ?, sent_at = ?, attempts = attempts + 1,"
            " last_error = NULL WHERE id = ?",
            (MessageStatus.SENT.value, self.clock(), message_id),
        )

    def mark_failed(self, message_id: int, error: str) -> MessageStatus:
        """Count a failed try; schedule the next with backoff, or dead-letter it."""
        with self._marks.transaction():
            found = self._marks.execute("SELECT attempts FROM outbox WHERE id = ?", (message_id,))
            if not found:
                raise KeyError(message_id)
            row = found[0]
            attempts = int(row[0]) + 1
            if attempts >= self.backoff.max_attempts:
                status, next_at = MessageStatus.DEAD, self.clock()
            else:
                status = MessageStatus.PENDING
                next_at = self.clock() + self.backoff.delay(attempts, self.rng)
            self._marks.execute(
                "UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                (status.value, attempts, next_at, error[:500], message_id),
            )
        return status

    def dead(self) -> list[StoredMessage]:
        return self._select("WHERE status = ? ORDER BY id", (MessageStatus.DEAD.value,))

    def for_alert(self, alert_id: str) -> list[StoredMessage]:
        return self._select("WHERE alert_id = ? ORDER BY id", (alert_id,))

    def all(self, limit: int = 1000) -> list[StoredMessage]:
        return self._select("ORDER BY id LIMIT ?", (limit,))

    def retry(self, message_ids: Iterable[int] | None = None) -> int:
        """Put dead-lettered messages (all, or these ids) back in the queue, due now."""
        with self.db.transaction():
            if message_ids is None:
                return self.db.changes(
                    "UPDATE outbox SET status = ?, attempts = 0, next_attempt_at = ?"
                    " WHERE status = ?",
                    (MessageStatus.PENDING.value, self.clock(), MessageStatus.DEAD.value),
                )
            changed = 0
            for message_id in message_ids:
                changed += self.db.changes(
                    "UPDATE outbox SET status = ?, attempts = 0, next_attempt_at = ?"
                    " WHERE id = ? AND status = ?",
                    (
                        MessageStatus.PENDING.value,
                        self.clock(),
                        message_id,
                        MessageStatus.DEAD.value,
                    ),
                )
            return changed

    def counts(self) -> dict[str, int]:
        rows = self.db.read("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {str(status): int(n) for status, n in rows}

    def _select(
        self, where: str, params: tuple[object, ...], db: Database | None = None
    ) -> list[StoredMessage]:
        rows = (db or self.db).read(
            "SELECT id, dedup_key, alert_id, channel, destination, content_type, body,"
            " status, attempts, next_attempt_at, created_at, sent_at, last_error"
            f" FROM outbox {where}",
            params,
        )
        return [
            StoredMessage(
                id=int(r[0]),
                message=Message(r[1], r[2], r[3], r[4], r[5], bytes(r[6])),
                status=MessageStatus(r[7]),
                attempts=int(r[8]),
                next_attempt_at=float(r[9]),
                created_at=float(r[10]),
                sent_at=None if r[11] is None else float(r[11]),
                last_error=r[12],
            )
            for r in rows
        ]


def _to(destination: str | None) -> tuple[str, tuple[str, ...]]:
    """The SQL condition (and its parameter) for messages to one destination, if given."""
    return ("", ()) if destination is None else (" AND destination = ?", (destination,))
