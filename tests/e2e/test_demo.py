"""The Coutts demo as a user runs it: what the issue's "Done means" asks, checked on the
files the demo writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from borderwatch.app.demo.night import run_demo
from borderwatch.domain.time import parse_time
from borderwatch.geo.measure import great_circle_m


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("demo")
    # Not a terminal, as when the demo's output goes to a log: progress is plain lines.
    console = Console(record=True, width=200, force_terminal=False)
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
    # docs/demo.md's claims for this night, to their rounding: head count 9 of 9, crossing
    # point 1.3 m and 1.3 s from the true one, alert 15 s after the true crossing.
    assert crossing["group_size"] == truth[0]["group_size"] == 9
    point_m = great_circle_m(crossing["lat"], crossing["lon"], truth[0]["lat"], truth[0]["lon"])
    assert point_m <= 1.35, point_m
    true_at = parse_time(truth[0]["time"]).timestamp()
    assert abs(parse_time(crossing["time"]).timestamp() - true_at) <= 1.35
    assert parse_time(crossing["detected_at"]).timestamp() - true_at <= 15.5
    assert crossing["risk"]["level"] == "extreme"
    assert {"extreme_cold", "night", "children"} <= {r["code"] for r in crossing["risk"]["reasons"]}


TRACK_OFF_TRUTH_M = 200.0
"""How far an incident or a point of its track may be from the true group at the same
time. Measured on the demo night (5 December 2026): up to 167 m while the group is about
a kilometre out (the track trails the group; its stated sigma there is 16-46 m), under
40 m in the five minutes either side of the crossing, up to 85 m in the last minutes. When
the group crosses, the nearest other mover (a deer) is 364 m from it and the pickup 529 m."""


def _true_paths(out: Path) -> dict[str, np.ndarray]:  # type: ignore[type-arg]
    """Every mover's true path: (epoch s, lat, lon) rows from truth.jsonl."""
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for r in _lines(out / "truth.jsonl"):
        if r["type"] == "position":
            rows.setdefault(r["entity_id"], []).append(
                (parse_time(r["time"]).timestamp(), r["lat"], r["lon"])
            )
    return {entity: np.array(points) for entity, points in rows.items()}


def _off_truth_m(
    paths: dict[str, np.ndarray],  # type: ignore[type-arg]
    time: str,
    lat: float,
    lon: float,
) -> dict[str, float]:
    """Distance to each mover in the scene at ``time`` (positions between the 10 s truth
    records interpolated)."""
    t = parse_time(time).timestamp()
    out = {}
    for entity, path in paths.items():
        if path[0, 0] <= t <= path[-1, 0]:
            true_lat = float(np.interp(t, path[:, 0], path[:, 1]))
            true_lon = float(np.interp(t, path[:, 0], path[:, 2]))
            out[entity] = great_circle_m(lat, lon, true_lat, true_lon)
    return out


def test_every_incident_and_its_track_follow_the_group(demo) -> None:  # type: ignore[no-untyped-def]
    out, _, _ = demo
    incidents = _lines(out / "incidents.jsonl")
    truth = _lines(out / "truth.jsonl")
    paths = _true_paths(out)
    (group,) = [e["entity_id"] for e in truth if e["type"] == "entity" and e["kind"] == "person"]
    assert {"pickup-1", "deer-1", "coyote-1"} <= set(paths)  # the others are in the truth
    tracks = {t["track_id"]: t for t in _lines(out / "tracks.jsonl")}
    assert incidents and {i["kind"] for i in incidents} == {"person"}
    for incident in incidents:
        track = tracks[incident["track_id"]]
        assert len(track["path"]) >= 100, incident["track_id"]  # followed for most of the night
        points = [(incident["time"], incident["lat"], incident["lon"], incident["incident_id"])]
        points += [(t, lat, lon, incident["track_id"]) for t, lat, lon in track["path"]]
        for time, lat, lon, what in points:
            off = _off_truth_m(paths, time, lat, lon)
            # The group is in the scene whenever its track is, and nearest of every mover.
            assert group in off, (what, time)
            assert min(off, key=off.__getitem__) == group, (what, time, off)
            assert off[group] <= TRACK_OFF_TRUTH_M, (what, time, off[group])


