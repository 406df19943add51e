"""Alert states and the disclosure log in SQLite, in the same file as the outbox, so
`borderwatch alerts ack ID` works on what a running (or crashed) process left behind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from borderwatch.adapters.sqlite.database import Database
from borderwatch.alerts.lifecycle import EVERY_ALERT, AlertState, PageScope, Status
from borderwatch.alerts.policy import IncidentFacts
from borderwatch.domain import AgencyUnit, Audience, InputError, Severity
from borderwatch.domain.time import epoch_to_datetime

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id      TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    raised_at     REAL NOT NULL,
    unit_id       TEXT NOT NULL,
    group_key     TEXT NOT NULL,
    incident_id   TEXT NOT NULL,
    type          TEXT NOT NULL,
    direction     TEXT NOT NULL,
    segment       TEXT NOT NULL,
    track_id      TEXT NOT NULL,
    next_page_at  REAL,
    state         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_open ON alerts (unit_id, status, track_id);
CREATE INDEX IF NOT EXISTS alerts_group ON alerts (group_key, status);
CREATE INDEX IF NOT EXISTS alerts_pages ON alerts (status, next_page_at);
"""
_COLUMNS = ("group_key", "incident_id", "type", "direction", "segment", "track_id")
"""Fact columns a query may filter on (the policy's GROUP_FIELDS and the group key)."""
_OPEN = (Status.TRIGGERED.value, Status.ACKNOWLEDGED.value)


def scope_condition(scope: PageScope, mark: str) -> tuple[str, tuple[str, ...]]:
    """``scope`` as an SQL condition on ``incident_id`` (`` AND ...``, or nothing for
    every alert) and its parameters; ``mark`` is the dialect's placeholder. A prefix is
    compared as text, so ``_`` and ``%`` in it are not wildcards (as LIKE's would be).

    >>> scope_condition(PageScope("A-", ("B-",)), "?")[0]
    ' AND (substr(incident_id, 1, length(?)) = ? OR NOT (substr(incident_id, 1, length(?)) = ?))'
    """
    if not scope.own:
        return "", ()
    test = f"substr(incident_id, 1, length({mark})) = {mark}"
    others = " OR ".join(test for _ in scope.others)
    condition = f" AND ({test} OR NOT ({others}))" if others else f" AND {test}"
    params = (scope.own, scope.own, *(p for o in scope.others for p in (o, o)))
    return condition, params


