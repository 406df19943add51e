"""Incidents published over MQTT as a channel of the alert stage, on a real Mosquitto:
one message per recipient on borderwatch/incidents/<segment>, QoS 1, not retained, with
its dedup key, and the sharing policy applied as on every channel (a partner gets only
the fields its rule allows, and the topic does not name what the document withholds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.alert_helpers import incident
from tests.mqtt_fixtures import Listener, wait_until

from borderwatch.adapters.mqtt.server import Mosquitto
from borderwatch.alerts import AlertPolicy, Channels, RecordingDisclosures
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.bootstrap import open_alert_service, transports_for
from borderwatch.geo import Boundary

POLICY = Path(__file__).resolve().parents[2] / "src/borderwatch/alerts/policy.yaml"


@pytest.fixture
def listener(mosquitto: Mosquitto) -> Iterator[Listener]:
    made = Listener(mosquitto.port)
    yield made
    made.close()


def test_an_incident_is_published_with_the_sharing_policy_applied(
        mosquitto: Mosquitto, listener: Listener, tmp_path: Path) -> None:
    # The bundled policy, with MQTT as the channel of both the responsible unit and the
    # partner agency.
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY.read_text()
                           .replace("channels: [console, jsonl, cot, cap, webhook]",
                                    "channels: [mqtt]")
                           .replace("channels: [console, jsonl, cap]", "channels: [mqtt]"))
    channels = Channels(mqtt=(mosquitto.url,))
    disclosures = RecordingDisclosures()
    service = open_alert_service(tmp_path / "alerts.db", boundary=Boundary.bundled(),
                                 policy=AlertPolicy.load(policy_file), channels=channels,
                                 transports=transports_for(channels),
                                 disclosure_logs=[disclosures])
    try:
        service.center.route(incident())
        report = service.dispatcher.deliver_due()
        assert report.retrying == report.dead == 0, report.errors
        wait_until(lambda: len(listener.messages) >= 2, 10, "two incident messages")
    finally:
        service.close()
    documents = listener.documents()
    assert set(documents) == {"borderwatch/incidents/AB-MT", "borderwatch/incidents/shared"}
    ours, partner = documents["borderwatch/incidents/AB-MT"], documents[
        "borderwatch/incidents/shared"]
    assert ours["audience"] == "responsible" and partner["audience"] == "partner"
    allowed = set(SharingPolicy.bundled().partners[partner["recipient"]["agency"]].fields)
    assert set(partner["payload"]) <= allowed
    for withheld in ("segment", "risk", "track_id", "children"):
        assert withheld in ours["payload"] and withheld not in partner["payload"]
    assert all(m.qos == 1 and not m.retain for m in listener.messages)
    keys = {d["dedup_key"] for d in documents.values()}
    assert len(keys) == 2 and all(key.endswith(f":mqtt:broker:{mosquitto.url}") for key in keys)
    assert all(d["simulated"] is True for d in documents.values())
    assert any(entry.get("channel") == "mqtt" for entry in disclosures.entries)
    # Not retained: a subscriber that comes later gets nothing of it. The broker sends
    # retained messages on subscription, so they would arrive before this marker.
    late = Listener(mosquitto.port, client_id="late-listener")
    try:
        late.client.publish("borderwatch/incidents/marker", b"{}", qos=1)
        wait_until(lambda: len(late.messages) >= 1, 10, "the marker")
        assert [m.topic for m in late.messages] == ["borderwatch/incidents/marker"]
    finally:
        late.close()