def test_the_tip_comes_before_the_crossing_and_is_shown(demo) -> None:  # type: ignore[no-untyped-def]
    _, summary, text = demo
    assert round(summary["tip_lead_time_s"] / 60) == 26  # docs/demo.md: "tip lead time 26 min"
    # docs/demo.md: "3 animal, 14 vehicle and 6 people tracks confirmed".
    assert summary["confirmed_tracks_by_kind"] == {"animal": 3, "vehicle": 14, "person": 6}
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
        "group_size_range",
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
    from borderwatch.adapters.sqlite.cases import SqlCaseStore

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


def test_the_night_in_the_agencies_numbers(demo) -> None:  # type: ignore[no-untyped-def]
    out, summary, text = demo
    stats = summary["statistics"]
    assert stats["simulated"] is True
    # Alberta, February 2025: 9 exact, 10 publishable (rounded to the nearest 5).
    assert stats["alberta_february_2025"] == {"internal": 9, "publishable": "10"}
    document = json.loads((out / "stats.json").read_text())
    assert document["simulated"] is True
    by_demographic = document["tables"]["publishable_by_demographic"]["rows"]
    # 4 FMUA, 3 single adults, 2 unaccompanied minors: every cell of 1-5 is shown as --
    assert {r["demographic"]: r["2025-02"] for r in by_demographic} == {
        "FMUA": "--",
        "Single Adults": "--",
        "UC / Single Minors": "--",
        "Total": "10",
    }
    by_citizenship = document["tables"]["publishable_by_citizenship"]["rows"]
    assert {r["citizenship"]: r["2025-02"] for r in by_citizenship} == {
        "CO": "--",
        "VE": "5",
        "Total": "10",
    }
    report = (out / "report.html").read_text()
    assert "SIMULATED DATA" in report and "<svg" in report
    assert "# PUBLISHABLE" in (out / "rcmp-2025.csv").read_text().splitlines()[0]
    assert "9 people in the internal table, 10 in the publishable one" in " ".join(text.split())


def test_the_us_call_arrives_as_a_cap_message_read_safely(demo) -> None:  # type: ignore[no-untyped-def]
    out, summary, text = demo
    assert summary["alerting"]["inbound_tips"] == ["USBP-HVM-tip-1.cap.xml"]
    message = (out / "inbound" / "USBP-HVM-tip-1.cap.xml").read_text()
    assert "<status>Exercise</status>" in message and "<circle>" in message
    assert "inbound CAP message tip-1 from USBP-HVM" in text
    tip = next(d for d in _lines(out / "detections.jsonl") if d["sensor_id"] == "tip:USBP-HVM")
    assert tip["sigma_m"] == 400  # the error the partner stated, carried through


def test_alerting_inhibits_acknowledges_and_logs_disclosures(demo) -> None:  # type: ignore[no-untyped-def]
    out, summary, text = demo
    alerting = summary["alerting"]
    states = alerting["alert_states"]
    rcmp = [a for a in states if a.endswith("RCMP-K-IBET")]
    crossing_rcmp = next(a for a in rcmp if states[a] != "inhibited")
    assert states[crossing_rcmp] == "acknowledged"
    assert any(states[a] == "inhibited" and a.endswith("RCMP-K-IBET") for a in states)
    assert alerting["cot_alerts_at_local_tak_listener"] >= 2
    assert b'type="b-a-g"' in (out / "cot-received.xml").read_bytes()
    assert alerting["outbox"] == {"sent": alerting["outbox"]["sent"]}  # nothing pending or dead
    cap_rcmp = [n for n in alerting["cap_files"] if "RCMP-K-IBET" in n]
    assert len(cap_rcmp) >= 2
    update = (out / "cap" / sorted(cap_rcmp)[-1]).read_text()
    assert "<msgType>Update</msgType>" in update and "<references>" in update
    for line in ("inhibited", "acknowledged", "escalation stopped", "disclosure logged"):
        assert line in text, line
    usbp = [n for n in alerting["cap_files"] if "USBP-HVM" in n]
    for name in usbp:
        body = (out / "cap" / name).read_text()
        assert "<scope>Private</scope>" in body and "<addresses>USBP-HVM</addresses>" in body
        for word in ("children", "track_id", "nationalit", "risk"):
            assert word not in body, word
    disclosures = _lines(out / "disclosures.jsonl")
    assert {d["channel"] for d in disclosures} == {"console", "jsonl", "cap"}
    assert all(d["basis"] and not d["withheld"] for d in disclosures)


