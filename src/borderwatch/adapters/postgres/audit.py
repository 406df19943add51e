"""The screening audit log on PostgreSQL (table ``screening_audit``).

The chain and its rules are ``screening/audit_chain.py``; this module stores the rows. An
append reads the last record and writes the next under a transaction-level advisory lock
(``database.AUDIT_LOCK``), so appends from any number of processes queue one behind the
other and the chain never forks; ``seq`` is also the primary key, a second guard.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from borderwatch.adapters.audit.rows import COLUMNS, LATEST_SCREENINGS, row_from, row_values
from borderwatch.adapters.postgres.database import ADVISORY_NAMESPACE, AUDIT_LOCK, Database
from borderwatch.domain.time import utc_now
from borderwatch.screening.audit_chain import AuditRow
from borderwatch.screening.audit_log import ChainedAuditLog
from borderwatch.screening.audit_proof import AuditSeal


class PostgresAuditLog(ChainedAuditLog):
    """:class:`~borderwatch.ports.storage.AuditTrail` on PostgreSQL. With a ``seal`` its
    records are signed and its head checkpointed (``audit_log.py``); each process writes
    its own checkpoints, in any order: every one is a head the log once had."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utc_now,
        seal: AuditSeal | None = None,
    ) -> None:
        super().__init__(clock=clock, seal=seal)
        self.db = db

    def _in_transaction(self) -> bool:
        return self.db.in_transaction

    def _ends(self) -> tuple[AuditRow | None, AuditRow | None]:
        first = self.db.execute(f"SELECT {COLUMNS} FROM screening_audit ORDER BY seq LIMIT 1")
        last = self.db.execute(f"SELECT {COLUMNS} FROM screening_audit ORDER BY seq DESC LIMIT 1")
        return (row_from(first[0]) if first else None, row_from(last[0]) if last else None)

    def _rows(self, case_id: str | None) -> list[AuditRow]:
        if case_id is None:
            rows = self.db.execute(f"SELECT {COLUMNS} FROM screening_audit ORDER BY seq")
        else:
            rows = self.db.execute(
                f"SELECT {COLUMNS} FROM screening_audit WHERE case_id = %s ORDER BY seq",
                (case_id,),
            )
        return [row_from(r) for r in rows]

    def _latest_screening_rows(self) -> list[AuditRow]:
        return [row_from(r) for r in self.db.execute(LATEST_SCREENINGS)]

    def _append_row(self, make: Callable[[AuditRow | None], AuditRow]) -> None:
        with self.db.transaction() as connection:
            # Held until this transaction ends: the next appender reads our row as last.
            connection.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (ADVISORY_NAMESPACE, AUDIT_LOCK)
            )
            last = connection.execute(
                f"SELECT {COLUMNS} FROM screening_audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            row = make(None if last is None else row_from(last))
            connection.execute(
                f"INSERT INTO screening_audit ({COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                row_values(row),
            )
