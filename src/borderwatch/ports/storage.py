"""The storage port: one unit of work over everything the service stores.

:class:`Storage` hands out ten repositories (accepted detections, API keys, alert
states, the outbox, the disclosure log, cases, the screening audit log, the intervention
times, officers' decisions, returns to the US) that share one transaction: what several
of them write inside :meth:`Storage.transaction` is committed together or not at all.
The stages' own contracts are reused where they exist (``AlertStore``, ``Outbox``,
``CaseStore``, ``InterventionStore``, ``DecisionStore``, ``ReturnStore``); the others are
defined here. Implementations:
``ports/storage_fake.py`` (in memory) and ``adapters/sqlite/storage.py``; both run
``tests/contract/storage_contract.py``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from borderwatch.alerts.gate import DisclosureRecorder
from borderwatch.alerts.lifecycle import AlertStore
from borderwatch.alerts.outbox import Outbox
from borderwatch.cases.base import CaseStore
from borderwatch.domain.access import Principal, Role
from borderwatch.domain.evidence import Snapshot
from borderwatch.respond.times import InterventionStore
from borderwatch.screening.decide import ScreeningResult
from borderwatch.screening.decisions import DecisionStore
from borderwatch.screening.returns import ReturnStore

KEY_PREFIX = "bw_"
"""Every API key starts with it, so a leaked one is easy to find in logs and code."""


def hash_key(key: str) -> str:
    """What is stored of an API key: its SHA-256. Keys are 32 random bytes, so a plain hash
    (not a slow password hash) is enough: there is nothing to guess from it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh ``(key, key_id)``: the secret key and the public id it is listed under."""
    return KEY_PREFIX + secrets.token_urlsafe(32), "key-" + secrets.token_hex(4)


def check_agency(agency: str) -> None:
    """Refuse an agency name a key cannot carry (``ValueError``)."""
    if not agency or any(c.isspace() for c in agency):
        raise ValueError("agency must be a non-empty name without spaces, e.g. RCMP-K")


DetectionItem = tuple[str | None, bytes | dict[str, Any]]
"""``(id, wire object)``: the detection's idempotency key (None: none given) and its wire
object, as JSON bytes or as a dict."""


class Detections(Protocol):
    """Accepted detections in arrival order, as their wire objects (the detection log)."""

    def append(self, items: Sequence[DetectionItem]) -> list[bool]:
        """Store the items, in order, all or none (committed at once, or with the enclosing
        transaction); for each, whether it was new. An item whose id is already stored (by
        any earlier append, also before a restart) or came earlier in the same batch is
        ignored (False). Items without an id are always new."""
        ...

    def replay(
        self, chunk: int = 10_000, upto: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Everything stored, oldest first, in lists of at most ``chunk``; with ``upto``,
        only what was stored up to that position (:meth:`last`)."""
        ...

    def last(self) -> int:
        """The position of the latest stored detection (0: none). Positions grow with
        every stored detection."""
        ...

    def count(self) -> int:
        """How many detections are stored."""
        ...


