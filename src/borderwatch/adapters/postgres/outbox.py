"""The durable outbox on PostgreSQL, drained by any number of dispatchers in any processes.

* ``enqueue`` commits a message before anything is sent; its ``dedup_key`` is unique, so
  enqueueing the same message again (a replay, another process) stores nothing new.
* ``due(limit)`` *claims* what it returns: in one statement it picks due, unclaimed rows
  (``FOR UPDATE SKIP LOCKED``: a row another dispatcher is claiming right now is passed
  over, not waited for) and sets ``claimed_until = now + claim_lease_s``. Until then no
  other dispatcher is given the message, so while a claim holds, no two dispatchers send
  it. The claimer's own later ``due()`` (same storage object, same thread) sees its
  claims again, as a single dispatcher's ``due()`` always did.
* ``mark_sent`` / ``mark_failed`` end the claim. A dispatcher that dies mid-delivery
  leaves its claim to expire; another dispatcher then sends the message again. Delivery
  is therefore at least once, as with SQLite: receivers de-duplicate on the message's
  dedup key. The lease must outlast a delivery (transports time out well before 60 s)
  and the clock skew between dispatchers' machines: "now" is the injected clock of each.
* A failed send is retried with backoff and jitter, then dead-lettered (``Backoff``).
  Delivery marks commit without waiting for the disk (a lost mark means a resend).
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from borderwatch.adapters.postgres.database import Database
from borderwatch.alerts.outbox import Backoff, Message, MessageStatus, StoredMessage

CLAIM_LEASE_S = 60.0
_FIELDS = (
    "id, dedup_key, alert_id, channel, destination, content_type, body, status, attempts,"
    " next_attempt_at, created_at, sent_at, last_error"
)
_PENDING = MessageStatus.PENDING.value


class PostgresOutbox:
    """:class:`~borderwatch.alerts.outbox.Outbox` on PostgreSQL, with claims (see the
    module docstring). Thread-safe; shares its :class:`Database`'s transactions."""

    def __init__(
        self,
        db: Database,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        claim_lease_s: float = CLAIM_LEASE_S,
    ) -> None:
        if claim_lease_s <= 0:
            raise ValueError(f"claim_lease_s must be positive, got {claim_lease_s}")
        self.db = db
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self.claim_lease_s = claim_lease_s
        self._owner = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self._sequence = str(
            db.execute("SELECT pg_get_serial_sequence('outbox', 'id')")[0][0])

    @property
    def claimer(self) -> str:
        """Who this thread's claims are stored as (``host/pid/object/thread``)."""
        return f"{self._owner}/{threading.get_ident()}"

    def close(self) -> None:
        """Nothing of its own to release: the storage closes the :class:`Database`."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Its Database's transaction (shared with the other repositories on it)."""
        with self.db.transaction():
            yield

    def enqueue(self, messages: Iterable[Message]) -> int:
        """Store messages not already held (by dedup key); return how many were new."""
        first: dict[str, Message] = {}
        for message in messages:
            first.setdefault(message.dedup_key, message)  # a repeat in the batch is ignored
        batch = list(first.values())
        if not batch:
            return 0
        now = self.clock()
        with self.db.transaction() as connection:
            numbers = connection.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                (self._sequence, len(batch)),
            ).fetchall()
            ids = sorted(int(row[0]) for row in numbers)
            # Inserted in dedup-key order (the same lock order in every process), each
            # with the id of its place in the batch: messages are sent in id order.
            order = sorted(range(len(batch)), key=lambda i: batch[i].dedup_key)
            return connection.execute(
                "INSERT INTO outbox (id, dedup_key, alert_id, channel, destination,"
                " content_type, body, status, next_attempt_at, created_at)"
                " SELECT u.*, %s, %s, %s FROM unnest(%b::bigint[], %b::text[], %b::text[],"
                " %b::text[], %b::text[], %b::text[], %b::bytea[]) AS u"
                " ON CONFLICT (dedup_key) DO NOTHING",
                (
                    _PENDING, now, now,
                    [ids[i] for i in order],
                    *([getattr(batch[i], name) for i in order] for name in (
                        "dedup_key", "alert_id", "channel", "destination", "content_type",
                        "body")),
                ),
            ).rowcount

    def due(self, limit: int = 100, *, destination: str | None = None) -> list[StoredMessage]:
        """Claim and return pending messages whose next attempt is due (to
        ``destination``, when given), oldest first."""
        now = self.clock()
        rows = self.db.execute(
            f"UPDATE outbox SET claimed_until = %(until)s, claimed_by = %(me)s"
            f" WHERE id IN (SELECT id FROM outbox WHERE status = %(pending)s"
            f" AND next_attempt_at <= %(now)s"
            f" AND (%(to)s::text IS NULL OR destination = %(to)s)"
            f" AND (claimed_until IS NULL OR claimed_until <= %(now)s OR claimed_by = %(me)s)"
            f" ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
            f" RETURNING {_FIELDS}",
            {"until": now + self.claim_lease_s, "me": self.claimer, "pending": _PENDING,
             "now": now, "limit": limit, "to": destination},
        )
        return sorted((_stored(r) for r in rows), key=lambda m: m.id)

    def next_due_at(self, *, destination: str | None = None) -> float | None:
        """When the next pending message (to ``destination``, when given) is due to this
        dispatcher: another's claim delays it until the claim expires."""
        row = self.db.execute(
            "SELECT min(greatest(next_attempt_at,"
            " CASE WHEN claimed_by = %(me)s THEN NULL ELSE claimed_until END))"
            " FROM outbox WHERE status = %(pending)s"
            " AND (%(to)s::text IS NULL OR destination = %(to)s)",
            {"me": self.claimer, "pending": _PENDING, "to": destination},
        )[0]
        return None if row[0] is None else float(row[0])

    def pending_destinations(self) -> list[str]:
        rows = self.db.execute(
            "SELECT destination FROM outbox WHERE status = %s GROUP BY destination"
            " ORDER BY min(id)", (_PENDING,))
        return [str(r[0]) for r in rows]

    def mark_sent(self, message_id: int) -> None:
        with self.db.transaction(durable=False) as connection:
            connection.execute(
                "UPDATE outbox SET status = %s, sent_at = %s, attempts = attempts + 1,"
                " last_error = NULL, claimed_until = NULL, claimed_by = NULL WHERE id = %s",
                (MessageStatus.SENT.value, self.clock(), message_id),
            )

    def mark_failed(self, message_id: int, error: str) -> MessageStatus:
        """Count a failed try; schedule the next with backoff, or dead-letter it."""
        with self.db.transaction(durable=False) as connection:
            found = connection.execute(
                "SELECT attempts FROM outbox WHERE id = %s FOR UPDATE", (message_id,)
            ).fetchone()
            if found is None:
                raise KeyError(message_id)
            attempts = int(found[0]) + 1
            if attempts >= self.backoff.max_attempts:
                status, next_at = MessageStatus.DEAD, self.clock()
            else:
                status = MessageStatus.PENDING
                with self._rng_lock:
                    delay = self.backoff.delay(attempts, self.rng)
                next_at = self.clock() + delay
            connection.execute(
                "UPDATE outbox SET status = %s, attempts = %s, next_attempt_at = %s,"
                " last_error = %s, claimed_until = NULL, claimed_by = NULL WHERE id = %s",
                (status.value, attempts, next_at, error[:500], message_id),
            )
        return status

    def dead(self) -> list[StoredMessage]:
        return self._select("WHERE status = %s ORDER BY id", (MessageStatus.DEAD.value,))

    def for_alert(self, alert_id: str) -> list[StoredMessage]:
        return self._select("WHERE alert_id = %s ORDER BY id", (alert_id,))

    def all(self, limit: int = 1000) -> list[StoredMessage]:
        return self._select("ORDER BY id LIMIT %s", (limit,))

    def retry(self, message_ids: Iterable[int] | None = None) -> int:
        """Put dead-lettered messages (all, or these ids) back in the queue, due now."""
        reset = (
            "UPDATE outbox SET status = %s, attempts = 0, next_attempt_at = %s,"
            " claimed_until = NULL, claimed_by = NULL WHERE status = %s"
        )
        dead = MessageStatus.DEAD.value
        if message_ids is None:
            return self.db.changes(reset, (_PENDING, self.clock(), dead))
        return self.db.changes(
            reset + " AND id = ANY(%s)", (_PENDING, self.clock(), dead, list(message_ids)))

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, count(*) FROM outbox GROUP BY status")
        return {str(status): int(n) for status, n in rows}

    def _select(self, where: str, params: tuple[object, ...]) -> list[StoredMessage]:
        return [_stored(r) for r in self.db.execute(f"SELECT {_FIELDS} FROM outbox {where}",
                                                    params)]


def _stored(r: tuple[Any, ...]) -> StoredMessage:
    return StoredMessage(
        id=int(r[0]),
        message=Message(r[1], r[2], r[3], r[4], r[5], bytes(r[6])),
        status=MessageStatus(r[7]),
        attempts=int(r[8]),
        next_attempt_at=float(r[9]),
        created_at=float(r[10]),
        sent_at=None if r[11] is None else float(r[11]),
        last_error=r[12],
    )
