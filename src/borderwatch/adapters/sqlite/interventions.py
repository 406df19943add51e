"""The intervention times (respond/times.py) in SQLite: one JSON record per incident."""

from __future__ import annotations

from pathlib import Path

import orjson

from borderwatch.adapters.sqlite.database import Database
from borderwatch.respond.times import InterventionTimes, times_from_json


class SqliteInterventions:
    """:class:`~borderwatch.respond.times.InterventionStore` on SQLite."""

    def __init__(self, where: str | Path | Database) -> None:
        self.db = Database.of(where)
        self.db.execute("CREATE TABLE IF NOT EXISTS intervention_times ("
                        " incident_id TEXT PRIMARY KEY, record TEXT NOT NULL)")

    def get(self, incident_id: str) -> InterventionTimes | None:
        rows = self.db.read("SELECT record FROM intervention_times WHERE incident_id = ?",
                            (incident_id,))
        return times_from_json(orjson.loads(rows[0][0])) if rows else None

    def put(self, times: InterventionTimes) -> None:
        # The same statement is PostgreSQL's (adapters/postgres/interventions.py).
        self.db.execute(
            "INSERT INTO intervention_times (incident_id, record) VALUES (?, ?)"
            " ON CONFLICT (incident_id) DO UPDATE SET record = excluded.record",
            (times.incident_id, orjson.dumps(times.to_json()).decode()))

    def all(self) -> list[InterventionTimes]:
        rows = self.db.read("SELECT record FROM intervention_times ORDER BY incident_id")
        return [times_from_json(orjson.loads(r[0])) for r in rows]
