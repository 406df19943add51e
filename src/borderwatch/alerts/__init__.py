"""Alerts stage: routing policy, lifecycle (grouping, inhibition, acknowledgement,
escalation), the cross-border sharing gate, the message formats of each channel (CoT, CAP
1.2, webhook) and the outbox's contract. Sending, storing and reading tips are adapters."""

from borderwatch.alerts.base import (
    AlertSink,
    DeliveryError,
    RecordingSink,
    RecordingTransport,
    Transport,
    alert_to_wire,
)
from borderwatch.alerts.center import AlertCenter, AlertEvent, Channels
from borderwatch.alerts.gate import (
    JsonlDisclosures,
    RecordingDisclosures,
    Release,
    SharingGate,
    TeeDisclosures,
)
from borderwatch.alerts.lifecycle import (
    AlertBook,
    AlertState,
    AlertStore,
    InMemoryAlertStore,
    LifecycleError,
    Status,
)
from borderwatch.alerts.outbox import Backoff, Message, Outbox
from borderwatch.alerts.policy import AlertPolicy
from borderwatch.alerts.routing import FALLBACK_UNIT, PolicyRouter, Router
from borderwatch.alerts.sharing import PERSONAL_FIELDS, SharingPolicy

__all__ = [
    "FALLBACK_UNIT",
    "PERSONAL_FIELDS",
    "AlertBook",
    "AlertCenter",
    "AlertEvent",
    "AlertPolicy",
    "AlertSink",
    "AlertState",
    "AlertStore",
    "Backoff",
    "Channels",
    "DeliveryError",
    "InMemoryAlertStore",
    "JsonlDisclosures",
    "LifecycleError",
    "Message",
    "Outbox",
    "PolicyRouter",
    "RecordingDisclosures",
    "RecordingSink",
    "RecordingTransport",
    "Release",
    "Router",
    "SharingGate",
    "SharingPolicy",
    "Status",
    "TeeDisclosures",
    "Transport",
    "alert_to_wire",
]
