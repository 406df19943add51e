"""The screening audit log in the service's SQLite file (table ``screening_audit``).

The chain and its rules are ``screening/audit_chain.py``, the signatures and checkpoints
``screening/audit_proof.py``; this module stores the rows, and reads a file for
``borderwatch audit verify`` without changing it (:func:`read_audit_file`). Records are
never updated; ``seq`` is the primary key and is given explicitly, so two concurrent
writers collide on it instead of forking the chain.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from borderwatch.adapters.audit.rows import (
    BASE_COLUMNS,
    COLUMNS,
    LATEST_SCREENINGS,
    row_from,
    row_values,
)
from borderwatch.adapters.sqlite.database import Database
from borderwatch.domain import InputError
from borderwatch.domain.time import utc_now
from borderwatch.screening.audit_chain import GENESIS, AuditRow, chain_hash
from borderwatch.screening.audit_log import DECISIONS, ChainedAuditLog
from borderwatch.screening.audit_proof import AuditSeal

__all__ = ["DECISIONS", "GENESIS", "AuditLog", "chain_hash", "read_audit_file"]

# The same table as files written before (by SQLAlchemy) hold, so they open as they are;
# the DDL is PostgreSQL's too. ``sig`` came later: older files get it added, empty.
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
    sig TEXT,
    PRIMARY KEY (seq),
    UNIQUE (record_id)
);
CREATE INDEX IF NOT EXISTS ix_screening_audit_case_id ON screening_audit (case_id);
"""
SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file (sqlite.org/fileformat.html)."""


class AuditLog(ChainedAuditLog):
    """:class:`~borderwatch.ports.storage.AuditTrail` on SQLite. With a ``seal`` its
    records are signed and its head checkpointed (``audit_log.py``). Closing it
    checkpoints what is not yet, then closes its :class:`Database`."""

    def __init__(
        self,
        where: str | Path | Database,
        *,
        clock: Callable[[], datetime] = utc_now,
        seal: AuditSeal | None = None,
    ) -> None:
        super().__init__(clock=clock, seal=seal)
        self.db = Database.of(where)
        self.path = self.db.path
        self.db.executescript(_SCHEMA)
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(screening_audit)")}
        if "sig" not in columns:
            self.db.execute("ALTER TABLE screening_audit ADD COLUMN sig TEXT")

    def close(self) -> None:
        super().close()
        self.db.close()

    def _in_transaction(self) -> bool:
        return self.db.in_transaction

    def _ends(self) -> tuple[AuditRow | None, AuditRow | None]:
        first = self.db.read(f"SELECT {COLUMNS} FROM screening_audit ORDER BY seq LIMIT 1")
        last = self.db.read(f"SELECT {COLUMNS} FROM screening_audit ORDER BY seq DESC LIMIT 1")
        return (row_from(first[0]) if first else None, row_from(last[0]) if last else None)

    def _rows(self, case_id: str | None) -> list[AuditRow]:
        if case_id is None:
            rows = self.db.read(f"SELECT {COLUMNS} FROM screening_audit ORDER BY seq")
        else:
            rows = self.db.read(
                f"SELECT {COLUMNS} FROM screening_audit WHERE case_id = ? ORDER BY seq",
                (case_id,),
            )
        return [row_from(r) for r in rows]

    def _latest_screening_rows(self) -> list[AuditRow]:
        return [row_from(r) for r in self.db.read(LATEST_SCREENINGS)]

    def _append_row(self, make: Callable[[AuditRow | None], AuditRow]) -> None:
        with self.db.transaction():
            last = self.db.execute(
                f"SELECT {COLUMNS} FROM screening_audit ORDER BY seq DESC LIMIT 1"
            )
            row = make(row_from(last[0]) if last else None)
            self.db.execute(
                f"INSERT INTO screening_audit ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row_values(row),
            )


def read_audit_file(path: Path) -> list[AuditRow] | None:
    """Every row of the audit log in the SQLite file at ``path``, read without writing a
    byte to it (``mode=ro``: no table is created, no journal mode changed). None when the
    file is a SQLite database without the audit table (dropped, or not an audit log).
    Raises ``InputError`` naming the file when it is not a SQLite database or its audit
    table lacks the columns of one."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as err:
        raise InputError(None, f"cannot read it ({err.strerror})", source=str(path)) from None
    if head and head != SQLITE_MAGIC:
        hint = " (it looks like JSON)" if head.lstrip()[:1] in (b"{", b"[") else ""
        raise InputError(None, f"not an audit log: not a SQLite database{hint}", source=str(path))
    # mode=ro: SQLite writes nothing. When no writer has left a WAL beside the file
    # (closed cleanly, or a copy), immutable=1 too: then SQLite does not even create the
    # -shm and -wal files (which it cannot on read-only media); with a WAL present it
    # needs them to read the last commits (sqlite.org/uri.html, sqlite.org/wal.html).
    wal = path.with_name(path.name + "-wal")
    query = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True)
    except sqlite3.Error as err:
        raise InputError(None, f"cannot open it read-only ({err})", source=str(path)) from None
    try:
        columns = {r[1] for r in connection.execute("PRAGMA table_info(screening_audit)")}
        if not columns:
            return None
        missing = [c.strip() for c in BASE_COLUMNS.split(",") if c.strip() not in columns]
        if missing:
            raise InputError(
                None,
                "not an audit log: table screening_audit lacks " + ", ".join(missing),
                source=str(path),
            )
        select = COLUMNS if "sig" in columns else BASE_COLUMNS + ", NULL"
        rows = connection.execute(f"SELECT {select} FROM screening_audit ORDER BY seq")
        return [row_from(r) for r in rows]
    except sqlite3.DatabaseError as err:
        raise InputError(
            None, f"not a readable SQLite database ({err})", source=str(path)
        ) from None
    finally:
        connection.close()