def test_the_swift_intervention_is_proposed_assigned_and_timed(demo) -> None:  # type: ignore[no-untyped-def]
    """The RCMP team is proposed (of the night's two units), assigned, sent a waypoint
    over TAK, and the times from detection to interception are written and stored."""
    from borderwatch.adapters.sqlite.interventions import SqliteInterventions
    from borderwatch.respond.times import ORDER

    out, summary, text = demo
    data = json.loads((out / "intervention.json").read_text())
    assert summary["intervention"] == data and data["simulated"] is True
    proposal, times = data["proposal"], data["times"]
    assert proposal["best"] == "RCMP-K-IBET" and len(proposal["proposals"]) == 2
    assert proposal["simulated"] is True and proposal["assumptions"]
    stamps = [parse_time(times[m.value]) for m in ORDER]
    assert stamps == sorted(stamps)
    crossing = summary["crossing"]
    assert times["incident_id"] == crossing["incident_id"] and times["unit_id"] == "RCMP-K-IBET"
    assert parse_time(times["interception"]) == parse_time(summary["case"]["interception"]["time"])
    assert times["intervals_s"]["alert_to_acknowledgement"] == 40.0  # the assumed delay
    # The proposal (the track's last velocity, straight line) against the simulated meeting
    # (the true path, the same straight line): 1.5 s and 48 m apart on the demo night.
    best = proposal["proposals"][0]
    assert abs(parse_time(best["at"]).timestamp()
               - parse_time(times["arrival"]).timestamp()) < 30.0
    assert great_circle_m(best["lat"], best["lon"], summary["case"]["interception"]["lat"],
                          summary["case"]["interception"]["lon"]) < 100.0
    cot = (out / "cot-received.xml").read_bytes()
    assert b'type="b-m-p-w"' in cot and b"borderwatch.intercept." in cot
    assert summary["alerting"]["outbox"] == {"sent": summary["alerting"]["outbox"]["sent"]}
    stored = SqliteInterventions(out / "borderwatch.db")
    try:
        held = stored.get(crossing["incident_id"])
        assert held is not None and held.to_json() == times
    finally:
        stored.db.close()
    flat = " ".join(text.split())
    assert "intercept proposed: IBET Coutts (RCMP-K-IBET)" in flat
    assert "detection to interception" in flat


