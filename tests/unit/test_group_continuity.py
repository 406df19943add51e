"""One group, one incident (issue 18): a group lost and found again is the same group, its
crossing is raised once, its approach warned of once; two groups are still two. And the
crossing is declared by the probabilistic side-of-line test as soon as it is met."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import T0, detection

from borderwatch.domain import Detection, Direction, IncidentType
from borderwatch.geo import Boundary
from borderwatch.pipeline import build_pipeline
from borderwatch.tracking import TrackBatch
from borderwatch.watch import (
    CrossingRule,
    CrossingSettings,
    IncidentFactory,
    RiskModel,
    Watch,
)
from borderwatch.watch.continuity import GroupContinuity


def _path(
    rng: np.random.Generator,
    norths: dict[int, float],
    *,
    east: float = 0.0,
    hidden: tuple[int, int] = (0, 0),
    count: int = 2,
    noise: float = 6.0,
) -> list[Detection]:
    """A group at ``norths[t]`` (metres from the line, t in s), reported once a second
    except while ``hidden`` (start, end)."""
    return [
        detection(
            t, east + rng.normal(0, noise), n + rng.normal(0, noise), sigma=noise, count=count
        )
        for t, n in norths.items()
        if not hidden[0] <= t < hidden[1]
    ]


def _elsewhere(rng: np.random.Generator, seconds: int) -> list[Detection]:
    """Someone 3 km away, 2 km south of the line, all along: the sensors keep reporting,
    so a track that gets no report ends after its coasting time, as on a real night
    (with no report at all the tracker has no scan to end it in)."""
    return _path(rng, {t: -2000.0 for t in range(seconds)}, east=3000.0, count=1)


def _run(boundary: Boundary, *streams: list[Detection]) -> list:  # type: ignore[type-arg]
    dets = sorted((d for s in streams for d in s), key=lambda d: d.epoch_s)
    return build_pipeline(boundary, route=False).feed_all(dets)


def _walk(start: float, speed: float, seconds: range) -> dict[int, float]:
    return {t: start + speed * t for t in seconds}


def _types(incidents: list) -> list[tuple[IncidentType, Direction | None]]:  # type: ignore[type-arg]
    return [(i.type, i.direction) for i in incidents]


def test_a_pair_hidden_while_it_crosses_raises_its_crossing_once(boundary: Boundary) -> None:
    # South at 1 m/s from 300 m north: at the line at t = 300, hidden from 40 m before
    # it to 40 m after (80 s: its track coasts 30 s and ends), then seen to 300 m south.
    rng = np.random.default_rng(21)
    dets = _path(rng, _walk(300.0, -1.0, range(600)), hidden=(260, 340))
    incidents = _run(boundary, dets, _elsewhere(rng, 600))
    crossings = [i for i in incidents if i.type is IncidentType.CROSSING]
    assert [c.direction for c in crossings] == [Direction.SOUTHBOUND]
    crossing = crossings[0]
    assert abs(crossing.time.timestamp() - (T0 + 300)) < 30
    assert crossing.extra["current_track_id"] != crossing.track_id  # found on a new track
    assert crossing.extra["side_probability"] >= CrossingSettings().probability
    # Crossed unseen: the gap (last seen ~t 260, found ~t 340) is in the time's error.
    assert 60 <= float(crossing.extra["unseen_s"]) <= 100
    assert float(crossing.extra["time_sigma_s"]) >= float(crossing.extra["unseen_s"]) / 3.5
    assert len([i for i in incidents if i.type is IncidentType.APPROACH]) == 1


def test_a_pair_found_back_north_after_crossing_raises_one_crossing_one_approach(
    boundary: Boundary,
) -> None:
    # The Saskatchewan stream: the pair crosses south at t = 300, is lost 40 m south of
    # the line, is found again 30 m north of it (it went back, or its first crossing was
    # early), waits there, and crosses south for good four minutes after the first time.
    # One group, one crossing: the second is the first seen again, and the approach
    # warning is not repeated for the track that found it again.
    rng = np.random.default_rng(22)
    norths = _walk(300.0, -1.0, range(340))
    norths |= {t: 30.0 for t in range(420, 510)}
    norths |= {t: 30.0 - 1.0 * (t - 510) for t in range(510, 800)}
    dets = _path(rng, norths, hidden=(340, 420))
    incidents = _run(boundary, dets, _elsewhere(rng, 800))
    assert _types(incidents) == [
        (IncidentType.APPROACH, Direction.SOUTHBOUND),
        (IncidentType.CROSSING, Direction.SOUTHBOUND),
    ]


def test_two_groups_crossing_close_together_are_two_incidents(boundary: Boundary) -> None:
    # Two pairs cross southward 150 m and 30 s apart, the first lost right after the
    # line: the second is another group (it was tracked all along), not the first found.
    rng = np.random.default_rng(23)
    first = _path(rng, _walk(300.0, -1.0, range(600)), hidden=(320, 600))
    second = _path(rng, _walk(330.0, -1.0, range(650)), east=150.0)
    incidents = _run(boundary, first, second, _elsewhere(rng, 650))
    crossings = [i for i in incidents if i.type is IncidentType.CROSSING]
    assert [c.direction for c in crossings] == [Direction.SOUTHBOUND] * 2
    assert crossings[0].track_id != crossings[1].track_id


def _batch(serial: int, t: float, east: float, north: float, *, v_north: float = -1.0,
           sigma: float = 3.0, size: int = 2) -> TrackBatch:
    one_i, one_f = np.ones(1, np.intp), np.ones(1)
    return TrackBatch(
        slot=np.array([serial % 7], np.intp),
        serial=np.array([serial], np.intp),
        epoch_s=np.array([T0 + t]),
        east_m=np.array([east]),
        north_m=np.array([north]),
        velocity_east_ms=np.zeros(1),
        velocity_north_ms=np.array([v_north]),
        position_sigma_m=np.array([sigma]),
        group_size=np.array([size], np.intp),
        group_size_sigma=np.zeros(1),
        children=-one_i,
        kind_code=0 * one_i,
        kind_probability=0.5 * one_f,
        confirmed=one_i,
        hits=10 * one_i,
        simulated=one_i,
    )


def _lost_at(t_lost: int, east: float) -> GroupContinuity:
    """Continuity that followed group 1 south for 30 s, up to ``t_lost``."""
    continuity = GroupContinuity()
    for t in range(t_lost - 30, t_lost):
        continuity.observe(_batch(1, t, east, 100.0 - (t - t_lost + 30)))
    return continuity


def test_a_lost_group_is_continued_by_a_new_track_on_its_way_and_only_once() -> None:
    continuity = _lost_at(30, 0.0)
    # 60 s later, 60 m further on its way: the same group.
    identity, before = continuity.observe(_batch(2, 90, 5.0, 10.0))
    assert (int(identity[0]), int(before[0])) == (1, 1)
    # A second new track beside it is part of that group now (its identity) and
    # continues nothing: a lost group is continued once.
    identity, before = continuity.observe(_batch(3, 91, 8.0, 9.0))
    assert (int(identity[0]), int(before[0])) == (1, -1)


@pytest.mark.parametrize(
    ("east", "north", "v_north", "continued"),
    [(5.0, 10.0, -1.0, True), (400.0, 10.0, -1.0, False), (5.0, 10.0, +1.2, False)],
)
def test_a_new_track_far_off_or_walking_back_continues_nothing(
    east: float, north: float, v_north: float, continued: bool
) -> None:
    continuity = _lost_at(30, 0.0)
    _, before = continuity.observe(_batch(2, 90, east, north, v_north=v_north))
    assert (int(before[0]) == 1) is continued


@pytest.mark.parametrize(("north", "raised"), [(-8.0, False), (-10.0, True)])
def test_the_crossing_is_declared_on_the_first_update_past_the_probability(
    boundary: Boundary, north: float, raised: bool
) -> None:
    # sigma 3 m: Phi(8/3) = 0.9962 is short of 0.999, Phi(10/3) = 0.99957 is past it, on
    # the first update (the old rule waited for 3 sigma, 10 m and a second update).
    factory = IncidentFactory(boundary, RiskModel())
    settings = CrossingSettings(probability=0.999, margin_m=5.0, persistence=1)
    rule = CrossingRule(boundary, factory, settings)
    watch = Watch(boundary, [rule])
    e0, n0 = boundary.frame.point_to_local(49.0, -111.9)
    for t in range(40):
        assert watch.observe(_batch(1, t, e0, n0 + 40.0 - t)) == []
    incidents = watch.observe(_batch(1, 40 + abs(north), e0, n0 + north))
    assert bool(incidents) is raised
    if raised:
        assert incidents[0].extra["side_probability"] == pytest.approx(0.99957, abs=1e-5)
        assert incidents[0].extra["position_sigma_m"] == 3.0
        # 11 s without an update (t 39 to 50) around the line: the moment could be
        # anywhere in them, 11 / sqrt(12) = 3.2 s, more than sigma / speed = 3 s.
        assert incidents[0].extra["unseen_s"] == pytest.approx(11.0)
        assert incidents[0].extra["time_sigma_s"] == pytest.approx(3.2)
