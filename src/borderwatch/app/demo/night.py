"""`borderwatch demo`: the night of 3 February 2025 at Coutts, end to end.

Composition only: the scenario comes from sim/, every stage is the real one, and this
module decides what to print and where to write. The timeline is printed in data-time
order as the stream is replayed: simulator events (the US tip, the drone) before the
detections that follow them, then what the system itself notices and says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from borderwatch.adapters.sources.jsonl import write_jsonl
from borderwatch.adapters.sqlite.cases import SqlCaseStore
from borderwatch.adapters.sqlite.interventions import SqliteInterventions
from borderwatch.adapters.transports.sinks import ConsoleAlertSink, JsonlAlertSink
from borderwatch.alerts import AlertSink, RecordingSink
from borderwatch.app.demo.alerting import ACK_DELAY_S, DemoAlerts
from borderwatch.app.demo.evidence import crossing_evidence, write_evidence
from borderwatch.app.demo.intake import (
    field_report_body,
    interview_facts,
    open_case_from_field_report,
)
from borderwatch.app.demo.officers import (
    RECORDS_DIR,
    OfficerOutcome,
    run_officer_stage,
)
from borderwatch.app.demo.outputs import clear_outputs, present, readme_text
from borderwatch.app.demo.responders import Intervention, plan_intervention
from borderwatch.app.demo.screening import (
    CLAIM_ASSUMPTION,
    STATED_ASSUMPTIONS,
    ScreeningOutcome,
    questions_for,
    screen_coutts_case,
)
from borderwatch.app.demo.statistics import run_statistics_stage
from borderwatch.app.demo.summary import SIMULATED_BANNER, print_summary, summarize
from borderwatch.cases import case_to_json, new_case_id
from borderwatch.cases.in_force import case_in_force
from borderwatch.domain import (
    Alert,
    Case,
    Detection,
    Direction,
    Incident,
    IncidentType,
    Interception,
)
from borderwatch.domain.time import epoch_to_datetime, format_time, local_and_utc
from borderwatch.geo import Boundary, Places
from borderwatch.geo.measure import great_circle_m
from borderwatch.pipeline import build_pipeline
from borderwatch.sim import Group, Scenario, SimulationResult, bundled_scenario_path, load_scenario
from borderwatch.sim.evaluation.crossings import evaluate, load_incidents, load_truth_crossings
from borderwatch.sim.progress import simulate_with_progress
from borderwatch.tracking import TrackBatch, track_id
from borderwatch.tracking.kind_evidence import kind_of
from borderwatch.watch import Conditions, FixedConditions, incident_to_wire


@dataclass
class Timeline:
    console: Console
    zone: ZoneInfo
    quiet: bool = False
    entries: list[tuple[float, str]] = field(default_factory=list)

    @property
    def latest(self) -> datetime | None:
        """The latest time said so far (a summary line said at the end goes there)."""
        return epoch_to_datetime(max(t for t, _ in self.entries)) if self.entries else None

    def say(self, time: datetime, text: str) -> None:
        self.entries.append((time.timestamp(), text))
        if not self.quiet:
            self.console.print(f"{local_and_utc(time, self.zone)} │ {text}", highlight=False)


PATH_EVERY_S = 10.0
"""A track's path in tracks.jsonl keeps one confirmed position per this many seconds, as
the truth file keeps the movers' (sim/truth.py), so the two can be compared."""