def test_the_console_reads_as_an_operator_would_read_it(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, text = demo
    lines = text.splitlines()
    # The timeline in time order (the alerting line once came back to 06:16 after 06:26).
    times = [m.group(1) for line in lines if (m := re.match(r"(\d\d:\d\d:\d\d) MST │", line))]
    assert len(times) > 20 and times == sorted(times), times
    # A head count and a distance never read as one number; the sun is not "-16° below".
    assert re.search(r"group of ~9, \d+ m from the line", text)
    assert not re.search(r"~\d+ \d+ m", text)
    assert re.search(r"sun \d+° below the horizon", text)
    assert not re.search(r"-\d+° below", text)
    # Progress is shown though the console is not a terminal: a line per frame sensor.
    for sensor in ("cam-1", "cam-2", "drone-1"):
        assert any(line.startswith(f"{sensor}: done,") for line in lines), sensor
    # The outputs are listed once, last, when all exist, without SQLite's side files.
    listing = [i for i, line in enumerate(lines) if line.startswith("Outputs in ")]
    assert len(listing) == 1
    assert listing[0] > max(i for i, line in enumerate(lines) if "Statistics written" in line)
    listed = " ".join(lines[listing[0]:])
    assert "report.html" in listed and "stats.json" in listed
    assert "-wal" not in listed and "-shm" not in listed


def test_readme_describes_every_file_in_the_output_folder(demo) -> None:  # type: ignore[no-untyped-def]
    from borderwatch.app.demo.outputs import present

    out, _, _ = demo
    readme = (out / "README.txt").read_text()
    described = {line.split()[0] for line in readme.split("Files:")[1].splitlines() if line.strip()}
    assert described == set(present(out))
    assert "(not described)" not in readme


def test_the_case_goes_through_the_officers_code_path(demo) -> None:  # type: ignore[no-untyped-def]
    out, summary, text = demo
    officers = summary["officers"]
    assert set(officers["decisions"].values()) == {"ineligible"}
    assert len(officers["returned"]) == 9
    handoff = json.loads((out / "handoff.json").read_text())
    assert handoff["simulated"] is True and handoff["return"]["receiving_agency"] == "USBP"
    notice = handoff["notice_as_released"]
    assert notice["people_count"] == 9 and notice["simulated"] is True
    assert not {"case_id", "officer_id", "children", "people"} & set(notice)
    from borderwatch.adapters.sqlite.storage import SqliteStorage

    storage = SqliteStorage(out / "borderwatch.db")
    try:
        case_id = handoff["return"]["case_id"]
        entries = storage.audit.records(case_id)
        entered = [e for e in entries if e["kind"] == "screening"][-1]["data"]["case"]
        assert entered["entered_by"].startswith("CBSA")
        assert any(a["field"].endswith(".claim_date") for a in entered["assumptions"])
        assert sum(e["kind"] == "decision" for e in entries) == 9
        assert storage.audit.verify() == []
        released = [e for e in storage.disclosures.entries() if e.get("notice") == "stca_return"]
        assert len(released) == 1 and released[0]["agency"] == "USBP"
    finally:
        storage.close()
    records = sorted((out / "records").iterdir())
    assert len(records) == 36
    french = next(p for p in records if p.name.endswith("-p1.fr.pdf"))
    import io

    import pypdf
    body = " ".join(pypdf.PdfReader(io.BytesIO(french.read_bytes())).pages[0].extract_text()
                    .split())
    assert "RIPR 159.4(1.1)" in body and "SIMULÉ" in body
    assert "handoff.json" in (out / "README.txt").read_text()
    assert "CBSA officer" in text


def test_the_case_is_opened_by_the_field_report_and_its_facts_come_from_the_officer(demo) -> None:  # type: ignore[no-untyped-def]
    """The field team opens the case with what it may see (no nationality, no relation);
    the people's facts are the officer's entry, and the statistics count those."""
    out, _, text = demo
    from borderwatch.adapters.sqlite.storage import SqliteStorage
    from borderwatch.cases.in_force import entered_facts

    storage = SqliteStorage(out / "borderwatch.db")
    try:
        (case_id,) = storage.cases.list_cases()
        opened = storage.cases.get_case(case_id)
        assert len(opened.people) == 9 and opened.relations == ()
        assert all(p.nationalities == () for p in opened.people)
        assert any("apparent age" in a.reason for a in opened.assumptions)
        entered = entered_facts(storage.audit.records(case_id))
    finally:
        storage.close()
    assert entered is not None and entered["entered_by"].startswith("CBSA")
    assert sorted(p["nationalities"][0] for p in entered["people"]).count("VE") == 7
    case = json.loads((out / "case.json").read_text())
    assert [p["nationalities"] for p in case["people"]] == [
        p["nationalities"] for p in entered["people"]]
    assert "reports the interception: 9 people (4 adults, 5 children" in " ".join(text.split())


def test_the_crossing_has_its_thermal_evidence(demo) -> None:  # type: ignore[no-untyped-def]
    """What the night's operator looked at before sending the team: the crops near the
    crossing, as PNG, the sensors named on the timeline."""
    import io

    from PIL import Image

    out, _, text = demo
    crops = sorted((out / "evidence").glob("*.png"))
    assert 1 <= len(crops) <= 6
    for crop in crops:
        image = Image.open(io.BytesIO(crop.read_bytes()))
        assert image.format == "PNG" and image.mode == "L" and max(image.size) <= 160
    assert "evidence for the operator:" in text and "thermal crop" in text
