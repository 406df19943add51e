"""The screening audit log's hash chain, with no storage and no keys of its own.

Each record keeps its canonical JSON body, the previous record's hash and its own SHA-256
over ``previous hash + newline + body``. Records are never updated: an officer's
confirmation or override is a new record. :func:`check_chain` recomputes the chain and
reports edited records (hash mismatch) and deleted ones (sequence gap, chain break). A
plain hash chain cannot see its own tail cut off, nor a rewrite that recomputes every hash:
the signatures and checkpoints of ``audit_proof.py`` catch those. The behaviour every store
shares is ``audit_log.ChainedAuditLog``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS = "0" * 64
"""The previous hash of the first record."""


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
    sig: str | None = None
    """``scheme:key_id:base64`` signature over the hash (``audit_proof.py``); None in a
    log written without a key."""

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
        if not isinstance(body, dict):
            problems.append(f"{where}: body is not a JSON object")
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
