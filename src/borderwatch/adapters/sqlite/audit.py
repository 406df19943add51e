"""The screening audit log in the service's SQLite file (table ``screening_audit``).

The chain and its rules are ``screening/audit_chain.py``; this module stores the rows.
Records are never updated; ``seq`` is the primary key and is given explicitly, so two
concurrent writers collide on it instead of forking the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from borderwatch.adapters.sqlite.database import Database
from borderwatch.domain.time import utc_now
from borderwatch.screening.audit_chain import (
    DECISIONS,
    GENESIS,
    AuditRow,
    ChainedAuditLog,
    chain_hash,
)

__all__ = ["DECISIONS", "GENESIS", "AuditLog", "chain_hash"]

# The same table as files written before (by SQLAlchemy) hold, so they open as they are;
# the DDL is PostgreSQL's too.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS screening_audit (
    seq INTEGER NOT NULL,
    record_id VARCHAR(32) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    case_id VARCHAR(200) NOT NULL,
    person_id VARCHAR(200),
    created_at VARCHAR(40) NOT NULL,
    body TEXT NOT NULL,
    prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL,
    PRIMARY KEY (seq),
    UNIQUE (record_id)
);
CREATE INDEX IF NOT EXISTS ix_screening_audit_case_id ON screening_audit (case_id);
"""
_COLUMNS = "seq, record_id, kind, case_id, person_id, created_at, body, prev_hash, hash"


class AuditLog(ChainedAuditLog):
    """:class:`~borderwatch.ports.storage.AuditTrail` on SQLite. Closing it closes its
    :class:`Database`."""

    def __init__(
        self, where: str | Path | Database, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__(clock=clock)
        self.db = Database.of(where)
        self.path = self.db.path
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _rows(self, case_id: str | None) -> list[AuditRow]:
        if case_id is None:
            rows = self.db.read(f"SELECT {_COLUMNS} FROM screening_audit ORDER BY seq")
        else:
            rows = self.db.read(
                f"SELECT {_COLUMNS} FROM screening_audit WHERE case_id = ? ORDER BY seq",
                (case_id,),
            )
        return [_row(r) for r in rows]

    def _append_row(self, make: Callable[[AuditRow | None], AuditRow]) -> None:
        with self.db.transaction():
            last = self.db.execute(
                f"SELECT {_COLUMNS} FROM screening_audit ORDER BY seq DESC LIMIT 1"
            )
            row = make(_row(last[0]) if last else None)
            self.db.execute(
                f"INSERT INTO screening_audit ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row.seq, row.record_id, row.kind, row.case_id, row.person_id, row.created_at,
                 row.body, row.prev_hash, row.hash),
            )


def _row(r: tuple[Any, ...]) -> AuditRow:
    return AuditRow(
        seq=int(r[0]),
        record_id=str(r[1]),
        kind=str(r[2]),
        case_id=str(r[3]),
        person_id=None if r[4] is None else str(r[4]),
        created_at=str(r[5]),
        body=str(r[6]),
        prev_hash=str(r[7]),
        hash=str(r[8]),
    )
