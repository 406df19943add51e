"""The end of the demo: the summary of the night (what was found, how well, against the
simulation's truth) as JSON and as the table printed last."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from borderwatch.alerts import RecordingSink
from borderwatch.domain import (
    Audience,
    Case,
    Direction,
    Incident,
    IncidentType,
    Person,
)
from borderwatch.domain.time import epoch_to_datetime, format_time
from borderwatch.geo.measure import great_circle_m
from borderwatch.sim import Group, Scenario, SimulationResult

SIMULATED_BANNER = (
    "SIMULATED — a reconstruction of a real event from press reports, with simulated "
    "sensors. Not a record of what any agency saw or did."
)


def composition(people: tuple[Person, ...]) -> str:
    adults = [p for p in people if p.is_minor is False]
    children = sorted((p for p in people if p.is_minor), key=lambda p: -(p.age or 0))
    kids = ", ".join(f"{p.age} {'/'.join(p.nationalities)}" for p in children)
    return f"{len(adults)} adults; children aged {kids}"


def summarize(
    scenario: Scenario,
    sim: SimulationResult,
    pipeline: Any,
    incidents: list[Incident],
    crossing: Incident | None,
    case: Case | None,
    recording: RecordingSink,
    score: Any,
    group: Group,
) -> dict[str, Any]:
    """The night's summary as a JSON-ready dict: incidents by type, alerts, the evaluation
    against the simulation's truth, and (when there was one) the crossing's estimated
    time and place against the true ones, the tip's lead time and the case."""
    truth = next((c for c in sim.crossings if c.entity_id == group.entity_id), None)
    by_track: dict[str, list[str]] = {}
    for i in incidents:
        by_track.setdefault(i.track_id, []).append(f"{i.type.value}:{i.direction}")
    tips = [d for d in sim.detections if d.sensor_id.startswith("tip:")]
    summary: dict[str, Any] = {
        "simulated": True,
        "scenario": scenario.name,
        "detections": len(sim.detections),
        "incidents": {
            "crossing": sum(1 for i in incidents if i.type is IncidentType.CROSSING),
            "approach": sum(1 for i in incidents if i.type is IncidentType.APPROACH),
            "from_animals": sum(1 for i in incidents if i.kind.value == "animal"),
            "northbound_crossings": sum(
                1
                for i in incidents
                if i.type is IncidentType.CROSSING and i.direction is Direction.NORTHBOUND
            ),
        },
        "animal_crossings_not_alarmed": pipeline.suppressed_animal_crossings,
        "tracks_started": pipeline.tracker.tracks_started,
        "alerts": [
            {
                "to": a.recipient.unit_id,
                "audience": a.audience.value,
                "incident": a.incident_id,
                "fields": sorted(a.payload),
            }
            for a in recording.alerts
        ],
        "evaluation": score.summary(),
    }
    if tips and truth is not None:
        summary["tip_lead_time_s"] = round(truth.epoch_s - tips[0].epoch_s)
    if crossing is not None and truth is not None:
        summary["crossing"] = {
            "incident_id": crossing.incident_id,
            "estimated_time": format_time(crossing.time),
            "true_time": format_time(epoch_to_datetime(truth.epoch_s)),
            "time_error_s": round(crossing.time.timestamp() - truth.epoch_s, 1),
            "estimated_point": [round(crossing.lat, 6), round(crossing.lon, 6)],
            "true_point": [round(truth.lat, 6), round(truth.lon, 6)],
            "point_error_m": round(
                great_circle_m(crossing.lat, crossing.lon, truth.lat, truth.lon), 1
            ),
            "latency_after_true_crossing_s": round(
                crossing.detected_at.timestamp() - truth.epoch_s, 1
            ),
            "group_size_estimate": crossing.group_size,
            "group_size_true": group.group_size,
            "risk": crossing.risk.to_json(),
        }
    if case is not None:
        summary["case"] = {
            "case_id": case.case_id,
            "people": len(case.people),
            "composition": composition(case.people),
            "interception": {
                "time": format_time(case.interception.time),
                "lat": case.interception.lat,
                "lon": case.interception.lon,
                "unit": case.interception.unit_id,
            },
            "assumed": [a.field for a in case.assumptions],
        }
    partner = [a for a in recording.alerts if a.audience is Audience.PARTNER]
    summary["partner_fields"] = sorted({k for a in partner for k in a.payload})
    return summary


def print_summary(console: Console, summary: dict[str, Any], case: Case | None) -> None:
    """Print ``summary`` as the demo's closing table and the case's assumptions (the
    files are listed once they all exist, by ``run_demo``)."""
    table = Table(title="Summary (simulated)", show_header=False, title_style="bold")
    row = table.add_row
    incidents = summary["incidents"]
    row("tip lead time before the true crossing", f"{summary.get('tip_lead_time_s', 'n/a')} s")
    row(
        "crossing incidents (northbound)",
        f"{incidents['crossing']} ({incidents['northbound_crossings']})",
    )
    row("approach warnings", str(incidents["approach"]))
    c = summary.get("crossing")
    if c:
        row(
            "estimated crossing time",
            f"{c['estimated_time']} (true {c['true_time']}, error {c['time_error_s']} s)",
        )
        row(
            "estimated crossing point",
            f"{c['estimated_point']} (true {c['true_point']}, error {c['point_error_m']} m)",
        )
        row("alert latency after the true crossing", f"{c['latency_after_true_crossing_s']} s")
        row("group size estimate", f"{c['group_size_estimate']} (true {c['group_size_true']})")
        reasons = ", ".join(r["text"] for r in c["risk"]["reasons"] if r["points"])
        row("risk", f"{c['risk']['level']} ({c['risk']['score']} points: {reasons})")
    kinds = summary.get("confirmed_tracks_by_kind", {})
    row("confirmed tracks by kind", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    ev_animals = summary["evaluation"]["truth_animal_crossings"]
    row(
        "animals crossing the line",
        f"{ev_animals} in the ground truth; {summary['animal_crossings_not_alarmed']} tracked "
        "across and suppressed; 0 incidents from animals"
        if summary["incidents"]["from_animals"] == 0
        else f"{summary['incidents']['from_animals']} incidents from animals (a defect)",
    )
    row("fields shared with the partner agency", ", ".join(summary["partner_fields"]) or "none")
    ev = summary["evaluation"]
    row(
        "evaluation against ground truth",
        f"recall {ev['recall']}, false crossings {ev['false_crossings']}, "
        f"latency median {ev['latency_median_s']} s",
    )
    if case is not None:
        row("case", f"{case.case_id}: {composition(case.people)}")
    if "intervention" in summary:
        from borderwatch.app.demo.responders import summary_rows

        for name, value in summary_rows(summary["intervention"]):
            row(name, value)
    console.print(table)
    if case is not None:
        assumed = Table(title="What the reports do not tell: assumed here", title_style="bold")
        assumed.add_column("fact")
        assumed.add_column("assumed value")
        assumed.add_column("why")
        for a in case.assumptions:
            assumed.add_row(escape(a.field), escape(a.value), escape(a.reason))
        console.print(assumed)


__all__ = ["SIMULATED_BANNER", "composition", "print_summary", "summarize"]
