"""Officers' decisions and returns (screening/decisions.py, screening/returns.py) in
SQLite: one JSON record per row, append-only, with the columns the rules need indexed.

The database itself refuses what would break a person's chain of decisions when two
writers race: a record is replaced at most once (``replaces`` is unique) and a person has
one first decision (a partial unique index); a person is returned once
(``returned_people``). The same DDL and statements run on PostgreSQL
(adapters/postgres/officers.py) but for the placeholders and the id column.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from borderwatch.adapters.sqlite.database import Database
from borderwatch.screening.decisions import (
    DecisionConflict,
    OfficerDecision,
    check_revision,
    decision_from_json,
)
from borderwatch.screening.returns import (
    ReturnConflict,
    ReturnRecord,
    check_not_returned,
    return_from_json,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS officer_decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    decision_id VARCHAR(64) NOT NULL UNIQUE,
    case_id VARCHAR(64) NOT NULL,
    person_id VARCHAR(64) NOT NULL,
    replaces VARCHAR(64) UNIQUE,
    record TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_officer_decisions_first
    ON officer_decisions (case_id, person_id) WHERE replaces IS NULL;
CREATE INDEX IF NOT EXISTS ix_officer_decisions_person
    ON officer_decisions (case_id, person_id, seq);
CREATE TABLE IF NOT EXISTS case_returns (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    return_id VARCHAR(64) NOT NULL UNIQUE,
    case_id VARCHAR(64) NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_case_returns_case ON case_returns (case_id, seq);
CREATE TABLE IF NOT EXISTS returned_people (
    case_id VARCHAR(64) NOT NULL,
    person_id VARCHAR(64) NOT NULL,
    return_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (case_id, person_id)
);
"""


class SqliteDecisions:
    """:class:`~borderwatch.screening.decisions.DecisionStore` on SQLite."""

    def __init__(self, where: str | Path | Database) -> None:
        self.db = Database.of(where)
        self.db.executescript(SCHEMA)

    def append(self, decision: OfficerDecision) -> None:
        with self.db.transaction():
            check_revision(self.latest(decision.case_id, decision.person_id),
                           decision.replaces, decision.case_id, decision.person_id)
            stored = self.db.changes(
                "INSERT INTO officer_decisions (decision_id, case_id, person_id,"
                " replaces, record) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (decision.decision_id, decision.case_id, decision.person_id,
                 decision.replaces, orjson.dumps(decision.to_json()).decode()))
            if not stored:
                # Another writer got there first (or the id is used): nothing is stored.
                raise DecisionConflict(decision.case_id, decision.person_id, None,
                                       decision.replaces)

    def latest(self, case_id: str, person_id: str) -> OfficerDecision | None:
        rows = self.db.read("SELECT record FROM officer_decisions WHERE case_id = ? AND"
                            " person_id = ? ORDER BY seq DESC LIMIT 1", (case_id, person_id))
        return decision_from_json(orjson.loads(rows[0][0])) if rows else None

    def history(self, case_id: str, person_id: str | None = None) -> list[OfficerDecision]:
        if person_id is None:
            rows = self.db.read("SELECT record FROM officer_decisions WHERE case_id = ?"
                                " ORDER BY seq", (case_id,))
        else:
            rows = self.db.read("SELECT record FROM officer_decisions WHERE case_id = ? AND"
                                " person_id = ? ORDER BY seq", (case_id, person_id))
        return [decision_from_json(orjson.loads(r[0])) for r in rows]

    def all(self) -> list[OfficerDecision]:
        rows = self.db.read("SELECT record FROM officer_decisions ORDER BY seq")
        return [decision_from_json(orjson.loads(r[0])) for r in rows]


class SqliteReturns:
    """:class:`~borderwatch.screening.returns.ReturnStore` on SQLite."""

    def __init__(self, where: str | Path | Database) -> None:
        self.db = Database.of(where)
        self.db.executescript(SCHEMA)

    def append(self, record: ReturnRecord) -> None:
        with self.db.transaction():
            check_not_returned(self.for_case(record.case_id), record)
            stored = self.db.changes(
                "INSERT INTO case_returns (return_id, case_id, record) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (record.return_id, record.case_id, orjson.dumps(record.to_json()).decode()))
            people = self.db.executemany(
                "INSERT INTO returned_people (case_id, person_id, return_id)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(record.case_id, p, record.return_id) for p in record.people])
            if not stored or people != len(record.people):
                # A racing writer's: the exception rolls back what this one wrote.
                raise ReturnConflict(f"return {record.return_id}: its id is used or one of "
                                     "its people is already returned")

    def for_case(self, case_id: str) -> list[ReturnRecord]:
        rows = self.db.read("SELECT record FROM case_returns WHERE case_id = ? ORDER BY seq",
                            (case_id,))
        return [return_from_json(orjson.loads(r[0])) for r in rows]

    def all(self) -> list[ReturnRecord]:
        rows = self.db.read("SELECT record FROM case_returns ORDER BY seq")
        return [return_from_json(orjson.loads(r[0])) for r in rows]
