"""The screening audit log on PostgreSQL (table ``screening_audit``).

The chain and its rules are ``screening/audit_chain.py``; this module stores the rows. An
append reads the last record and writes the next under a transaction-level advisory lock
(``database.AUDIT_LOCK``), so appends from any number of processes queue one behind the
other and the chain never forks; ``seq`` is also the primary key, a second guard.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from borderwatch.adapters.postgres.database import ADVISORY_NAMESPACE, AUDIT_LOCK, Database
from borderwatch.domain.time import utc_now
from borderwatch.screening.audit_chain import AuditRow, ChainedAuditLog

_COLUMNS = "seq, record_id, kind, case_id, person_id, created_at, body, prev_hash, hash"


class PostgresAuditLog(ChainedAuditLog):
    """:class:`~borderwatch.ports.storage.AuditTrail` on PostgreSQL."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(clock=clock)
        self.db = db

    def _rows(self, case_id: str | None) -> list[AuditRow]:
        if case_id is None:
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM screening_audit ORDER BY seq")
        else:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM screening_audit WHERE case_id = %s ORDER BY seq",
                (case_id,),
            )
        return [_row(r) for r in rows]

    def _append_row(self, make: Callable[[AuditRow | None], AuditRow]) -> None:
        with self.db.transaction() as connection:
            # Held until this transaction ends: the next appender reads our row as last.
            connection.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (ADVISORY_NAMESPACE, AUDIT_LOCK))
            last = connection.execute(
                f"SELECT {_COLUMNS} FROM screening_audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            row = make(None if last is None else _row(last))
            connection.execute(
                f"INSERT INTO screening_audit ({_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
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
