"""Alert states and the disclosure log on PostgreSQL.

An alert state is stored as the JSON object the SQLite store writes
(``adapters/sqlite/alerts.py`` ``state_to_json``), with the facts a query filters on in
columns beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from borderwatch.adapters.postgres.database import Database
from borderwatch.adapters.sqlite.alerts import scope_condition, state_from_json, state_to_json
from borderwatch.alerts.lifecycle import EVERY_ALERT, AlertState, PageScope, Status
from borderwatch.domain.time import epoch_to_datetime

_COLUMNS = ("group_key", "incident_id", "type", "direction", "segment", "track_id")
"""Fact columns a query may filter on (the policy's GROUP_FIELDS and the group key)."""
_OPEN = [Status.TRIGGERED.value, Status.ACKNOWLEDGED.value]


class PostgresAlertStore:
    """:class:`~borderwatch.alerts.lifecycle.AlertStore` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, alert_id: str) -> AlertState | None:
        rows = self.db.execute("SELECT state FROM alerts WHERE alert_id = %s", (alert_id,))
        return state_from_json(orjson.loads(rows[0][0])) if rows else None

    def put(self, state: AlertState) -> None:
        facts = state.facts
        page = state.next_escalation_at
        self.db.execute(
            "INSERT INTO alerts (alert_id, status, raised_at, unit_id, group_key, incident_id,"
            " type, direction, segment, track_id, next_page_at, state)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (alert_id) DO UPDATE SET status = excluded.status,"
            " next_page_at = excluded.next_page_at, state = excluded.state",
            (
                state.alert_id,
                state.status.value,
                state.raised_at.timestamp(),
                state.unit.unit_id,
                state.group_key,
                facts.incident_id,
                facts.type,
                facts.direction,
                facts.segment,
                facts.track_id,
                None if page is None else page.timestamp(),
                orjson.dumps(state_to_json(state)).decode(),
            ),
        )

    def open_alerts(self, unit_id: str, equal: dict[str, str]) -> list[AlertState]:
        unknown = set(equal) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"cannot filter alerts on {sorted(unknown)}")
        # Column names come from _COLUMNS only; values are bound parameters.
        conditions = "".join(f" AND {name} = %s" for name in equal)
        return self._where(
            f"WHERE unit_id = %s AND status = ANY(%s){conditions} ORDER BY raised_at, alert_id",
            (unit_id, _OPEN, *equal.values()),
        )

    def due_for_escalation(self, now: datetime,
                           scope: PageScope = EVERY_ALERT) -> list[AlertState]:
        among, params = scope_condition(scope, "%s::text")
        return self._where(
            f"WHERE status = %s AND next_page_at <= %s{among} ORDER BY next_page_at, alert_id",
            (Status.TRIGGERED.value, now.timestamp(), *params),
        )

    def next_escalation_at(self, scope: PageScope = EVERY_ALERT) -> datetime | None:
        among, params = scope_condition(scope, "%s::text")
        rows = self.db.execute(f"SELECT min(next_page_at) FROM alerts WHERE status = %s{among}",
                               (Status.TRIGGERED.value, *params))
        first = next(iter(rows), (None,))[0]
        return None if first is None else epoch_to_datetime(float(first))

    def all_alerts(self) -> list[AlertState]:
        return self._where("ORDER BY raised_at, alert_id", ())

    def _where(self, clause: str, params: tuple[object, ...]) -> list[AlertState]:
        rows = self.db.execute(f"SELECT state FROM alerts {clause}", params)
        return [state_from_json(orjson.loads(r[0])) for r in rows]


class PostgresDisclosures:
    """The disclosure log (:class:`~borderwatch.ports.storage.DisclosureLog`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, entry: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO disclosures (alert_id, recipient, entry) VALUES (%s, %s, %s)",
            (entry["alert_id"], entry["recipient"], orjson.dumps(entry).decode()),
        )

    def record_many(self, entries: Sequence[dict[str, Any]]) -> None:
        rows = [(e["alert_id"], e["recipient"], orjson.dumps(e).decode()) for e in entries]
        if not rows:
            return
        with self.db.transaction() as connection, connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO disclosures (alert_id, recipient, entry) VALUES (%s, %s, %s)",
                rows,
            )

    def entries(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT entry FROM disclosures ORDER BY id")
        return [orjson.loads(r[0]) for r in rows]
