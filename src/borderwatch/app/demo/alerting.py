"""The alerting part of the Coutts demo (`borderwatch demo`), kept apart from demo.py.

* The US call arrives as a partner message: the scenario's tip is written as the CAP 1.2
  message USBP Havre Sector would send (``inbound/``, status Exercise), read back with the
  inbound parser (defusedxml) and fed to the tracker as a detection with its stated error.
* Alerts go through the real alert stage: the bundled Alberta–Montana routing policy, the
  lifecycle, the sharing gate, and the channels: console, ``alerts.jsonl``, CoT to a local
  stand-in TAK server over TCP (and tracks, sensor cones and alerts on a served CoT stream
  on 127.0.0.1), and CAP files in ``cap/``; states, outbox and disclosures in ``alerts.db``.
* The RCMP team acknowledges the crossing alert 40 s after it is raised. That delay is
  assumed (not published) and the demo says so; it stops the escalation chain.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from borderwatch.adapters.sources.tips import R95_PER_SIGMA, parse_tip
from borderwatch.adapters.transports.tak import CotListener, CotStreamServer
from borderwatch.alerts import AlertEvent, AlertSink, Channels, JsonlDisclosures
from borderwatch.alerts.cap import CapInfo, CapMessage, Circle
from borderwatch.alerts.cot import sensor_event
from borderwatch.alerts.outbox import Message
from borderwatch.alerts.trackfeed import CotTrackFeed
from borderwatch.app.bootstrap import open_alert_service, transports_for
from borderwatch.domain import Alert, Detection, Incident, IncidentType
from borderwatch.geo import Boundary, Places
from borderwatch.sim import Scenario, SimulationResult
from borderwatch.sim.scenario import Camera

ACK_DELAY_S = 40.0
ACK_ASSUMPTION = (
    "the RCMP team acknowledges the crossing alert 40 s after it is raised (assumed: the "
    "response time was not published)"
)
Say = Callable[[datetime, str], None]


@dataclass
class _Disclosures:
    """Passes disclosures to the log and keeps them for one timeline line per alert."""

    log: JsonlDisclosures
    pending: list[dict[str, Any]] = field(default_factory=list)

    def record(self, entry: dict[str, Any]) -> None:
        self.log.record(entry)
        self.pending.append(entry)


class DemoAlerts:
    """The demo's alert side (see the module docstring): the real alert service on files
    in ``out``, a local TAK listener and a served CoT stream, the US tip as inbound CAP,
    and the assumed acknowledgement; ``finish`` returns its part of the summary."""

    def __init__(
        self,
        out: Path,
        scenario: Scenario,
        boundary: Boundary,
        places: Places,
        say: Say,
        *,
        console: AlertSink | None,
        jsonl: AlertSink,
    ) -> None:
        self.out = out
        self.scenario = scenario
        self._say = say
        # What the alert stage says while routing is held until the incident itself has
        # been described (pipeline listeners run after routing), then shown in order.
        self._held: list[Callable[[], None]] = []
        self._notes: list[tuple[datetime, str]] = []
        for name in ("alerts.db", "alerts.db-wal", "alerts.db-shm", "cot-received.xml"):
            (out / name).unlink(missing_ok=True)
        for folder in ("cap", "inbound"):
            shutil.rmtree(out / folder, ignore_errors=True)
        self.tak = CotListener()  # stand-in for the team's TAK server
        self.tak.start()
        self.stream = CotStreamServer()  # ATAK-style clients may connect here directly
        self.stream.start()
        self.disclosures = _Disclosures(JsonlDisclosures(out / "disclosures.jsonl"))
        channels = Channels(
            console=None if console is None else _Held(console, self._held),
            jsonl=jsonl,
            cot=("served", f"tcp://127.0.0.1:{self.tak.port}"),
            cap=(str(out / "cap"),),
            cap_sender="borderwatch-demo",
        )
        self.service = open_alert_service(
            out / "alerts.db",
            boundary=boundary,
            places=places,
            channels=channels,
            transports=transports_for(channels, served=self.stream),
            disclosure_logs=[self.disclosures],
            listeners=[self._on_event],
        )
        self.center = self.service.center
        self.track_feed = CotTrackFeed(boundary, self.stream.publish)
        self.acks: list[tuple[datetime, str]] = []
        self.events: list[AlertEvent] = []
        self.inbound: list[str] = []
        first = scenario.start
        for sensor in scenario.sensors:
            if isinstance(sensor, Camera):
                self.stream.publish(
                    sensor_event(
                        sensor_id=sensor.sensor_id,
                        time=first,
                        lat=sensor.position[0],
                        lon=sensor.position[1],
                        azimuth_deg=sensor.azimuth_deg,
                        fov_deg=sensor.fov_deg,
                        range_m=sensor.range_m,
                        simulated=True,
                        stale_s=(scenario.end - first).total_seconds(),
                    )
                )

    # -- the US call, as the partner sends it ------------------------------------------

    def inbound_tips(self, sim: SimulationResult) -> list[Detection]:
        """The detection stream with each simulated tip replaced by the one read back from
        the partner's CAP message (identical: the message states the same error)."""
        folder = self.out / "inbound"
        folder.mkdir(parents=True, exist_ok=True)
        parsed: dict[str, Detection] = {}
        for tip in self.scenario.tips:
            message = CapMessage(
                identifier=f"{tip.agency_unit}-{tip.tip_id}",
                sender=tip.agency_unit,
                sent=tip.time,
                status="Exercise",
                msg_type="Alert",
                scope="Private",
                addresses=("RCMP-K-IBET",),
                note="SIMULATED: reconstruction of a reported phone call",
                infos=(
                    CapInfo(
                        event="Border crossing expected",
                        categories=("Security", "Rescue"),
                        urgency="Immediate",
                        severity="Severe",
                        certainty="Likely",
                        headline="Group about to enter Canada on foot",
                        description=tip.text,
                        area_desc="Reported position (approximate)",
                        circles=(
                            Circle(
                                tip.position[0],
                                tip.position[1],
                                tip.sigma_m * R95_PER_SIGMA / 1000.0,
                            ),
                        ),
                        onset=tip.time,
                        parameters=(
                            ("tip_id", tip.tip_id),
                            ("sigma_m", f"{tip.sigma_m:g}"),
                            ("kind", tip.kind.value),
                            ("count", "1"),
                            ("confidence", f"{tip.confidence:g}"),
                        ),
                    ),
                ),
            )
            path = folder / f"{message.identifier}.cap.xml"
            path.write_bytes(message.to_xml())
            detection = parse_tip(path.read_bytes(), source=str(path))
            parsed[tip.tip_id] = detection
            self.inbound.append(path.name)
        out = []
        for det in sim.detections:
            replacement = parsed.get(det.id or "") if det.sensor_id.startswith("tip:") else None
            if replacement is not None:
                self._notes.append(
                    (
                        det.time,
                        f"[magenta]inbound CAP message {replacement.id} from "
                        f"{det.sensor_id[4:]}[/] (status Exercise) read safely (defusedxml): "
                        f"a cue of ±{replacement.sigma_m:.0f} m, as the partner stated it",
                    )
                )
                out.append(replacement)
            else:
                out.append(det)
        return out

    # -- hooks for the replay ------------------------------------------------------------

    def after_incident(self, incident: Incident, alerts: list[Alert]) -> None:
        """Deliver what the incident queued; schedule the team's acknowledgement."""
        report = self.service.dispatcher.deliver_due()
        if report.retrying or report.dead:
            self.say(incident.detected_at, f"[red]delivery problems: {report.errors}[/]")
        self._say_disclosures(incident.detected_at)
        if incident.type is IncidentType.CROSSING:
            for alert in alerts:
                if alert.recipient.unit_id == "RCMP-K-IBET":
                    when = incident.detected_at + timedelta(seconds=ACK_DELAY_S)
                    self.acks.append((when, alert.alert_id))
        self._flush()

    def send_task(self, incident_id: str, body: bytes) -> None:
        """The intercept waypoint to the team's TAK (the local listener and the served
        stream), through the same outbox as the alerts."""
        self.service.outbox.enqueue([
            Message(dedup_key=f"task:{incident_id}:cot:{destination}",
                    alert_id=f"task:{incident_id}", channel="cot", destination=destination,
                    content_type="application/xml", body=body)
            for destination in self.center.channels.cot])
        self.service.dispatcher.deliver_due()

    def tick(self, now: datetime) -> None:
        """Data time moves on: notes, acknowledgements and escalation pages due by ``now``."""
        for when, text in list(self._notes):
            if when <= now:
                self._notes.remove((when, text))
                self._say(when, text)
        for when, alert_id in list(self.acks):
            if when <= now:
                self.acks.remove((when, alert_id))
                self.center.acknowledge(alert_id, "RCMP-K-IBET duty NCO", when)
        if self.center.tick(now):
            self.service.dispatcher.deliver_due()
        self._flush()

    def say(self, at: datetime, text: str) -> None:
        self._held.append(lambda: self._say(at, text))

    def _flush(self) -> None:
        held, self._held[:] = list(self._held), []
        for action in held:
            action()

    def finish(self, at: datetime | None = None) -> dict[str, Any]:
        """Deliver what is still due, write the CoT the TAK listener received to
        ``cot-received.xml``, say the alerting line of the timeline and return the
        alerting summary (states, acknowledgements, inhibitions, pages, CAP files, outbox).
        The line counts the whole night, so it is said at ``at`` (the end of the replay's
        timeline) when that is later than the last alert event."""
        self._flush()
        self.service.dispatcher.deliver_due()
        cot_alerts = [e for e in self.tak.wait_for(1, timeout_s=5.0) if b'type="b-a-g"' in e]
        (self.out / "cot-received.xml").write_bytes(b"\n".join(self.tak.events) + b"\n")
        states = self.service.store.all_alerts()
        summary: dict[str, Any] = {
            "inbound_tips": self.inbound,
            "alert_states": {s.alert_id: s.status.value for s in states},
            "acknowledged": [s.alert_id for s in states if s.acknowledged_by],
            "inhibited": [s.alert_id for s in states if s.status.value == "inhibited"],
            "escalation_pages": sum(1 for e in self.events if e.kind == "escalated"),
            "cot_alerts_at_local_tak_listener": len(cot_alerts),
            "cot_events_on_served_stream": self.stream.published,
            "cap_files": sorted(p.name for p in (self.out / "cap").glob("*.xml")),
            "outbox": self.service.outbox.counts(),
            "assumed": ACK_ASSUMPTION,
        }
        last = self.events[-1].at if self.events else self.scenario.end
        if at is not None:
            last = max(last, at)
        self._say(
            last,
            f"alerting: {len(states)} alerts ({len(summary['inhibited'])} inhibited, "
            f"{len(summary['acknowledged'])} acknowledged), "
            f"{summary['escalation_pages']} escalation page(s); "
            f"{len(cot_alerts)} CoT alerts at the local TAK listener (cot-received.xml), "
            f"{self.stream.published} CoT events on the served stream (port {self.stream.port}), "
            f"{len(summary['cap_files'])} CAP files in cap/; outbox: "
            + ", ".join(f"{n} {k}" for k, n in sorted(self.service.outbox.counts().items())),
        )
        self.close()
        return summary

    def close(self) -> None:
        self.service.close()
        self.disclosures.log.close()
        self.tak.close()

    # -- what the operator sees ----------------------------------------------------------

    def _on_event(self, event: AlertEvent) -> None:
        self.events.append(event)
        state = event.state
        if event.kind == "notified":
            channels = ", ".join(_CHANNEL_WORDS.get(c, c) for c in state.channels)
            self.say(event.at, f"  {state.alert_id} -> {state.unit.unit_id} over {channels}")
        elif event.kind == "inhibited":
            self.say(
                event.at,
                f"[yellow]inhibited[/] {state.alert_id} ({state.facts.type}): {state.reason}; "
                "the crossing supersedes it (CAP Update referencing it, same CoT uid)",
            )
        elif event.kind == "escalated":
            self.say(event.at, f"[yellow]escalation[/] {event.text}")
        elif event.kind == "acknowledged":
            self.say(
                event.at,
                f"[green]acknowledged[/] {state.alert_id} by {state.acknowledged_by} "
                f"(assumed delay {ACK_DELAY_S:.0f} s): escalation stopped",
            )
        elif event.kind == "channel_error":
            self.say(event.at, f"[red]{event.text}[/]")

    def _say_disclosures(self, at: datetime) -> None:
        by_alert: dict[str, list[dict[str, Any]]] = {}
        for entry in self.disclosures.pending:
            by_alert.setdefault(entry["alert_id"], []).append(entry)
        self.disclosures.pending.clear()
        for alert_id, entries in by_alert.items():
            first = entries[0]
            self.say(
                at,
                f"  disclosure logged (disclosures.jsonl): {alert_id} to {first['recipient']} "
                f"over {', '.join(e['channel'] for e in entries)}; fields "
                f"{', '.join(first['fields'])}; nothing else (basis: {first['basis']})",
            )


@dataclass
class _Held:
    """A sink whose deliveries wait in ``held`` (see ``DemoAlerts._held``)."""

    sink: AlertSink
    held: list[Callable[[], None]]

    def deliver(self, alert: Alert) -> None:
        self.held.append(lambda: self.sink.deliver(alert))


_CHANNEL_WORDS = {
    "cot": "CoT (local TAK listener + served stream)",
    "cap": "CAP file (cap/)",
    "jsonl": "alerts.jsonl",
    "webhook": "webhook (none configured in the demo)",
}
