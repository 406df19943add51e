"""The official in-memory storage: the storage port on plain Python containers.

Same contract as the SQLite storage (``tests/contract/storage_contract.py`` runs both);
forgets everything when dropped. ``transaction()`` copies the repositories' state when the
outermost block begins and puts it back when the block raises, so a failed unit of work
leaves nothing behind, as in a database. Not thread-safe: tests use it from one thread.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from borderwatch.alerts.lifecycle import InMemoryAlertStore
from borderwatch.alerts.outbox import Backoff, Message, MessageStatus, StoredMessage
from borderwatch.cases.memory import InMemoryCaseStore
from borderwatch.domain.access import Principal, Role
from borderwatch.domain.evidence import Snapshot
from borderwatch.domain.time import utc_now
from borderwatch.ports.storage import DetectionItem, check_agency, hash_key, new_key
from borderwatch.respond.times import InMemoryInterventions
from borderwatch.screening.audit_chain import AuditRow
from borderwatch.screening.audit_log import ChainedAuditLog
from borderwatch.screening.audit_proof import AuditSeal
from borderwatch.screening.decisions import InMemoryDecisions
from borderwatch.screening.returns import InMemoryReturns


class InMemoryDetections:
    """The detection log as a list; positions are 1, 2, 3, ..."""

    def __init__(self) -> None:
        self.stored: list[dict[str, Any]] = []
        self.ids: set[str] = set()

    def append(self, items: Sequence[DetectionItem]) -> list[bool]:
        fresh: list[bool] = []
        seen = set(self.ids)
        new: list[dict[str, Any]] = []
        for det_id, body in items:
            if det_id is not None and det_id in seen:
                fresh.append(False)
                continue
            if det_id is not None:
                seen.add(det_id)
            # Stored as JSON would be: a dict given is copied, never kept by reference.
            new.append(orjson.loads(body if isinstance(body, bytes) else orjson.dumps(body)))
            fresh.append(True)
        # Written only once the whole batch was read: all of it or nothing.
        self.ids = seen
        self.stored.extend(new)
        return fresh

    def replay(
        self, chunk: int = 10_000, upto: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        end = len(self.stored) if upto is None else min(upto, len(self.stored))
        for start in range(0, end, chunk):
            yield [dict(item) for item in self.stored[start:min(start + chunk, end)]]

    def last(self) -> int:
        return len(self.stored)

    def count(self) -> int:
        return len(self.stored)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Key:
    key_id: str
    key_hash: str
    agency: str
    role: Role
    created_at: str
    note: str
    revoked_at: str | None = None


class InMemoryKeys:
    """API keys in a dict, by id; only their hashes are kept."""

    def __init__(self) -> None:
        self.keys: dict[str, _Key] = {}

    def create(self, agency: str, role: Role, note: str = "") -> tuple[str, Principal]:
        check_agency(agency)
        key, key_id = new_key()
        self.keys[key_id] = _Key(key_id=key_id, key_hash=hash_key(key), agency=agency,
                                 role=role, created_at=datetime.now(UTC).isoformat(), note=note)
        return key, Principal(key_id, agency, role)

    def lookup(self, key: str) -> Principal | None:
        digest = hash_key(key)
        for stored in self.keys.values():
            if stored.key_hash == digest and stored.revoked_at is None:
                return Principal(stored.key_id, stored.agency, stored.role)
        return None

    def revoke(self, key_id: str) -> bool:
        stored = self.keys.get(key_id)
        if stored is None or stored.revoked_at is not None:
            return False
        self.keys[key_id] = replace(stored, revoked_at=datetime.now(UTC).isoformat())
        return True

    def list(self) -> list[dict[str, str]]:
        return [
            {"key_id": k.key_id, "agency": k.agency, "role": k.role.value,
             "created_at": k.created_at, "note": k.note, "revoked_at": k.revoked_at or ""}
            for k in sorted(self.keys.values(), key=lambda k: k.created_at)
        ]


class InMemoryOutbox:
    """The outbox as a list of stored messages, with the SQLite outbox's schedule: the
    same backoff, dead-lettering and counts. Its transaction is its storage's."""

    def __init__(
        self,
        *,
        transaction: Callable[[], AbstractContextManager[None]],
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._transaction = transaction
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.rng = rng or random.Random()
        self.messages: list[StoredMessage] = []

    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction()

    def enqueue(self, messages: Iterable[Message]) -> int:
        now = self.clock()
        held = {m.message.dedup_key for m in self.messages}
        new = 0
        for message in messages:
            if message.dedup_key in held:
                continue
            held.add(message.dedup_key)
            self.messages.append(StoredMessage(
                id=len(self.messages) + 1, message=message, status=MessageStatus.PENDING,
                attempts=0, next_attempt_at=now, created_at=now, sent_at=None, last_error=None))
            new += 1
        return new

    def due(self, limit: int = 100, *, destination: str | None = None) -> list[StoredMessage]:
        now = self.clock()
        return [m for m in self._pending(destination) if m.next_attempt_at <= now][:limit]

    def next_due_at(self, *, destination: str | None = None) -> float | None:
        pending = [m.next_attempt_at for m in self._pending(destination)]
        return min(pending) if pending else None

    def pending_destinations(self) -> list[str]:
        return list(dict.fromkeys(m.message.destination for m in self._pending(None)))

    def _pending(self, destination: str | None) -> list[StoredMessage]:
        return [m for m in list(self.messages) if m.status is MessageStatus.PENDING
                and destination in (None, m.message.destination)]

    def mark_sent(self, message_id: int) -> None:
        stored = self._find(message_id)
        if stored is not None:
            self._put(replace(stored, status=MessageStatus.SENT, sent_at=self.clock(),
                              attempts=stored.attempts + 1, last_error=None))

    def mark_failed(self, message_id: int, error: str) -> MessageStatus:
        stored = self._find(message_id)
        if stored is None:
            raise KeyError(message_id)
        attempts = stored.attempts + 1
        if attempts >= self.backoff.max_attempts:
            status, next_at = MessageStatus.DEAD, self.clock()
        else:
            status = MessageStatus.PENDING
            next_at = self.clock() + self.backoff.delay(attempts, self.rng)
        self._put(replace(stored, status=status, attempts=attempts, next_attempt_at=next_at,
                          last_error=error[:500]))
        return status

    def dead(self) -> list[StoredMessage]:
        return [m for m in self.messages if m.status is MessageStatus.DEAD]

    def for_alert(self, alert_id: str) -> list[StoredMessage]:
        return [m for m in self.messages if m.message.alert_id == alert_id]

    def all(self, limit: int = 1000) -> list[StoredMessage]:
        return self.messages[:limit]

    def retry(self, message_ids: Iterable[int] | None = None) -> int:
        wanted = None if message_ids is None else set(message_ids)
        changed = 0
        for stored in self.dead():
            if wanted is None or stored.id in wanted:
                self._put(replace(stored, status=MessageStatus.PENDING, attempts=0,
                                  next_attempt_at=self.clock()))
                changed += 1
        return changed

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in self.messages:
            out[m.status.value] = out.get(m.status.value, 0) + 1
        return out

    def close(self) -> None:
        """Nothing to release."""

    def _find(self, message_id: int) -> StoredMessage | None:
        ok = 1 <= message_id <= len(self.messages)
        return self.messages[message_id - 1] if ok else None

    def _put(self, stored: StoredMessage) -> None:
        self.messages[stored.id - 1] = stored


class InMemoryDisclosures:
    """The disclosure log as a list (entries are copied in and out)."""

    def __init__(self) -> None:
        self.recorded: list[dict[str, Any]] = []

    def record(self, entry: dict[str, Any]) -> None:
        self.recorded.append(copy.deepcopy(entry))

    def record_many(self, entries: Sequence[dict[str, Any]]) -> None:
        # What the databases' NOT NULL columns refuse, refused before anything is kept.
        if any("alert_id" not in e or "recipient" not in e for e in entries):
            raise KeyError("a disclosure needs an alert_id and a recipient")
        self.recorded.extend(copy.deepcopy(list(entries)))

    def entries(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.recorded)


class InMemoryAuditLog(ChainedAuditLog):
    """The audit chain on a list of rows. ``rows`` is open to tests that tamper with it."""

    def __init__(self, *, clock: Callable[[], datetime] = utc_now,
                 seal: AuditSeal | None = None) -> None:
        super().__init__(clock=clock, seal=seal)
        self.rows: list[AuditRow] = []

    def _rows(self, case_id: str | None) -> list[AuditRow]:
        return [r for r in self.rows if case_id is None or r.case_id == case_id]

    def _append_row(self, make: Callable[[AuditRow | None], AuditRow]) -> None:
        self.rows.append(make(self.rows[-1] if self.rows else None))


class InMemoryEvidence:
    """:class:`~borderwatch.ports.storage.EvidenceStore` in memory."""

    def __init__(self) -> None:
        self.kept: dict[str, Snapshot] = {}

    def put(self, snapshots: Sequence[Snapshot]) -> None:
        for snapshot in snapshots:
            self.kept.setdefault(snapshot.detection_id, snapshot)

    def get(self, detection_id: str) -> Snapshot | None:
        return self.kept.get(detection_id)

    def between(self, start: datetime, end: datetime, limit: int = 500) -> list[Snapshot]:
        found = sorted((s for s in self.kept.values() if start <= s.time <= end),
                       key=lambda s: (s.time, s.detection_id))
        return found[:limit]


class InMemoryStorage:
    """:class:`~borderwatch.ports.storage.Storage` in memory: the official fake."""

    def __init__(
        self,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        """``backoff``, ``clock`` (epoch seconds) and ``rng`` are the outbox's."""
        self.detections = InMemoryDetections()
        self.keys = InMemoryKeys()
        self.alerts = InMemoryAlertStore()
        self.outbox = InMemoryOutbox(transaction=self.transaction, backoff=backoff,
                                     clock=clock, rng=rng)
        self.disclosures = InMemoryDisclosures()
        self.cases = InMemoryCaseStore()
        self.audit = InMemoryAuditLog()
        self.interventions = InMemoryInterventions()
        self.evidence = InMemoryEvidence()
        self.decisions = InMemoryDecisions()
        self.returns = InMemoryReturns()
        self._depth = 0
        # What a rollback restores: each repository's stored state, not its collaborators
        # (clock, backoff), which the caller owns.
        self._state: list[tuple[object, tuple[str, ...]]] = [
            (self.detections, ("stored", "ids")),
            (self.keys, ("keys",)),
            (self.alerts, ("states",)),
            (self.outbox, ("messages",)),
            (self.disclosures, ("recorded",)),
            (self.cases, ("_interceptions", "_cases")),
            (self.audit, ("rows",)),
            (self.interventions, ("records",)),
            (self.evidence, ("kept",)),
            (self.decisions, ("records",)),
            (self.returns, ("records",)),
        ]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together; an exception restores the state the
        outermost block began with. Nested blocks join the outer one."""
        saved = self._snapshot() if self._depth == 0 else None
        self._depth += 1
        try:
            yield
        except BaseException:
            if saved is not None:
                self._restore(saved)
            raise
        finally:
            self._depth -= 1

    def close(self) -> None:
        """Nothing to release."""

    def join(self, repository: object, *names: str) -> None:
        """Roll ``repository``'s attributes ``names`` back with this storage's transactions
        too (a fake of another port that shares the transaction, e.g.
        coordination_fake.MemoryCoordination)."""
        self._state.append((repository, names))

    def _snapshot(self) -> list[dict[str, Any]]:
        return [{name: copy.deepcopy(getattr(repo, name)) for name in names}
                for repo, names in self._state]

    def _restore(self, saved: list[dict[str, Any]]) -> None:
        for (repo, _), values in zip(self._state, saved, strict=True):
            for name, value in values.items():
                setattr(repo, name, value)
