"""The screening audit table's columns and rows, the same in SQLite and PostgreSQL
(``adapters/sqlite/audit.py``, ``adapters/postgres/audit.py``): the names each SELECT asks
for, the row read back, the values an INSERT writes and the latest-screening query."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from borderwatch.screening.audit_chain import AuditRow

BASE_COLUMNS = "seq, record_id, kind, case_id, person_id, created_at, body, prev_hash, hash"
"""The columns every audit table has had; files written before signatures lack ``sig``."""
COLUMNS = BASE_COLUMNS + ", sig"
"""In :class:`AuditRow`'s field order, which :func:`row_values` relies on."""
LATEST_SCREENINGS = f"""
SELECT {COLUMNS} FROM screening_audit WHERE seq IN (
    SELECT MAX(seq) FROM screening_audit WHERE kind = 'screening' GROUP BY case_id
) ORDER BY seq"""
"""The latest screening of each case."""


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def row_from(r: tuple[Any, ...]) -> AuditRow:
    """The record in a row selected as :data:`COLUMNS`. Tolerant of what an editor of a
    SQLite file may have put in a column (bytes, a text ``seq``): the chain check then
    reports the record instead of the reader failing."""
    try:
        seq = int(r[0])
    except (TypeError, ValueError):
        seq = -1
    return AuditRow(
        seq=seq,
        record_id=_text(r[1]),
        kind=_text(r[2]),
        case_id=_text(r[3]),
        person_id=None if r[4] is None else _text(r[4]),
        created_at=_text(r[5]),
        body=_text(r[6]),
        prev_hash=_text(r[7]),
        hash=_text(r[8]),
        sig=None if r[9] is None else _text(r[9]),
    )


def row_values(row: AuditRow) -> tuple[Any, ...]:
    """The values of an INSERT of :data:`COLUMNS`, in their order."""
    return astuple(row)