class ApiKeys(Protocol):
    """API keys: only a hash of each key is stored; the key itself is shown once."""

    def create(self, agency: str, role: Role, note: str = "") -> tuple[str, Principal]:
        """A new key for ``agency`` with ``role``: the key (shown once) and its principal.
        Raises ``ValueError`` for an empty agency or one with spaces."""
        ...

    def lookup(self, key: str) -> Principal | None:
        """The key's principal; None for an unknown or revoked key. An implementation may
        trust a key it looked up for a few seconds (``KEY_CACHE_S``)."""
        ...

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by its id; False when no live key has that id."""
        ...

    def list(self) -> list[dict[str, str]]:
        """Every key (never the key itself), oldest first: ``key_id``, ``agency``,
        ``role``, ``created_at``, ``note``, ``revoked_at`` ("" while live)."""
        ...


class DisclosureLog(DisclosureRecorder, Protocol):
    """Every disclosure to a partner agency (``alerts/gate.py`` writes them)."""

    def record_many(self, entries: Sequence[dict[str, Any]]) -> None:
        """Store ``entries`` in order, all or none, in one transaction (the live feed's
        background writer: one commit for a batch, app/runtime/disclosures.py)."""
        ...

    def entries(self) -> list[dict[str, Any]]:
        """The entries as recorded, oldest first."""
        ...


class AuditTrail(Protocol):
    """The append-only, hash-chained screening audit log (``screening/audit_log.py``)."""

    def record_screening(self, case: dict[str, Any], result: ScreeningResult) -> str:
        """Store the case and its proposed result; returns the record id. Raises
        ``InputError`` when the two are for different cases."""
        ...

    def record_decision(
        self,
        case_id: str,
        person_id: str,
        officer: str,
        decision: str,
        reason: str,
        outcome: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> str:
        """An officer confirms or overrides a proposed outcome (a new record); returns
        its id. ``details`` are kept in the record beside the decision (the decision
        record's id, the rule set, the citations). Raises ``InputError`` for an invalid
        decision or an unscreened person."""
        ...

    def records(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """Every record (of one case, if given) in the order written."""
        ...

    def latest_screenings(self) -> list[dict[str, Any]]:
        """The latest screening record of each case, in the order written: in one read,
        what the last screening of every case's ``records`` would give (the facts in
        force of all cases, for the statistics)."""
        ...

    def verify(self) -> list[str]:
        """Empty when the hash chain is consistent; otherwise one message per problem (an
        edited, a deleted or a reordered record). The chain alone cannot see records cut
        off its end or a re-hashed chain: with a seal the records are signed and the head
        checkpointed, and ``screening.audit_proof.verify_log`` checks those."""
        ...


class EvidenceStore(Protocol):
    """The frame crops behind detections (domain/evidence.py), by detection id."""

    def put(self, snapshots: Sequence[Snapshot]) -> None:
        """Store them, all or none; a detection id stored already is left as it was."""

    def get(self, detection_id: str) -> Snapshot | None:
        """The snapshot of a detection (None: none kept)."""

    def between(self, start: datetime, end: datetime, limit: int = 500) -> list[Snapshot]:
        """Those taken from ``start`` to ``end`` (both included), oldest first, at most
        ``limit``."""


class Storage(Protocol):
    """The unit of work: eleven repositories on one store, and the transaction they share.

    Each repository method on its own is atomic. ``transaction()`` makes several one:
    everything written inside it, by any repository, is committed when the block ends and
    rolled back when it raises; a nested ``transaction()`` joins the outer one. Exceptions:
    the outbox's delivery marks (``mark_sent``, ``mark_failed``) are the dispatcher's and
    are written on their own (a lost mark means a resend, never a lost message): do not
    call them inside a transaction. After ``close()`` nothing may be used.
    """

    @property
    def detections(self) -> Detections: ...

    @property
    def keys(self) -> ApiKeys: ...

    @property
    def alerts(self) -> AlertStore: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def disclosures(self) -> DisclosureLog: ...

    @property
    def cases(self) -> CaseStore: ...

    @property
    def audit(self) -> AuditTrail: ...

    @property
    def interventions(self) -> InterventionStore:
        """The times of each incident's intervention (respond/times.py)."""
        ...

    @property
    def evidence(self) -> EvidenceStore:
        """The frame crops behind detections (domain/evidence.py)."""
        ...

    @property
    def decisions(self) -> DecisionStore:
        """Officers' decisions per person, append-only (screening/decisions.py)."""
        ...

    @property
    def returns(self) -> ReturnStore:
        """Returns to the US under the Agreement, append-only (screening/returns.py)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Everything inside commits together or not at all (nested uses join)."""
        ...

    def close(self) -> None:
        """Release the store (connections, files)."""
        ...
