"""The MQTT channel's topic and destination (alerts/mqtt.py): the segment as the recipient
may see it, made safe for a topic level."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from borderwatch.adapters.transports.mqtt import split_destination
from borderwatch.alerts.gate import Release
from borderwatch.alerts.mqtt import incident_topic, mqtt_destination
from borderwatch.app.runtime.config import Delivery
from borderwatch.domain import AgencyUnit, Alert, Audience, InputError


def release(payload: dict[str, object]) -> Release:
    unit = AgencyUnit(unit_id="usbp-hvm", name="Havre", agency="USBP", country="US")
    alert = Alert("a-1", "INC-1", unit, Audience.PARTNER, datetime(2025, 2, 3, tzinfo=UTC),
                  payload, True)
    return Release(alert, "mqtt", ())


@pytest.mark.parametrize(("payload", "topic"), [
    ({"segment": "AB-MT"}, "borderwatch/incidents/AB-MT"),
    ({"segment": "a/b+#c d"}, "borderwatch/incidents/a_b__c_d"),  # no level or wildcard
    ({"type": "crossing"}, "borderwatch/incidents/shared"),  # withheld from this recipient
])
def test_the_topic_names_only_what_the_recipient_may_see(
        payload: dict[str, object], topic: str) -> None:
    assert incident_topic(release(payload)) == topic


def test_a_destination_is_the_broker_and_the_topic() -> None:
    destination = mqtt_destination("mqtt://10.0.0.5:1883", "borderwatch/incidents/AB-MT")
    broker, topic = split_destination(destination)
    assert (broker.host, broker.port, topic) == ("10.0.0.5", 1883, "borderwatch/incidents/AB-MT")


def test_a_bad_broker_for_alerts_is_refused_by_option() -> None:
    assert Delivery(mqtt=("mqtt://127.0.0.1:1883",)).channels().mqtt == ("mqtt://127.0.0.1:1883",)
    with pytest.raises(InputError, match="--alerts-mqtt"):
        Delivery(mqtt=("http://127.0.0.1:1883",)).check()
