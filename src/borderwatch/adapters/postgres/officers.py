"""Officers' decisions and returns on PostgreSQL: the tables and statements of
adapters/sqlite/officers.py (created in ``schema.py``). A racing writer's insert meets the
unique indexes and does nothing (``ON CONFLICT DO NOTHING``, as cases.py), so the loser
gets a conflict error, not a broken transaction."""

from __future__ import annotations

import orjson

from borderwatch.adapters.postgres.database import Database
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


class PostgresDecisions:
    """:class:`~borderwatch.screening.decisions.DecisionStore` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(self, decision: OfficerDecision) -> None:
        with self.db.transaction() as connection:
            check_revision(self.latest(decision.case_id, decision.person_id),
                           decision.replaces, decision.case_id, decision.person_id)
            stored = connection.execute(
                "INSERT INTO officer_decisions (decision_id, case_id, person_id, replaces,"
                " record) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (decision.decision_id, decision.case_id, decision.person_id,
                 decision.replaces, orjson.dumps(decision.to_json()).decode())).rowcount
            if not stored:
                raise DecisionConflict(decision.case_id, decision.person_id, None,
                                       decision.replaces)

    def latest(self, case_id: str, person_id: str) -> OfficerDecision | None:
        rows = self.db.execute(
            "SELECT record FROM officer_decisions WHERE case_id = %s AND person_id = %s"
            " ORDER BY seq DESC LIMIT 1", (case_id, person_id))
        return decision_from_json(orjson.loads(rows[0][0])) if rows else None

    def history(self, case_id: str, person_id: str | None = None) -> list[OfficerDecision]:
        rows = self.db.execute(
            "SELECT record FROM officer_decisions WHERE case_id = %s"
            " AND (%s::text IS NULL OR person_id = %s) ORDER BY seq",
            (case_id, person_id, person_id))
        return [decision_from_json(orjson.loads(r[0])) for r in rows]

    def all(self) -> list[OfficerDecision]:
        rows = self.db.execute("SELECT record FROM officer_decisions ORDER BY seq")
        return [decision_from_json(orjson.loads(r[0])) for r in rows]


class PostgresReturns:
    """:class:`~borderwatch.screening.returns.ReturnStore` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(self, record: ReturnRecord) -> None:
        with self.db.transaction() as connection:
            check_not_returned(self.for_case(record.case_id), record)
            stored = connection.execute(
                "INSERT INTO case_returns (return_id, case_id, record) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (record.return_id, record.case_id,
                 orjson.dumps(record.to_json()).decode())).rowcount
            people = 0
            for person in record.people:
                people += connection.execute(
                    "INSERT INTO returned_people (case_id, person_id, return_id)"
                    " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (record.case_id, person, record.return_id)).rowcount
            if not stored or people != len(record.people):
                raise ReturnConflict(f"return {record.return_id}: its id is used or one of "
                                     "its people is already returned")

    def for_case(self, case_id: str) -> list[ReturnRecord]:
        rows = self.db.execute(
            "SELECT record FROM case_returns WHERE case_id = %s ORDER BY seq", (case_id,))
        return [return_from_json(orjson.loads(r[0])) for r in rows]

    def all(self) -> list[ReturnRecord]:
        rows = self.db.execute("SELECT record FROM case_returns ORDER BY seq")
        return [return_from_json(orjson.loads(r[0])) for r in rows]
