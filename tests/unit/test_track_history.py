"""The tracks' history behind the dashboard's timeline (app/runtime/history.py)."""

from __future__ import annotations

import doctest

from borderwatch.app.runtime import history
from borderwatch.app.runtime.history import SAMPLE_S, TRAIL_S, TrackHistory


def state(track_id: str, epoch: float, lat: float) -> dict[str, object]:
    return {"track_id": track_id, "time": f"t{epoch}", "lat": lat, "lon": -111.9}


def test_the_doctests_hold() -> None:
    assert doctest.testmod(history).failed == 0


def test_a_past_moment_shows_each_track_where_it_was_with_the_trail_before() -> None:
    h = TrackHistory()
    for second in range(0, 601):
        h.record(state("T1", float(second), 49.0 + second * 1e-5), float(second))
        if second >= 300:
            h.record(state("T2", float(second), 48.0), float(second))
    assert h.span() == (0.0, 600.0)
    at = {t["track_id"]: t for t in h.at(250.0)}
    assert set(at) == {"T1"}  # T2 was not there yet
    assert at["T1"]["lat"] <= 49.0 + 250 * 1e-5  # the latest kept state, not a later one
    assert at["T1"]["lat"] >= 49.0 + (250 - SAMPLE_S) * 1e-5
    trail = at["T1"]["trail"]
    assert trail[-1] == [-111.9, at["T1"]["lat"]]
    assert all(lat >= 49.0 + (250 - TRAIL_S - SAMPLE_S) * 1e-5 for _, lat in trail)
    assert {t["track_id"] for t in h.at(600.0)} == {"T1", "T2"}
    assert h.at(600.0)[0]["lat"] == 49.0 + 600 * 1e-5  # the newest state is always kept
    assert h.samples <= 601 / SAMPLE_S + 301 / SAMPLE_S + 4


def test_an_ended_track_leaves_the_picture_after_its_last_state() -> None:
    h = TrackHistory()
    for second in range(10):
        h.record(state("T1", float(second), 49.0), float(second))
    h.end("T1")
    assert h.at(9.0) and not h.at(9.5)
    h.record(state("T1", 3.0, 49.0), 3.0)  # late: the past is not rewritten
    assert h.tracks["T1"].epochs[-1] == 9.0


def test_past_the_limit_the_tracks_that_ended_first_are_forgotten() -> None:
    h = TrackHistory(max_samples=10)
    for n, track_id in enumerate(("A", "B", "C")):
        for k in range(4):
            h.record(state(track_id, n * 100 + k * SAMPLE_S, 49.0), n * 100 + k * SAMPLE_S)
        h.end(track_id)
    assert set(h.tracks) == {"B", "C"}
    assert h.samples == 8
    assert h.span() == (100.0, 215.0)
