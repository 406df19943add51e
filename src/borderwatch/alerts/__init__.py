"""Alerts: routing to the responsible unit and the partner, sharing policy, sinks."""

from borderwatch.alerts.base import AlertSink, RecordingSink, alert_to_wire
from borderwatch.alerts.routing import FALLBACK_UNIT, Router
from borderwatch.alerts.sharing import PERSONAL_FIELDS, SharingPolicy
from borderwatch.alerts.sinks import ConsoleAlertSink, DisclosureLog, JsonlAlertSink

__all__ = [
    "FALLBACK_UNIT",
    "PERSONAL_FIELDS",
    "AlertSink",
    "ConsoleAlertSink",
    "DisclosureLog",
    "JsonlAlertSink",
    "RecordingSink",
    "Router",
    "SharingPolicy",
    "alert_to_wire",
]
