"""The alert stage end to end on real transports: every CoT event and CAP message valid
against the official schemas, Alert -> Update -> Cancel chains, escalation and
acknowledgement, the sharing policy in every channel with every disclosure logged, and
simulated data marked everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET
from tests.alert_helpers import (
    T0,
    WebhookReceiver,
    assert_valid_cap,
    assert_valid_cot,
    incident,
    requires_shared,
)

from borderwatch.adapters.transports.tak import CotListener
from borderwatch.alerts import (
    PERSONAL_FIELDS,
    AlertEvent,
    Channels,
    RecordingDisclosures,
    RecordingSink,
    Status,
)
from borderwatch.app.bootstrap import open_alert_service
from borderwatch.app.runtime.alert_service import AlertService
from borderwatch.domain import IncidentType
from borderwatch.geo import Boundary

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
SECRET = b"test-secret"


class Rig:
    def __init__(self, tmp: Path) -> None:
        self.listener = CotListener()
        self.listener.start()
        self.receiver = WebhookReceiver(SECRET)
        self.caps = tmp / "cap"
        self.console = RecordingSink()
        self.disclosures = RecordingDisclosures()
        self.events: list[AlertEvent] = []
        cot_url = f"tcp://127.0.0.1:{self.listener.port}"
        channels = Channels(
            console=self.console,
            cot=(cot_url,),
            cap=(str(self.caps),),
            webhook=(self.receiver.url,),
            cap_sender="borderwatch-test",
        )
        from borderwatch.app.bootstrap import transports_for

        self.service: AlertService = open_alert_service(
            tmp / "alerts.db",
            boundary=Boundary.bundled(),
            channels=channels,
            transports=transports_for(channels, webhook_secret=SECRET),
            disclosure_logs=[self.disclosures],
            listeners=[self.events.append],
        )
        self.center = self.service.center

    def deliver(self) -> None:
        report = self.service.dispatcher.deliver_due()
        assert report.retrying == report.dead == 0, report.errors

    def cap_files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.caps.glob("*.xml"))}

    def close(self) -> None:
        self.service.close()
        self.listener.close()
        self.receiver.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    made = Rig(tmp_path)
    yield made
    made.close()


def _approach_then_crossing(rig: Rig) -> None:
    rig.center.route(incident(IncidentType.APPROACH, incident_id="INC-20250203-0001"))
    rig.deliver()
    rig.center.route(incident(at=T0 + timedelta(minutes=25)))
    rig.deliver()


@requires_shared
def test_every_cot_and_cap_message_is_schema_valid(rig: Rig) -> None:
    _approach_then_crossing(rig)
    rig.center.tick(T0 + timedelta(minutes=28))  # crossing unacknowledged: page step 1
    rig.deliver()
    rig.center.resolve("ALR-20250203-0002-RCMP-K-IBET", "sgt", T0 + timedelta(minutes=40))
    rig.deliver()
    events = rig.listener.wait_for(4)
    assert len(events) >= 4
    for event in events:
        assert_valid_cot(event)
    caps = rig.cap_files()
    assert len(caps) >= 5
    for body in caps.values():
        assert_valid_cap(body)


@requires_shared
def test_cap_chain_alert_update_cancel_with_references(rig: Rig) -> None:
    _approach_then_crossing(rig)
    rig.center.resolve("ALR-20250203-0002-RCMP-K-IBET", "sgt", T0 + timedelta(minutes=40))
    rig.deliver()
    rcmp = {
        name: SafeET.fromstring(body)
        for name, body in rig.cap_files().items()
        if name.startswith("ALR-20250203-000") and ":RCMP-K-IBET:" in name.replace("_", ":")
    }
    by_type: dict[str, list[object]] = {}
    for root in rcmp.values():
        by_type.setdefault(root.findtext(f"{CAP}msgType") or "", []).append(root)
    alert, update, cancel = by_type["Alert"][0], by_type["Update"][0], by_type["Cancel"][0]
    alert_ref = (
        f"borderwatch-test,{alert.findtext(f'{CAP}identifier')},{alert.findtext(f'{CAP}sent')}"  # type: ignore[attr-defined]
    )
    assert update.findtext(f"{CAP}references") == alert_ref  # type: ignore[attr-defined]
    assert alert_ref not in (cancel.findtext(f"{CAP}references") or "")  # type: ignore[attr-defined]
    assert update.findtext(f"{CAP}identifier") in (cancel.findtext(f"{CAP}references") or "")  # type: ignore[attr-defined]
    for root in (alert, update, cancel):
        assert root.findtext(f"{CAP}status") == "Exercise"  # type: ignore[attr-defined]
        assert root.findtext(f"{CAP}scope") == "Restricted"  # type: ignore[attr-defined]
    categories = [c.text for c in update.iter(f"{CAP}category")]  # type: ignore[attr-defined]
    assert categories == ["Security", "Rescue"]  # children and -27 °C: life at risk
    circle = update.findtext(f"{CAP}info/{CAP}area/{CAP}circle")  # type: ignore[attr-defined]
    assert circle is not None and circle.startswith("49.000000,-111.900400 ")


@requires_shared
def test_partner_gets_a_private_cap_without_personal_data(rig: Rig) -> None:
    rig.center.route(incident())
    rig.deliver()
    partner = [SafeET.fromstring(b) for n, b in rig.cap_files().items() if "USBP-HVM" in n]
    assert len(partner) == 1
    root = partner[0]
    assert root.findtext(f"{CAP}scope") == "Private"
    assert root.findtext(f"{CAP}addresses") == "USBP-HVM"
    text = SafeET.tostring(root, encoding="unicode")
    for word in ("children", "risk", "track_id", "kind"):
        assert word not in text, word


def test_sharing_is_enforced_in_every_channel_and_logged(rig: Rig) -> None:
    rig.center.route(incident())
    rig.deliver()
    partner_console = [a for a in rig.console.alerts if a.recipient.unit_id == "USBP-HVM"]
    assert partner_console and not set(partner_console[0].payload) & PERSONAL_FIELDS
    logged = [d for d in rig.disclosures.entries if d["recipient"] == "USBP-HVM"]
    assert {d["channel"] for d in logged} == {"console", "cap"}  # jsonl: not configured here
    for entry in logged:
        assert entry["fields"] == ["direction", "group_size", "group_size_range", "lat", "lon",
                                  "time", "type"]
        assert entry["basis"] and entry["simulated"] is True
    assert rig.service.disclosures.entries() == rig.disclosures.entries
    # The RCMP team's own alert is not a disclosure.
    assert all(d["recipient"] == "USBP-HVM" for d in rig.disclosures.entries)


def test_the_gate_strips_what_an_upstream_filter_let_through(rig: Rig) -> None:
    from borderwatch.alerts import Release, SharingGate, SharingPolicy
    from borderwatch.domain import AgencyUnit, Alert, Audience

    gate = SharingGate(SharingPolicy.bundled(), rig.disclosures)
    leaky = Alert(
        "ALR-1",
        "INC-1",
        AgencyUnit("USBP-HVM", "Havre", "USBP", "US"),
        Audience.PARTNER,
        T0,
        {"lat": 49.0, "lon": -111.9, "nationalities": ["VE"], "children": 5},
        True,
    )
    release: Release = gate.release(leaky, "webhook")
    assert release.alert.payload == {"lat": 49.0, "lon": -111.9}
    assert release.withheld == ("children", "nationalities")
    assert rig.disclosures.entries[-1]["withheld"] == ["children", "nationalities"]


def test_inhibition_escalation_and_acknowledgement(rig: Rig) -> None:
    _approach_then_crossing(rig)
    kinds = [(e.kind, e.state.alert_id) for e in rig.events]
    assert ("inhibited", "ALR-20250203-0001-RCMP-K-IBET") in kinds
    approach = rig.center.book.store.get("ALR-20250203-0001-RCMP-K-IBET")
    assert approach is not None and approach.status is Status.INHIBITED
    crossing_id = "ALR-20250203-0002-RCMP-K-IBET"
    pages = rig.center.tick(T0 + timedelta(minutes=27, seconds=1))
    assert [p.state.alert_id for p in pages] == [crossing_id]
    assert pages[0].step.to == "RCMP-K-OCC"
    rig.center.acknowledge(crossing_id, "IBET duty NCO", T0 + timedelta(minutes=28))
    assert rig.center.tick(T0 + timedelta(hours=2)) == []
    rig.deliver()
    hooks = {d["dedup_key"]: d for d in rig.receiver.documents()}
    events = sorted({d["event"] for d in hooks.values() if d["alert_id"] == crossing_id})
    assert events == ["acknowledge", "trigger"]
    assert all(d["simulated"] is True and d["status"] == "exercise" for d in hooks.values())


def test_cot_alerts_for_one_group_share_one_uid_and_are_marked_simulated(rig: Rig) -> None:
    _approach_then_crossing(rig)
    events = [SafeET.fromstring(e) for e in rig.listener.wait_for(2)]
    alerts = [e for e in events if e.get("type") == "b-a-g"]
    assert len(alerts) == 2
    assert alerts[0].get("uid") == alerts[1].get("uid")  # the crossing replaces the approach
    assert all(e.get("opex") == "s" and e.get("how") == "m-f" for e in alerts)
    assert all(e.get("qos") == "9-r-g" for e in alerts)


def test_jsonl_sink_still_writes_one_line_per_alert(tmp_path: Path) -> None:
    from borderwatch.adapters.transports.sinks import JsonlAlertSink

    sink = JsonlAlertSink(tmp_path / "a.jsonl")
    service = open_alert_service(
        tmp_path / "a.db", boundary=Boundary.bundled(), channels=Channels(jsonl=sink)
    )
    service.center.route(incident())
    sink.close()
    service.close()
    lines = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert {x["recipient"]["unit_id"] for x in lines} == {"RCMP-K-IBET", "USBP-HVM"}
    assert all(x["simulated"] for x in lines)


@requires_shared
def test_cap_polygon_area_and_private_scope_are_schema_valid() -> None:
    from datetime import UTC, datetime

    from borderwatch.alerts.cap import CapInfo, CapMessage, Polygon

    message = CapMessage(
        identifier="BW-1",
        sender="borderwatch",
        sent=datetime(2025, 2, 3, 13, 16, 34, tzinfo=UTC),
        status="Exercise",
        msg_type="Alert",
        scope="Private",
        addresses=("USBP-HVM",),
        infos=(
            CapInfo(
                event="Border crossing northbound",
                categories=("Security", "Rescue"),
                urgency="Immediate",
                severity="Extreme",
                certainty="Observed",
                headline="CROSSING",
                description="SIMULATED",
                area_desc="Sector of the crossing",
                polygons=(Polygon(((49.0, -111.91), (49.0, -111.89), (49.01, -111.90))),),
            ),
        ),
    ).to_xml()
    assert_valid_cap(message)
    assert b"49.000000,-111.910000 49.000000,-111.890000 49.010000,-111.900000 49.000000," in (
        message
    )  # closed ring: first point repeated (CAP 1.2 section 3.2.4)
