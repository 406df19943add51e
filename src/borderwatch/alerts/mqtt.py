"""Incidents published over MQTT: the topic and the document of one alert's message.

The document is the webhook's (alerts/webhook.py ``webhook_body``: the released alert,
the lifecycle event, the dedup key and ``simulated``), unsigned: an MQTT broker
authenticates its clients itself. MQTT 3.1.1 messages carry no headers, so the dedup key
is in the document, for the subscriber to de-duplicate on (delivery is at least once).

The topic is ``borderwatch/incidents/<segment>``, with the segment taken from what the
recipient may see (the gate's release): a partner whose sharing rule does not include
``segment`` gets ``borderwatch/incidents/shared``, so the topic cannot leak a field the
document withholds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from borderwatch.alerts.gate import Release
from borderwatch.alerts.outbox import Message
from borderwatch.alerts.webhook import webhook_body

TOPIC_ROOT = "borderwatch/incidents"
WITHHELD_SEGMENT = "shared"
"""The topic's last level when the recipient may not see the segment."""
CONTENT_TYPE = "application/json"
_TOPIC_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def incident_topic(release: Release) -> str:
    """``borderwatch/incidents/<segment>``; MQTT's wildcards and separators (``+``, ``#``,
    ``/``) and anything else outside [A-Za-z0-9_.-] in a segment become ``_``."""
    segment = release.alert.payload.get("segment")
    if not isinstance(segment, str) or not segment:
        return f"{TOPIC_ROOT}/{WITHHELD_SEGMENT}"
    return f"{TOPIC_ROOT}/{_TOPIC_UNSAFE.sub('_', segment)}"


def mqtt_destination(broker: str, topic: str) -> str:
    """One outbox destination: the broker's URL with the topic as its path."""
    return f"{broker.rstrip('/')}/{quote(topic, safe='/')}"


def mqtt_messages(release: Release, event: str, brokers: Iterable[str],
                  dedup_key: str) -> list[Message]:
    """One message per broker (``dedup_key`` with the broker appended)."""
    alert = release.alert
    topic = incident_topic(release)
    messages = []
    for broker in brokers:
        key = f"{dedup_key}:{broker}"
        body = webhook_body(release, event=event, dedup_key=key)
        messages.append(Message(key, alert.alert_id, "mqtt", mqtt_destination(broker, topic),
                                CONTENT_TYPE, body))
    return messages
