"""Alert sinks: where alerts are delivered. One method; a recording fake beside it."""

from __future__ import annotations

from typing import Any, Protocol

from borderwatch.domain import Alert
from borderwatch.sources.wire import format_time


class AlertSink(Protocol):
    def deliver(self, alert: Alert) -> None: ...


class RecordingSink:
    """The official fake: keeps every alert delivered to it, in order."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def deliver(self, alert: Alert) -> None:
        self.alerts.append(alert)


def alert_to_wire(alert: Alert) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "incident_id": alert.incident_id,
        "audience": alert.audience.value,
        "recipient": {
            "unit_id": alert.recipient.unit_id,
            "name": alert.recipient.name,
            "agency": alert.recipient.agency,
            "country": alert.recipient.country,
        },
        "created_at": format_time(alert.created_at),
        "status": "exercise" if alert.simulated else "actual",
        "simulated": alert.simulated,
        "payload": alert.payload,
    }
