"""An append-only, hash-chained audit log of screenings and officer decisions.

Each record stores its JSON body, the previous record's hash and its own SHA-256 hash over
``previous hash + body``. Records are never updated: an officer's confirmation or override is
a new record. :meth:`AuditLog.verify` recomputes the chain and reports edited records (hash
mismatch) and deleted ones (sequence gap, chain break). Limit: deleting the *last* records
leaves a shorter valid chain; anchoring the head hash outside the database would catch that.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.engine import Engine

from borderwatch.domain import InputError
from borderwatch.domain.time import utc_now
from borderwatch.screening.decide import OUTCOMES, ScreeningResult
from borderwatch.screening.report import result_to_json

GENESIS = "0" * 64
DECISIONS = frozenset({"confirm", "override"})

metadata = MetaData()
records_table = Table(
    "screening_audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("record_id", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("case_id", String(200), nullable=False, index=True),
    Column("person_id", String(200), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)


def _canonical(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def chain_hash(prev_hash: str, body: str) -> str:
    """SHA-256 of the previous hash, a newline and the canonical JSON body."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()



class AuditLog:
    """Screenings and decisions in tables of their own (``screening_*``), any SQLAlchemy URL."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._engine: Engine = create_engine(url)
        self._clock = clock
        metadata.create_all(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    def _append(self, kind: str, case_id: str, person_id: str | None, data: Any) -> str:
        record_id = uuid.uuid4().hex
        created_at = self._clock().astimezone(UTC).isoformat()
        with self._engine.begin() as conn:
            last = conn.execute(
                select(records_table.c.seq, records_table.c.hash)
                .order_by(records_table.c.seq.desc())
                .limit(1)
            ).first()
            seq = 1 if last is None else last.seq + 1
            prev_hash = GENESIS if last is None else last.hash
            body = _canonical(
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
            # seq is the primary key, given explicitly: two concurrent writers collide on it
            # instead of forking the chain.
            conn.execute(
                records_table.insert().values(
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
            )
        return record_id

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
        """An officer confirms or overrides the proposed outcome for one person (a new record)."""
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

    def _proposed(self, case_id: str, person_id: str) -> str | None:
        """The outcome of the latest screening of this person in this case."""
        for record in reversed(self.records(case_id)):
            if record["kind"] != "screening":
                continue
            for person in record["data"]["result"]["people"]:
                if person["id"] == person_id:
                    return str(person["outcome"])
        return None

    def records(self, case_id: str | None = None) -> list[dict[str, Any]]:
        query = select(records_table).order_by(records_table.c.seq)
        if case_id is not None:
            query = query.where(records_table.c.case_id == case_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            body = orjson.loads(row.body)
            out.append(
                {
                    "seq": row.seq,
                    "record_id": row.record_id,
                    "kind": row.kind,
                    "case_id": row.case_id,
                    "person_id": row.person_id,
                    "created_at": row.created_at,
                    "data": body.get("data"),
                    "prev_hash": row.prev_hash,
                    "hash": row.hash,
                }
            )
        return out

    def verify(self) -> list[str]:
        """Empty when the chain is intact; otherwise one message per problem found."""
        problems: list[str] = []
        with self._engine.connect() as conn:
            rows = conn.execute(select(records_table).order_by(records_table.c.seq)).all()
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