class SqliteAlertStore:
    """:class:`~borderwatch.alerts.lifecycle.AlertStore` on SQLite (WAL, thread-safe)."""

    def __init__(self, where: str | Path | Database, *, synchronous: str = "FULL") -> None:
        self.db = Database.of(where, synchronous)
        self.path = self.db.path
        self.db.executescript(_SCHEMA)

    @classmethod
    def existing(cls, path: str | Path) -> SqliteAlertStore:
        """Open a store that must already exist (the CLI never creates one by mistake)."""
        if not Path(path).is_file():
            raise InputError("--db", f"no alert database at {path}")
        return cls(path)

    def close(self) -> None:
        """Close its :class:`Database` (shared: the whole storage)."""
        self.db.close()

    def get(self, alert_id: str) -> AlertState | None:
        rows = self.db.read("SELECT state FROM alerts WHERE alert_id = ?", (alert_id,))
        return state_from_json(orjson.loads(rows[0][0])) if rows else None

    def put(self, state: AlertState) -> None:
        facts = state.facts
        page = state.next_escalation_at
        self.db.execute(
            "INSERT INTO alerts (alert_id, status, raised_at, unit_id, group_key, incident_id,"
            " type, direction, segment, track_id, next_page_at, state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(alert_id) DO UPDATE SET status = excluded.status,"
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
        conditions = "".join(f" AND {name} = ?" for name in equal)
        return self._where(
            f"WHERE unit_id = ? AND status IN (?, ?){conditions} ORDER BY raised_at, alert_id",
            (unit_id, *_OPEN, *equal.values()),
        )

    def due_for_escalation(self, now: datetime,
                           scope: PageScope = EVERY_ALERT) -> list[AlertState]:
        among, params = scope_condition(scope, "?")
        return self._where(
            f"WHERE status = ? AND next_page_at <= ?{among} ORDER BY next_page_at, alert_id",
            (Status.TRIGGERED.value, now.timestamp(), *params),
        )

    def next_escalation_at(self, scope: PageScope = EVERY_ALERT) -> datetime | None:
        among, params = scope_condition(scope, "?")
        rows = self.db.read(f"SELECT min(next_page_at) FROM alerts WHERE status = ?{among}",
                            (Status.TRIGGERED.value, *params))
        first = next(iter(rows), (None,))[0]
        return None if first is None else epoch_to_datetime(float(first))

    def all_alerts(self) -> list[AlertState]:
        return self._where("ORDER BY raised_at, alert_id", ())

    def _where(self, clause: str, params: tuple[object, ...]) -> list[AlertState]:
        rows = self.db.read(f"SELECT state FROM alerts {clause}", params)
        return [state_from_json(orjson.loads(r[0])) for r in rows]


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def state_to_json(state: AlertState) -> dict[str, Any]:
    """An alert state as the JSON object stored in ``alerts.state`` (times as ISO 8601
    UTC); also what the CLI prints and the tracker process sends to the service."""
    facts = state.facts
    return {
        "alert_id": state.alert_id,
        "incident_id": state.incident_id,
        "group_key": state.group_key,
        "facts": {
            "incident_id": facts.incident_id,
            "type": facts.type,
            "direction": facts.direction,
            "segment": facts.segment,
            "track_id": facts.track_id,
            "severity": facts.severity.value,
            "reasons": sorted(facts.reasons),
        },
        "unit": {
            "unit_id": state.unit.unit_id,
            "name": state.unit.name,
            "agency": state.unit.agency,
            "country": state.unit.country,
        },
        "audience": state.audience.value,
        "payload": state.payload,
        "channels": list(state.channels),
        "escalation": state.escalation,
        "route": state.route,
        "status": state.status.value,
        "raised_at": _time(state.raised_at),
        "last_notified_at": _time(state.last_notified_at),
        "simulated": state.simulated,
        "life_at_risk": state.life_at_risk,
        "folded": state.folded,
        "notifications": state.notifications,
        "escalation_level": state.escalation_level,
        "next_escalation_at": _time(state.next_escalation_at),
        "acknowledged_by": state.acknowledged_by,
        "acknowledged_at": _time(state.acknowledged_at),
        "acknowledged_note": state.acknowledged_note,
        "resolved_at": _time(state.resolved_at),
        "resolved_by": state.resolved_by,
        "reason": state.reason,
        "refs": state.refs,
    }


def state_from_json(data: dict[str, Any]) -> AlertState:
    """The alert state :func:`state_to_json` wrote, equal to the one it was given."""
    facts = data["facts"]
    unit = data["unit"]
    raised = _parse(data["raised_at"])
    notified = _parse(data["last_notified_at"])
    assert raised is not None and notified is not None  # written by state_to_json
    return AlertState(
        alert_id=data["alert_id"],
        incident_id=data["incident_id"],
        group_key=data["group_key"],
        facts=IncidentFacts(
            incident_id=facts["incident_id"],
            type=facts["type"],
            direction=facts["direction"],
            segment=facts["segment"],
            track_id=facts["track_id"],
            severity=Severity(facts["severity"]),
            reasons=frozenset(facts["reasons"]),
        ),
        unit=AgencyUnit(unit["unit_id"], unit["name"], unit["agency"], unit["country"]),
        audience=Audience(data["audience"]),
        payload=data["payload"],
        channels=tuple(data["channels"]),
        escalation=data["escalation"],
        route=data["route"],
        status=Status(data["status"]),
        raised_at=raised,
        last_notified_at=notified,
        simulated=bool(data["simulated"]),
        life_at_risk=bool(data["life_at_risk"]),
        folded=int(data["folded"]),
        notifications=int(data["notifications"]),
        escalation_level=int(data["escalation_level"]),
        next_escalation_at=_parse(data["next_escalation_at"]),
        acknowledged_by=data["acknowledged_by"],
        acknowledged_at=_parse(data["acknowledged_at"]),
        acknowledged_note=data.get("acknowledged_note"),  # absent from older databases
        resolved_at=_parse(data["resolved_at"]),
        resolved_by=data["resolved_by"],
        reason=data["reason"],
        refs={k: list(v) for k, v in data["refs"].items()},
    )


class SqliteDisclosures:
    """The disclosure log in the alert database (``borderwatch alerts disclosures``)."""

    def __init__(self, where: str | Path | Database) -> None:
        self.db = Database.of(where)
        # AUTOINCREMENT is SQLite's spelling (PostgreSQL: an identity column).
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS disclosures (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " alert_id TEXT NOT NULL, recipient TEXT NOT NULL, entry TEXT NOT NULL)"
        )

    def record(self, entry: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO disclosures (alert_id, recipient, entry) VALUES (?, ?, ?)",
            (entry["alert_id"], entry["recipient"], orjson.dumps(entry).decode()),
        )

    def record_many(self, entries: Sequence[dict[str, Any]]) -> None:
        with self.db.transaction():  # one commit, one sync to disk, for the batch
            self.db.executemany(
                "INSERT INTO disclosures (alert_id, recipient, entry) VALUES (?, ?, ?)",
                [(e["alert_id"], e["recipient"], orjson.dumps(e).decode()) for e in entries],
            )

    def entries(self) -> list[dict[str, Any]]:
        rows = self.db.read("SELECT entry FROM disclosures ORDER BY id")
        return [orjson.loads(r[0]) for r in rows]

    def close(self) -> None:
        self.db.close()