class TrackWatcher:
    """Notes what the operator would see of tracks: confirmations, final states, and each
    track's path (``[time, lat, lon]`` every ``PATH_EVERY_S``, and the last)."""

    def __init__(self, boundary: Boundary, timeline: Timeline) -> None:
        self.boundary = boundary
        self.timeline = timeline
        self.confirmed: set[int] = set()
        self.last: dict[int, dict[str, Any]] = {}
        self.paths: dict[int, list[tuple[float, str, float, float]]] = {}
        self.kinds: dict[str, int] = {}

    def records(self) -> list[dict[str, Any]]:
        """tracks.jsonl: each confirmed track's last state with its path."""
        out = []
        for serial, state in self.last.items():
            path = self.paths[serial]
            points = [[time, lat, lon] for _, time, lat, lon in path]
            if points[-1][0] != state["time"]:
                points.append([state["time"], state["lat"], state["lon"]])
            out.append({**state, "path": points})
        return out

    def __call__(self, batch: TrackBatch) -> None:
        for row in range(len(batch)):
            serial = int(batch.serial[row])
            if not batch.confirmed[row]:
                continue
            lat, lon = self.boundary.frame.point_to_geo(
                float(batch.east_m[row]), float(batch.north_m[row])
            )
            state = {
                "track_id": track_id(serial),
                "time": format_time(epoch_to_datetime(float(batch.epoch_s[row]))),
                "lat": round(lat, 7),
                "lon": round(lon, 7),
                "kind": kind_of(int(batch.kind_code[row])).value,
                "kind_probability": round(float(batch.kind_probability[row]), 3),
                "group_size": int(batch.group_size[row]),
                "group_size_sigma": round(float(batch.group_size_sigma[row]), 2),
                "children": None if batch.children[row] < 0 else int(batch.children[row]),
                "speed_ms": round(float(_speed(batch, row)), 2),
                "heading_deg": round(float(_heading(batch, row)), 1),
                "position_sigma_m": round(float(batch.position_sigma_m[row]), 1),
                "hits": int(batch.hits[row]),
                "simulated": bool(batch.simulated[row]),
            }
            self.last[serial] = state
            path = self.paths.setdefault(serial, [])
            epoch = float(batch.epoch_s[row])
            if not path or epoch >= path[-1][0] + PATH_EVERY_S:
                path.append((epoch, str(state["time"]), round(lat, 7), round(lon, 7)))
            if serial not in self.confirmed:
                self.confirmed.add(serial)
                kind = str(state["kind"])
                self.kinds[kind] = self.kinds.get(kind, 0) + 1
                if kind in ("vehicle", "animal"):
                    continue  # counted in the summary; not news for the operator
                self.timeline.say(
                    epoch_to_datetime(float(batch.epoch_s[row])),
                    f"track {state['track_id']} confirmed: {state['kind']} "
                    f"(p={state['kind_probability']:.2f}), about {state['group_size']}, "
                    f"{state['speed_ms']:.1f} m/s heading {state['heading_deg']:.0f}°",
                )


def _speed(batch: TrackBatch, row: int) -> float:
    return float((batch.velocity_east_ms[row] ** 2 + batch.velocity_north_ms[row] ** 2) ** 0.5)


def _heading(batch: TrackBatch, row: int) -> float:
    import math

    return math.degrees(math.atan2(batch.velocity_east_ms[row], batch.velocity_north_ms[row])) % 360


