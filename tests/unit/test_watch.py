"""Watch rules end to end on hand-made tracks: hysteresis, approach, animals, risk."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest
from tests.conftest import T0, detection

from borderwatch.domain import Direction, IncidentType, Kind, Severity
from borderwatch.geo import Boundary
from borderwatch.pipeline import build_pipeline
from borderwatch.watch import Conditions, FixedConditions
from borderwatch.watch.risk import RiskModel, wind_chill_c


def _walk(
    rng, n, *, start_north, speed, east=0.0, kind=Kind.PERSON, count=1, noise=8.0, sensor="cam"
):  # type: ignore[no-untyped-def]
    return [
        detection(
            t,
            east + rng.normal(0, noise),
            start_north + speed * t + rng.normal(0, noise),
            sigma=noise,
            kind=kind,
            count=count,
            sensor=sensor,
        )
        for t in range(n)
    ]


def test_a_group_walking_north_raises_one_crossing_with_point_and_time(boundary: Boundary) -> None:
    rng = np.random.default_rng(5)
    pipeline = build_pipeline(boundary, route=False)
    incidents = pipeline.feed_all(_walk(rng, 900, start_north=-400, speed=0.8, count=9))
    crossings = [i for i in incidents if i.type is IncidentType.CROSSING]
    assert len(crossings) == 1
    crossing = crossings[0]
    assert crossing.direction is Direction.NORTHBOUND
    true_time = T0 + 400 / 0.8
    assert abs(crossing.time.timestamp() - true_time) < 20
    assert crossing.lat == pytest.approx(49.0, abs=1e-6)
    assert abs(crossing.lon - (-111.9)) < 0.0005  # ~35 m
    assert 0 < crossing.latency_s < 60
    assert crossing.segment == "AB-MT"
    approaches = [i for i in incidents if i.type is IncidentType.APPROACH]
    assert len(approaches) == 1 and approaches[0].detected_at < crossing.detected_at


def test_southbound_crossing(boundary: Boundary) -> None:
    rng = np.random.default_rng(6)
    incidents = build_pipeline(boundary, route=False).feed_all(
        _walk(rng, 600, start_north=300, speed=-1.0)
    )
    assert [(i.type, i.direction) for i in incidents if i.type is IncidentType.CROSSING] == [
        (IncidentType.CROSSING, Direction.SOUTHBOUND)
    ]


def test_vehicle_driving_along_the_line_within_metres_never_alarms(boundary: Boundary) -> None:
    rng = np.random.default_rng(7)
    dets = []
    for t in range(1800):
        # Border Road: back and forth over 6 km, 5-30 m north of the line, noise 10 m.
        x = 12.0 * (t % 500) if (t // 500) % 2 == 0 else 6000 - 12.0 * (t % 500)
        north = 17.5 + 12.5 * np.sin(t / 40)
        dets.append(
            detection(
                t,
                x - 3000 + rng.normal(0, 10),
                north + rng.normal(0, 10),
                sigma=10,
                kind=Kind.VEHICLE,
            )
        )
    pipeline = build_pipeline(boundary, route=False)
    assert pipeline.feed_all(dets) == []


def test_animals_crossing_do_not_alarm_but_are_counted(boundary: Boundary) -> None:
    rng = np.random.default_rng(8)
    dets = []
    for t in range(1500):
        north = 250 * np.sin(t / 200)
        label = Kind.ANIMAL if rng.random() < 0.8 else Kind.UNKNOWN
        dets.append(
            detection(t, 500 + rng.normal(0, 8), north + rng.normal(0, 8), sigma=8, kind=label)
        )
    pipeline = build_pipeline(boundary, route=False)
    assert pipeline.feed_all(dets) == []
    assert pipeline.suppressed_animal_crossings >= 2


def test_a_track_that_broke_and_restarted_makes_one_crossing(boundary: Boundary) -> None:
    rng = np.random.default_rng(9)
    before = _walk(rng, 300, start_north=-250, speed=1.0)  # crosses at t=250
    # 40 s gap (the track ends), then the same group seen again just after.
    after = [d for d in _walk(rng, 400, start_north=-250, speed=1.0) if d.epoch_s - T0 >= 340]
    incidents = build_pipeline(boundary, route=False).feed_all(before + after)
    assert len([i for i in incidents if i.type is IncidentType.CROSSING]) == 1


def test_risk_reasons_for_the_coutts_night() -> None:
    model = RiskModel(FixedConditions(Conditions(-27.0, snow_cover=True, wind_ms=3.0)))
    risk = model.assess(
        lat=49.0,
        lon=-111.9,
        time=datetime(2025, 2, 3, 13, 16, tzinfo=UTC),
        kind=Kind.PERSON,
        group_size=9,
        children=5,
    )
    codes = {r.code for r in risk.reasons}
    assert {"extreme_cold", "night", "children", "snow", "large_group"} <= codes
    assert risk.severity is Severity.EXTREME
    night = next(r.text for r in risk.reasons if r.code == "night")
    assert re.fullmatch(r"dark \(sun [0-9]+° below the horizon\)", night), night
    daytime = RiskModel().assess(
        lat=49.0,
        lon=-111.9,
        time=datetime(2025, 7, 3, 19, 0, tzinfo=UTC),
        kind=Kind.PERSON,
        group_size=1,
        children=None,
    )
    assert daytime.severity is Severity.MINOR
    assert "temperature_unknown" in {r.code for r in daytime.reasons}


def test_wind_chill_below_5_kmh_is_the_air_temperature() -> None:
    assert wind_chill_c(-27.0, 1.0) == -27.0
    assert wind_chill_c(-27.0, None) == -27.0
    assert wind_chill_c(-27.0, 10.0) < -40


def test_feeding_runs_gives_what_feeding_one_by_one_gives(boundary: Boundary) -> None:
    rng = np.random.default_rng(5)
    dets = _walk(rng, 900, start_north=-400, speed=0.8, count=9)
    one = build_pipeline(boundary, route=False)
    singly = [i.incident_id for i in one.feed_all(dets)]
    runs = build_pipeline(boundary, route=False)
    batched = []
    for start in range(0, len(dets), 37):
        batched += [i.incident_id for i in runs.feed_many(dets[start:start + 37])]
    batched += [i.incident_id for i in runs.finish()]
    assert batched == singly and len(singly) == 2
    assert runs.counts.scans == one.counts.scans


def test_a_cut_tracks_the_open_window_now_and_errors_do_not_stop_the_stream(
    boundary: Boundary,
) -> None:
    rng = np.random.default_rng(5)
    dets = _walk(rng, 20, start_north=-400, speed=0.8, count=9)
    pipeline = build_pipeline(boundary, route=False, reorder_window_s=0)
    pipeline.feed_many(dets[:10])
    assert pipeline.counts.scans == 9  # the tenth second waits for the eleventh
    pipeline.feed_many(dets[10:12], cut=True)
    assert pipeline.counts.scans == 12  # with cut, the twelfth is tracked at once
    failures: list[Exception] = []

    def fail(batch: object) -> None:
        raise RuntimeError("a listener failed")

    pipeline.track_listeners = (fail,)
    pipeline.feed_many(dets[12:15], cut=True, on_error=failures.append)
    assert len(failures) == 3 and pipeline.counts.scans == 15
    with pytest.raises(RuntimeError):
        pipeline.feed_many(dets[15:17], cut=True)


def test_a_report_the_frame_cannot_place_is_counted_and_kept_out(boundary: Boundary) -> None:
    # Found by the API fuzzer: lat -90 is at infinity in the Lambert conic frame, and an
    # infinite position stopped the tracker's spatial index for the whole window.
    rng = np.random.default_rng(5)
    dets = _walk(rng, 30, start_north=-400, speed=0.8, count=9)
    pole = dets[10]._replace(lat=-90.0, lon=0.0, sensor_id="odd")
    pipeline = build_pipeline(boundary, route=False, reorder_window_s=0)
    pipeline.feed_many([*dets[:11], pole, *dets[11:]], cut=True)
    assert pipeline.scans.dropped == 1 and pipeline.scans.unplaceable == [pole]
    assert pipeline.counts.detections == 30 and pipeline.counts.scans == 30
