"""A revised incident (its head count firmed up: watch/revision.py) is an update of the
alerts it raised on every channel, never a new alert (docs/alert-policy.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import orjson
from defusedxml import ElementTree as SafeET
from tests.alert_helpers import T0, incident

from borderwatch.alerts import AlertEvent, Channels, RecordingSink
from borderwatch.alerts.lifecycle import AlertState
from borderwatch.app.bootstrap import open_alert_service
from borderwatch.app.runtime.alert_service import AlertService
from borderwatch.domain import Incident
from borderwatch.geo import Boundary

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ALERT = "ALR-20250203-0002-RCMP-K-IBET"


def _service(tmp_path: Path, events: list[AlertEvent]) -> AlertService:
    channels = Channels(
        console=RecordingSink(),
        cot=("tcp://127.0.0.1:9",),
        cap=(str(tmp_path / "cap"),),
        webhook=("http://127.0.0.1:9/hook",),
        cap_sender="borderwatch-test",
    )
    return open_alert_service(tmp_path / "alerts.db", boundary=Boundary.bundled(),
                              channels=channels, listeners=[events.append])


def _revised(raised: Incident, n: int, size: int) -> Incident:
    return replace(raised, group_size=size, group_size_range=(size - 1, size + 1),
                   revised_at=raised.detected_at + timedelta(seconds=5 * n), revision=n)


def test_a_revision_updates_the_alert_on_cap_cot_and_webhook(tmp_path: Path) -> None:
    events: list[AlertEvent] = []
    service = _service(tmp_path, events)
    try:
        raised = incident()
        center = service.center
        first = center.route(raised)
        assert ALERT in {a.alert_id for a in first}
        before = {m.message.dedup_key for m in service.outbox.all()}
        alerts_before = {s.alert_id for s in service.store.all_alerts()}
        updated = center.route(_revised(raised, 1, 12))
        assert ALERT in {a.alert_id for a in updated}
        # No new alert: the same alerts, the responsible one now telling of 12.
        assert {s.alert_id for s in service.store.all_alerts()} == alerts_before
        state = service.store.get(ALERT)
        assert isinstance(state, AlertState)
        assert state.payload["group_size"] == 12 and state.payload["revision"] == 1
        assert [e.kind for e in events if e.state.alert_id == ALERT] == ["notified", "revised"]
        new = [m.message for m in service.outbox.all()
               if m.message.dedup_key not in before and m.message.alert_id == ALERT]
        by_channel = {m.channel: m for m in new}
        assert set(by_channel) == {"cap", "cot", "webhook"}
        assert all(":revised-1:" in m.dedup_key for m in new)  # a key of its own
        # CAP: an Update referencing the alert's first message.
        old = {m.message.channel: m.message for m in service.outbox.all()
               if m.message.dedup_key in before and m.message.alert_id == ALERT}
        first_cap = SafeET.fromstring(old["cap"].body)
        update = SafeET.fromstring(by_channel["cap"].body)
        assert update.findtext(f"{CAP}msgType") == "Update"
        first_ref = (f"borderwatch-test,{first_cap.findtext(f'{CAP}identifier')},"
                     f"{first_cap.findtext(f'{CAP}sent')}")
        assert update.findtext(f"{CAP}references") == first_ref
        assert update.findtext(f"{CAP}identifier") != first_cap.findtext(f"{CAP}identifier")
        # CoT: the same uid as the alert, so a TAK map redraws it.
        assert (SafeET.fromstring(by_channel["cot"].body).get("uid")
                == SafeET.fromstring(old["cot"].body).get("uid"))
        hook = orjson.loads(by_channel["webhook"].body)
        assert hook["event"] == "revised-1" and hook["dedup_key"] == by_channel["webhook"].dedup_key
        # The same revision again (a replay after a restart) sends nothing new.
        count = len(service.outbox.all())
        center.route(_revised(raised, 1, 12))
        assert len(service.outbox.all()) == count
        assert service.store.get(ALERT).notifications == state.notifications  # type: ignore[union-attr]
    finally:
        service.close()


def test_a_revision_of_an_incident_with_no_alert_sends_nothing(tmp_path: Path) -> None:
    events: list[AlertEvent] = []
    service = _service(tmp_path, events)
    try:
        service.center.route(_revised(incident(), 1, 12))
        assert service.outbox.all() == [] and service.store.all_alerts() == []
        assert events == []
    finally:
        service.close()


def test_a_closed_alert_is_not_revised(tmp_path: Path) -> None:
    events: list[AlertEvent] = []
    service = _service(tmp_path, events)
    try:
        raised = incident()
        service.center.route(raised)
        service.center.resolve(ALERT, "sgt", T0 + timedelta(minutes=1))
        count = len([m for m in service.outbox.all() if m.message.alert_id == ALERT])
        service.center.route(_revised(raised, 1, 12))
        assert len([m for m in service.outbox.all() if m.message.alert_id == ALERT]) == count
    finally:
        service.close()
