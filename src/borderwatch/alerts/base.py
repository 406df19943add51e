"""Contracts of the alert stage, each with its official fake beside it: an alert sink
(in-process delivery of an alert) and a transport (hands one outbox message over)."""

from __future__ import annotations

from typing import Any, Protocol

from borderwatch.alerts.outbox import Message
from borderwatch.domain import Alert
from borderwatch.domain.time import format_time


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


class DeliveryError(Exception):
    """A transport could not hand a message over; the outbox will try again later."""


class Transport(Protocol):
    """Hands one stored outbox message to its destination, or raises (any exception counts
    as a failed try). Implementations: webhook, CAP folder, TAK server, served CoT stream."""

    def send(self, message: Message) -> None: ...


class RecordingTransport:
    """The official fake transport: keeps what it was given; ``fail`` makes the next n
    sends raise, to exercise retries."""

    def __init__(self, fail: int = 0) -> None:
        self.sent: list[Message] = []
        self.fail = fail

    def send(self, message: Message) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise DeliveryError("recording transport told to fail")
        self.sent.append(message)
