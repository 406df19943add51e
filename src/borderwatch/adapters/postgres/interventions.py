"""The intervention times (respond/times.py) on PostgreSQL: one JSON record per incident,
as the SQLite store writes it."""

from __future__ import annotations

import orjson

from borderwatch.adapters.postgres.database import Database
from borderwatch.respond.times import InterventionTimes, times_from_json


class PostgresInterventions:
    """:class:`~borderwatch.respond.times.InterventionStore` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, incident_id: str) -> InterventionTimes | None:
        rows = self.db.execute(
            "SELECT record FROM intervention_times WHERE incident_id = %s", (incident_id,))
        return times_from_json(orjson.loads(rows[0][0])) if rows else None

    def put(self, times: InterventionTimes) -> None:
        self.db.execute(
            "INSERT INTO intervention_times (incident_id, record) VALUES (%s, %s)"
            " ON CONFLICT (incident_id) DO UPDATE SET record = excluded.record",
            (times.incident_id, orjson.dumps(times.to_json()).decode()))

    def all(self) -> list[InterventionTimes]:
        rows = self.db.execute("SELECT record FROM intervention_times ORDER BY incident_id")
        return [times_from_json(orjson.loads(r[0])) for r in rows]
