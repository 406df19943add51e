"""The screening audit log's hash chain and rules, with no storage of its own.

Each record keeps its canonical JSON body, the previous record's hash and its own SHA-256
over ``previous hash + newline + body``. Records are never updated: an officer's
confirmation or override is a new record. :func:`check_chain` recomputes the chain and
reports edited records (hash mismatch) and deleted ones (sequence gap, chain break). Limit:
deleting the *last* records leaves a shorter valid chain; anchoring the head hash outside
the database would catch that. :class:`ChainedAuditLog` is the behaviour every store shares
(the SQLite one in ``adapters/sqlite/audit.py``, the fake in ``ports/storage_fake.py``).
"""

from __future__ import annotations

import hashlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from borderwatch.domain import InputError
from borderwatch.domain.time import utc_now
from borderwatch.screening.decide import OUTCOMES, ScreeningResult
from borderwatch.screening.report import result_to_json

GENESIS = "0" * 64
"""The previous hash of the first record."""
DECISIONS = frozenset({"confirm", "override"})
"""What an officer may do with a proposed outcome."""


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always hashes the same."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def chain_hash(prev_hash: str, body: str) -> str:
    """SHA-256 of the previous hash, a newline and the canonical JSON body."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRow:
    """One stored record, column by column (table ``screening_audit``)."""

    seq: int
    """1, 2, 3, ... in the order written; a gap means a record was deleted."""
    record_id: str
    kind: str
    """``screening`` or ``decision``."""
    case_id: str
    person_id: str | None
    created_at: str
    """ISO 8601, UTC."""
    body: str
    """Canonical JSON of the columns above plus ``data``: what the hash covers."""
    prev_hash: str
    hash: str

    def record(self) -> dict[str, Any]:
        """The record as :meth:`ChainedAuditLog.records` gives it."""
        return {
            "seq": self.seq,
            "record_id": self.record_id,
            "kind": self.kind,
            "case_id": self.case_id,
            "person_id": self.person_id,
            "created_at": self.created_at,
            "data": orjson.loads(self.body).get("data"),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def next_row(
    last: AuditRow | None,
    *,
    record_id: str,
    kind: str,
    case_id: str,
    person_id: str | None,
    created_at: str,
    data: Any,
) -> AuditRow:
    """The record that follows ``last`` (None: the first record of the chain)."""
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS if last is None else last.hash
    body = canonical(
        {
            "seq": seq,
            "record_id": record_id,
            "kind": kind,
            "case_id": case_id,
            "person_id": person_id,
            "created_at": created_at,
            "data": data,
        }
    )
    return AuditRow(
        seq=seq,
        record_id=record_id,
        kind=kind,
        case_id=case_id,
        person_id=person_id,
        created_at=created_at,
        body=body,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, body),
    )


def check_chain(rows: Iterable[AuditRow]) -> list[str]:
    """Empty when the records (in ``seq`` order) form an intact chain; otherwise one
    message per problem found: a sequence gap, a chain break, a hash mismatch (an edited
    record), a body that is not JSON, or a column that differs from the body."""
    problems: list[str] = []
    expected_seq = 1
    prev_hash = GENESIS
    for row in rows:
        where = f"record seq {row.seq} ({row.record_id})"
        if row.seq != expected_seq:
            problems.append(
                f"sequence gap: expected seq {expected_seq}, found {row.seq} (records deleted?)"
            )
        if row.prev_hash != prev_hash:
            problems.append(
                f"chain break at {where}: previous hash does not match the record before it"
            )
        if chain_hash(row.prev_hash, row.body) != row.hash:
            problems.append(f"hash mismatch at {where}: the record was edited")
        try:
            body = orjson.loads(row.body)
        except orjson.JSONDecodeError:
            problems.append(f"{where}: body is not valid JSON")
            body = {}
        columns = {
            "seq": row.seq,
            "record_id": row.record_id,
            "kind": row.kind,
            "case_id": row.case_id,
            "person_id": row.person_id,
            "created_at": row.created_at,
        }
        for key, value in columns.items():
            if body.get(key) != value:
                problems.append(f"column mismatch at {where}: {key} differs from the body")
        expected_seq = row.seq + 1
        prev_hash = row.hash
    return problems


class ChainedAuditLog(ABC):
    """An append-only, hash-chained log of screenings and officer decisions.

    A store provides two things: its rows in ``seq`` order, and appending the row that
    follows its last one in one transaction (two writers must collide, not fork the
    chain)."""

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock

    @abstractmethod
    def _rows(self, case_id: str | None) -> list[AuditRow]:
        """Every stored row (of one case, if given), by ``seq``."""

    @abstractmethod
    def _append_row(self, make: Callable[[AuditRow | None], AuditRow]) -> None:
        """In one transaction: read the last row, store ``make(last row)``."""

    def record_screening(self, case: dict[str, Any], result: ScreeningResult) -> str:
        """Store the case as given and the proposed result; returns the record id."""
        if case.get("case_id") != result.case_id:
            raise InputError("case_id", "the case and the result are for different cases")
        return self._append(
            "screening", result.case_id, None, {"case": case, "result": result_to_json(result)}
        )

    def record_decision(
        self,
        case_id: str,
        person_id: str,
        officer: str,
        decision: str,
        reason: str,
        outcome: str | None = None,
    ) -> str:
        """An officer confirms or overrides the proposed outcome for one person (a new
        record); returns its id. An override needs a reason and an outcome; a confirmation
        takes the latest screening's proposal. Raises :class:`InputError` otherwise, or when
        the person was not screened in the case."""
        if decision not in DECISIONS:
            raise InputError("decision", f"must be one of {sorted(DECISIONS)}, got {decision!r}")
        if not officer.strip():
            raise InputError("officer", "must name the officer")
        if decision == "override":
            if not reason.strip():
                raise InputError("reason", "an override needs a reason")
            if outcome not in OUTCOMES:
                raise InputError("outcome", f"an override needs one of {list(OUTCOMES)}")
        proposed = self._proposed(case_id, person_id)
        if proposed is None:
            raise InputError("person_id", f"{person_id!r} was not screened in case {case_id!r}")
        if decision == "confirm":
            if outcome is not None and outcome != proposed:
                raise InputError("outcome", f"confirming {proposed!r} but outcome is {outcome!r}")
            outcome = proposed
        return self._append(
            "decision",
            case_id,
            person_id,
            {
                "officer": officer,
                "decision": decision,
                "reason": reason,
                "outcome": outcome,
                "proposed": proposed,
            },
        )

    def records(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """Every record (of one case, if given) in the order written."""
        return [row.record() for row in self._rows(case_id)]

    def verify(self) -> list[str]:
        """Empty when the chain is intact; otherwise one message per problem found."""
        return check_chain(self._rows(None))

    def _append(self, kind: str, case_id: str, person_id: str | None, data: Any) -> str:
        record_id = uuid.uuid4().hex
        created_at = self._clock().astimezone(UTC).isoformat()
        self._append_row(
            lambda last: next_row(
                last,
                record_id=record_id,
                kind=kind,
                case_id=case_id,
                person_id=person_id,
                created_at=created_at,
                data=data,
            )
        )
        return record_id

    def _proposed(self, case_id: str, person_id: str) -> str | None:
        """The outcome of the latest screening of this person in this case."""
        for record in reversed(self.records(case_id)):
            if record["kind"] != "screening":
                continue
            for person in record["data"]["result"]["people"]:
                if person["id"] == person_id:
                    return str(person["outcome"])
        return None
