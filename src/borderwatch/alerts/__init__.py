"""Alerts: routing policy, lifecycle (grouping, inhibition, acknowledgement, escalation),
the cross-border sharing gate, channels (console, JSONL, CoT/TAK, CAP 1.2, webhook), the
durable outbox and its dispatcher, and inbound partner tips."""

from borderwatch.alerts.alertdb import SqliteAlertStore, SqliteDisclosures
from borderwatch.alerts.base import (
    AlertSink,
    DeliveryError,
    RecordingSink,
    RecordingTransport,
    Transport,
    alert_to_wire,
)
from borderwatch.alerts.center import AlertCenter, AlertEvent, Channels
from borderwatch.alerts.dispatch import Dispatcher, FolderTransport
from borderwatch.alerts.gate import (
    JsonlDisclosures,
    RecordingDisclosures,
    Release,
    SharingGate,
    TeeDisclosures,
)
from borderwatch.alerts.inbound import parse_tip
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
from borderwatch.alerts.sinks import ConsoleAlertSink, DisclosureLog, JsonlAlertSink

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
    "ConsoleAlertSink",
    "DeliveryError",
    "DisclosureLog",
    "Dispatcher",
    "FolderTransport",
    "InMemoryAlertStore",
    "JsonlAlertSink",
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
    "SqliteAlertStore",
    "SqliteDisclosures",
    "Status",
    "TeeDisclosures",
    "Transport",
    "alert_to_wire",
    "parse_tip",
]
