"""The Coutts demo as a user runs it: what the issue's "Done means" asks, checked on the
files the demo writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from borderwatch.demo import run_demo
from borderwatch.geo.measure import great_circle_m


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("demo")
    console = Console(record=True, width=200)
    summary = run_demo(out, console=console)
    return out, summary, console.export_text()


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_exactly_one_northbound_crossing_for_the_group(demo) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = demo
    incidents = _lines(out / "incidents.jsonl")
    crossings = [i for i in incidents if i["type"] == "crossing"]
    assert len(crossings) == 1
    crossing = crossings[0]
    assert crossing["direction"] == "northbound"
    truth = [
        t for t in _lines(out / "truth.jsonl") if t["type"] == "crossing" and t["kind"] == "person"
    ]
    assert len(truth) == 1
    assert abs(crossing["group_size"] - 9) <= 2
    assert great_circle_m(crossing["lat"], crossing["lon"], truth[0]["lat"], truth[0]["lon"]) <= 100
    assert crossing["risk"]["level"] == "extreme"
    assert {"extreme_cold", "night", "children"} <= {r["code"] for r in crossing["risk"]["reasons"]}


def test_no_incident_from_the_pickup_or_animals(demo) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = demo
    incidents = _lines(out / "incidents.jsonl")
    # Every incident is about people (the group), none about a vehicle or an animal.
    assert {i["kind"] for i in incidents} == {"person"}
    crossing_track = next(i["track_id"] for i in incidents if i["type"] == "crossing")
    group_tracks = {i["track_id"] for i in incidents}
    assert crossing_track in group_tracks and len(incidents) <= 3


def test_the_tip_comes_before_the_crossing_and_is_shown(demo) -> None:  # type: ignore[no-untyped-def]
    _, summary, text = demo
    assert summary["tip_lead_time_s"] > 0
    assert "cross-border tip from USBP-HVM" in text
    assert "MST" in text and "Z │" in text


def test_alerts_go_to_rcmp_and_the_partner_notice_has_no_personal_data(demo) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = demo
    alerts = _lines(out / "alerts.jsonl")
    crossing_alerts = [a for a in alerts if a["payload"].get("type") == "crossing"]
    by_unit = {a["recipient"]["unit_id"]: a for a in crossing_alerts}
    assert set(by_unit) == {"RCMP-K-IBET", "USBP-HVM"}
    assert set(by_unit["USBP-HVM"]["payload"]) <= {
        "type",
        "time",
        "lat",
        "lon",
        "direction",
        "group_size",
    }
    disclosures = _lines(out / "disclosures.jsonl")
    assert {d["recipient"] for d in disclosures} == {"USBP-HVM"}


def test_the_case_holds_the_nine_people_and_says_what_is_assumed(demo) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = demo
    case = json.loads((out / "case.json").read_text())
    people = case["people"]
    assert len(people) == 9
    children = sorted(
        ((p["age"], p["nationalities"][0]) for p in people if p["age"] < 18), reverse=True
    )
    assert children == [(13, "VE"), (10, "VE"), (7, "VE"), (7, "CO"), (5, "CO")]
    assert sum(1 for p in people if p["age"] >= 18) == 4
    assumed = {a["field"] for a in case["assumptions"]}
    assert {"relations", "names", "interception.position"} <= assumed
    assert all(r["assumed"] for r in case["relations"])
    assert case["interception"]["incident_id"].startswith("INC-")
    from borderwatch.store import SqlCaseStore

    with SqlCaseStore.at(out / "borderwatch.db") as store:
        assert store.list_cases() == [case["case_id"]]


def test_every_output_is_marked_simulated(demo) -> None:  # type: ignore[no-untyped-def]
    out, _, text = demo
    for name in (
        "incidents.jsonl",
        "alerts.jsonl",
        "truth.jsonl",
        "detections.jsonl",
        "tracks.jsonl",
    ):
        records = _lines(out / name)
        assert records and all(r.get("simulated") is True for r in records), name
    for name in ("case.json", "summary.json"):
        assert json.loads((out / name).read_text())["simulated"] is True
    assert "SIMULATED" in (out / "README.txt").read_text()
    assert "SIMULATED" in text and "EXERCISE" in text


def test_evaluation_numbers(demo) -> None:  # type: ignore[no-untyped-def]
    _, summary, _ = demo
    evaluation = summary["evaluation"]
    assert evaluation["recall"] == 1.0
    assert evaluation["false_crossings"] == 0


def test_the_nine_are_screened_with_what_to_ask_and_the_stated_outcome(demo) -> None:  # type: ignore[no-untyped-def]
    out, _, text = demo
    screening = json.loads((out / "screening.json").read_text())
    assert screening["simulated"] is True
    case = json.loads((out / "case.json").read_text())
    colombian = {p["id"] for p in case["people"] if p["nationalities"] == ["CO"]}
    assert len(colombian) == 2
    facts = {p["id"]: p for p in screening["facts_the_reports_give"]["people"]}
    for pid in colombian:
        assert facts[pid]["outcome"] == "needs_information"
        assert f"people[{pid}].parent_or_guardian_in_canada_or_us" in facts[pid]["missing"]
    assumed = screening["under_stated_assumptions"]["people"]
    assert {(p["outcome"], p["rule"]) for p in assumed} == {("ineligible", "A2")}
    venezuelan = [p for p in assumed if any(r["country"] == "VE" for r in p["removal"])]
    assert len(venezuelan) == 7
    assert all(r["deferred"] for p in venezuelan for r in p["removal"] if r["country"] == "VE")
    assert "does not stop the return to the US" in text
    assert "audit log: intact" in text