def run_demo(out: Path, *, console: Console, quiet: bool = False) -> dict[str, Any]:
    """Run the Coutts demo into ``out``; return the summary that is also written there."""
    scenario = load_scenario(bundled_scenario_path("coutts"))
    boundary = Boundary.bundled()
    places = Places.bundled()
    zone = ZoneInfo(scenario.timezone)
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)
    console.print(Panel(f"[bold]{scenario.title}[/]\n{SIMULATED_BANNER}", style="yellow"))

    # The cameras and the drone are simulated through rendered frames and the thermal
    # detector (sim/lwir/): tens of seconds, shown as a bar.
    sim = simulate_with_progress(scenario, boundary, console)
    sim.write(out / "detections.jsonl", out / "truth.jsonl")
    timeline = Timeline(console, zone, quiet)
    tracks = TrackWatcher(boundary, timeline)
    recording = RecordingSink()
    jsonl = JsonlAlertSink(out / "alerts.jsonl")
    console_sink = ConsoleAlertSink(console, scenario.timezone)

    pending: list[tuple[float, str]] = [
        (e.epoch_s, f"[bold]{escape(e.text)}[/]") for e in sim.events
    ]
    group = _the_group(scenario)
    outcome: dict[str, Any] = {}

    def on_incident(incident: Incident, alerts: list[Alert]) -> None:
        timeline.say(incident.detected_at, _describe_incident(incident, places))
        if (
            incident.type is IncidentType.CROSSING
            and incident.direction is Direction.NORTHBOUND
            and "interception" not in outcome
            and scenario.response is not None
        ):
            # The responding team is dispatched on this alert; the interception appears in
            # the timeline when the replay reaches its time.
            interception = intercept_group(scenario, sim, group, incident)
            outcome["interception"] = interception
            outcome["crossing"] = incident
            seen = crossing_evidence(sim, incident)  # what the operator looks at first
            outcome["evidence"] = [s.detection_id for s in seen]
            timeline.say(incident.detected_at, write_evidence(out, seen))
            # Who is proposed and assigned, the waypoint sent, the times (responders.py).
            track = next((t for t in tracks.last.values()
                          if t["track_id"] == incident.track_id), None)
            intervention = plan_intervention(scenario, boundary, incident, alerts, track,
                                             interception, ACK_DELAY_S)
            if intervention is not None:
                outcome["intervention"] = intervention
                alerting.send_task(incident.incident_id, intervention.task_cot)
                pending.extend((at.timestamp(), text) for at, text in intervention.lines())
            pending.append(
                (
                    interception.time.timestamp(),
                    f"[bold green]{interception.unit_id} intercepts the group[/] at "
                    f"{interception.lat:.5f}, {interception.lon:.5f} "
                    "(the place is assumed: not published)",
                )
            )

    weather = scenario.weather
    # The alert stage (policy, lifecycle, sharing gate, console/JSONL/CoT/CAP, outbox,
    # disclosure log) and the US call arriving as a CAP message: demo_alerts.py.
    alerting = DemoAlerts(
        out, scenario, boundary, places, timeline.say, console=None if quiet else console_sink,
        jsonl=jsonl,
    )
    sinks: list[AlertSink] = [recording]
    pipeline = build_pipeline(
        boundary,
        conditions=FixedConditions(
            Conditions(weather.temperature_c, weather.snow_cover, weather.wind_ms)
        ),
        places=places,
        sinks=sinks,
        track_listeners=[tracks, alerting.track_feed],
        incident_listeners=[on_incident, alerting.after_incident],
        alert_router=alerting.center,
    )

    def flush_pending(until: float) -> None:
        pending.sort()
        while pending and pending[0][0] <= until:
            epoch, text = pending.pop(0)
            timeline.say(epoch_to_datetime(epoch), text)

    first_seen: set[str] = set()
    for det in alerting.inbound_tips(sim):
        flush_pending(det.epoch_s)
        alerting.tick(det.time)
        _note_first_detection(det, first_seen, timeline)
        pipeline.feed(det)
    pipeline.finish()
    flush_pending(float("inf"))
    alerting_summary = alerting.finish(timeline.latest)
    jsonl.close()

    incidents = pipeline.incidents
    write_jsonl(out / "incidents.jsonl", (incident_to_wire(i) for i in incidents))
    write_jsonl(out / "tracks.jsonl", tracks.records())

    case: Case | None = None
    officers: OfficerOutcome | None = None
    crossing: Incident | None = outcome.get("crossing")
    if crossing is not None:
        interception = outcome["interception"]
        # The field team's report opens the case; the officer's interview enters the
        # people's facts through the desk (intake.py, officers.py).
        opened = open_case_from_field_report(
            field_report_body(group, interception), incident_id=crossing.incident_id,
            case_id=new_case_id("AB", crossing.time.astimezone(zone).date(), 1),
            interception_id=interception.interception_id,
            entry_kind=str(scenario.entry.get("kind", "between_ports")),
            from_country=str(scenario.entry.get("from_country", "US")),
            entry_date=crossing.time.astimezone(zone).date())
        with SqlCaseStore.at(out / "borderwatch.db") as store:
            store.open_case(opened)
        timeline.say(
            interception.time,
            f"{interception.unit_id} reports the interception: {len(opened.people)} people "
            f"({sum(p.is_minor is False for p in opened.people)} adults, "
            f"{sum(p.is_minor is True for p in opened.people)} children by apparent age; "
            f"no identifiers); case {opened.case_id} opened and handed to CBSA for screening",
        )
        facts = interview_facts(scenario, group, opened)
        case = case_in_force(opened, facts)
        (out / "case.json").write_bytes(
            orjson.dumps(case_to_json(case), option=orjson.OPT_INDENT_2) + b"\n"
        )
        screening = screen_coutts_case(facts, out, out / "borderwatch.db")
        _say_screening(timeline, interception.time, screening)
        officers = run_officer_stage(case, facts, out, tz=scenario.timezone)
        _say_officers(timeline, interception.time, officers)
    score = evaluate(
        load_incidents(out / "incidents.jsonl"), load_truth_crossings(out / "truth.jsonl")
    )
    summary = summarize(scenario, sim, pipeline, incidents, crossing, case, recording, score, group)
    summary["confirmed_tracks_by_kind"] = tracks.kinds
    intervention: Intervention | None = outcome.get("intervention")
    if intervention is not None:
        summary["intervention"] = intervention.to_json()
        (out / "intervention.json").write_bytes(
            orjson.dumps(summary["intervention"], option=orjson.OPT_INDENT_2) + b"\n")
        stored = SqliteInterventions(out / "borderwatch.db")
        stored.put(intervention.times)
        stored.db.close()
    summary["alerting"] = alerting_summary
    if officers is not None:
        summary["officers"] = {"decisions": officers.decisions,
                               "returned": list(officers.returned),
                               "notice_as_released": officers.notice,
                               "records": len(officers.records)}
    (out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    print_summary(console, summary, case)
    if case is not None:  # last stage: the case in the agencies' numbers (demo_stats.py)
        summary["statistics"] = run_statistics_stage(out, console, quiet=quiet)
        (out / "summary.json").write_bytes(
            orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n"
        )
    # Last, when every output exists: README.txt and the list (outputs.py's one table).
    header = (f"{SIMULATED_BANNER}\n\nScenario: {scenario.title}\nEvery JSON record here "
              'carries "simulated": true.')
    (out / "README.txt").write_text(readme_text(header, present(out)), encoding="utf-8")
    console.print(f"Outputs in [bold]{out}[/] (README.txt says what each holds): "
                  + ", ".join(present(out)))
    console.print(f"[yellow]{SIMULATED_BANNER}[/]")
    return summary


def _say_screening(timeline: Timeline, time: datetime, screening: ScreeningOutcome) -> None:
    timeline.say(time, f"[bold]STCA screening[/] (decision support): {escape(CLAIM_ASSUMPTION)}")
    for person in screening.facts_only["people"]:
        asks = questions_for(person)
        focus = [
            q for q in asks if q in ("parent_or_guardian_in_canada_or_us", "has_spouse_or_partner")
        ]
        timeline.say(
            time,
            f"  {person['id']}: {person['outcome']} under {person['rule']}; officer must ask: "
            + ", ".join(focus + [q for q in asks if q not in focus][: max(0, 4 - len(focus))])
            + (" ..." if len(asks) > 4 else ""),
        )
    outcomes = sorted({p["outcome"] for p in screening.assumed["people"]})
    rules = sorted({str(p["rule"]) for p in screening.assumed["people"]})
    timeline.say(
        time,
        f"  under stated assumptions ({'; '.join(STATED_ASSUMPTIONS)}): "
        f"{', '.join(outcomes)} under {', '.join(rules)} -> return to the United States",
    )
    deferred = sorted(
        {r["country"] for p in screening.assumed["people"] for r in p["removal"] if r["deferred"]}
    )
    if deferred:
        timeline.say(
            time,
            f"  removal to {', '.join(deferred)} is deferred (ADR); that does not stop the "
            "return to the US under the Agreement",
        )
    timeline.say(
        time,
        "  screenings recorded in the hash-chained audit log: "
        + ("intact" if not screening.audit_problems else "; ".join(screening.audit_problems)),
    )


def _say_officers(timeline: Timeline, time: datetime, officers: OfficerOutcome) -> None:
    outcomes = sorted(set(officers.decisions.values()))
    start = officers.lines[0][0] if officers.lines else time
    timeline.say(start, f"[bold]CBSA officer[/] (the officers' code path): "
                 f"{len(officers.decisions)} decisions, {', '.join(outcomes)}, each in the "
                 "audit log")
    for at, line in officers.lines:
        timeline.say(at, f"  {escape(line)}")
    end = officers.lines[-1][0] if officers.lines else time
    if officers.returned:
        fields = ", ".join(k for k in officers.notice if k != "simulated")
        timeline.say(end, f"  handoff notice released to the receiving agency with {fields} "
                     "only (disclosure logged)")
    timeline.say(end, f"  decision records (en, fr; PDF and HTML): {len(officers.records)} "
                 f"files in {RECORDS_DIR}/")


def _the_group(scenario: Scenario) -> Group:
    return max(scenario.groups, key=lambda g: g.group_size)


def _note_first_detection(det: Detection, seen: set[str], timeline: Timeline) -> None:
    if det.sensor_id in seen:
        return
    seen.add(det.sensor_id)
    if det.sensor_id.startswith("tip:"):
        timeline.say(
            det.time,
            f"[magenta]cross-border tip from {det.sensor_id[4:]}[/] received as a cue: "
            f"±{det.sigma_m:.0f} m around {det.lat:.4f}, {det.lon:.4f} (too vague to start a "
            "track; shown to operators)",
        )
        return
    timeline.say(
        det.time,
        f"first detection from {det.sensor_id}: {det.kind.value} ×{det.count}, "
        f"position error ±{det.sigma_m:.0f} m",
    )


def _describe_incident(incident: Incident, places: Places) -> str:
    near = places.nearest_port(incident.lat, incident.lon)
    where = f"{near[1]:.1f} km from {near[0].name}" if near else ""
    reasons = "; ".join(r.text for r in incident.risk.reasons if r.points)
    if incident.type is IncidentType.APPROACH:
        return (
            f"[yellow]APPROACH[/] {incident.direction} {incident.kind.value} "
            f"{group_at_distance(incident.group_size, incident.distance_to_line_m)}, "
            f"at the line in ~{(incident.eta_s or 0) / 60:.0f} min ({where}); risk "
            f"{incident.severity.value}: {reasons}"
        )
    return (
        f"[bold red]CROSSING {incident.direction}[/] {incident.kind.value} group of "
        f"~{incident.group_size} crossed at {local_and_utc(incident.time, ZoneInfo('UTC'))[-9:]} "
        f"at {incident.lat:.5f}, {incident.lon:.5f} ({where}); raised "
        f"{incident.latency_s:.0f} s after the estimated crossing; risk "
        f"{incident.severity.value}: {reasons}"
    )


def group_at_distance(group_size: int, distance_m: float) -> str:
    """"group of ~9, 949 m from the line": a comma between the head count and the
    distance, so the two numbers never read as one ("~9 949 m")."""
    return f"group of ~{group_size}, {distance_m:.0f} m from the line"


def intercept_group(
    scenario: Scenario, sim: SimulationResult, group: Group, crossing: Incident
) -> Interception:
    """Where and when the responding team reaches the (true) group: dispatch when the
    crossing alert is raised, then drive/walk straight at the group's position."""
    response = scenario.response
    assert response is not None
    start = crossing.detected_at.timestamp() + response.dispatch_delay_s
    arrive = start
    for _ in range(20):  # fixed point: the group keeps walking while the team comes
        lat, lon = sim.position_at(group.entity_id, arrive)
        arrive = start + great_circle_m(response.base_lat, response.base_lon, lat, lon) / max(
            response.speed_ms, 0.1
        )
    lat, lon = sim.position_at(group.entity_id, arrive)
    return Interception(
        interception_id=f"ICP-{epoch_to_datetime(arrive):%Y%m%d}-001",
        incident_id=crossing.incident_id,
        time=epoch_to_datetime(round(arrive)),
        lat=round(lat, 6),
        lon=round(lon, 6),
        unit_id=response.unit_id,
        people_count=group.group_size,
        simulated=True,
    )


__all__ = ["run_demo"]
