"""An incident revised when its head count firms up (watch/revision.py, issue 18)."""

from __future__ import annotations

import numpy as np
from tests.conftest import T0

from borderwatch.domain import Incident, IncidentType
from borderwatch.geo import Boundary
from borderwatch.tracking import TrackBatch
from borderwatch.watch import CrossingRule, IncidentFactory, RiskModel, Watch
from borderwatch.watch.incident_wire import incident_from_wire, incident_to_wire
from borderwatch.watch.revision import CountRevisions


def _batch(t: float, north: float, size: int, size_range: tuple[int, int],
           children: int = -1) -> TrackBatch:
    one_i, one_f = np.ones(1, np.intp), np.ones(1)
    return TrackBatch(
        slot=np.array([3], np.intp),
        serial=np.array([41], np.intp),
        epoch_s=np.array([T0 + t]),
        east_m=np.array([0.0]),
        north_m=np.array([north]),
        velocity_east_ms=np.zeros(1),
        velocity_north_ms=np.array([1.0]),
        position_sigma_m=np.array([2.0]),
        group_size=np.array([size], np.intp),
        group_size_sigma=np.zeros(1),
        children=children * one_i,
        kind_code=0 * one_i,
        kind_probability=0.5 * one_f,
        confirmed=one_i,
        hits=10 * one_i,
        simulated=one_i,
        group_size_low=np.array([size_range[0]], np.intp),
        group_size_high=np.array([size_range[1]], np.intp),
    )


def _run(boundary: Boundary,
         after: list[tuple[int, tuple[int, int]]]) -> tuple[list[Incident], list[Incident]]:
    """A group counted 2 walks north across the line (one update a second), then its
    counts after the crossing are ``after``: the raised incidents and the revisions."""
    factory = IncidentFactory(boundary, RiskModel())
    watch = Watch(boundary, [CrossingRule(boundary, factory)],
                  revisions=CountRevisions(factory.risk))
    raised: list[Incident] = []
    revised: list[Incident] = []
    steps = [(2, (2, 2))] * 40 + after
    for t, (size, size_range) in enumerate(steps):
        incidents, revisions = watch.judge_revised(
            watch.prepare(_batch(float(t), -20.0 + t, size, size_range)))
        raised += incidents
        revised += revisions
    return raised, revised


def test_a_count_that_firms_up_from_2_to_5_revises_the_incident_once(
    boundary: Boundary,
) -> None:
    raised, revised = _run(boundary, [(5, (4, 6))] * 30)
    assert [i.type for i in raised] == [IncidentType.CROSSING]
    first = raised[0]
    assert (first.group_size, first.group_size_range, first.revision) == (2, (2, 2), 0)
    assert len(revised) == 1
    revision = revised[0]
    assert revision.incident_id == first.incident_id
    assert revision.revision == 1
    assert (revision.group_size, revision.group_size_range) == (5, (4, 6))
    assert (revision.time, revision.lat, revision.lon, revision.direction) == (
        first.time, first.lat, first.lon, first.direction)
    # detected_at stays the raise's (the latency is the crossing's); revised_at is when.
    assert revision.detected_at == first.detected_at
    assert revision.revised_at is not None and revision.revised_at > first.detected_at
    assert incident_to_wire(revision)["revised_at"] > incident_to_wire(first)["detected_at"]
    assert "revised_at" not in incident_to_wire(first)
    # The risk is assessed again with the new count (a group of 5 is large, of 2 not).
    assert "large_group" not in {r.code for r in first.risk.reasons}
    assert "large_group" in {r.code for r in revision.risk.reasons}
    # Held for HOLD (3) updates after the crossing was raised with 2, not at once.
    assert revision.revised_at.timestamp() - T0 >= 42


def test_a_one_update_flicker_revises_nothing(boundary: Boundary) -> None:
    raised, revised = _run(boundary, [(2, (2, 2))] * 3 + [(5, (4, 6))] + [(2, (2, 2))] * 20)
    assert len(raised) == 1
    assert revised == []


def test_a_range_narrowing_inside_the_one_told_is_not_sent(boundary: Boundary) -> None:
    _, revised = _run(boundary, [(5, (4, 7))] * 5 + [(5, (5, 6))] * 10)
    assert [(r.revision, r.group_size_range) for r in revised] == [(1, (4, 7))]


def test_children_and_risk_are_revised_with_the_count(boundary: Boundary) -> None:
    factory = IncidentFactory(boundary, RiskModel())
    revisions = CountRevisions(factory.risk)
    watch = Watch(boundary, [CrossingRule(boundary, factory)], revisions=revisions)
    out: list[Incident] = []
    for t in range(60):
        size, children = (2, -1) if t < 40 else (12, 3)
        out += watch.judge_revised(watch.prepare(
            _batch(float(t), -20.0 + t, size, (size, size), children)))[1]
    assert [(r.group_size, r.children) for r in out] == [(12, 3)]
    assert {"children", "large_group"} <= {r.code for r in out[0].risk.reasons}


def _children_revisions(boundary: Boundary, children: list[int]) -> list[int | None]:
    """A group of 9 raised with the first of ``children`` (one per second), then the
    rest: the children each revision tells."""
    factory = IncidentFactory(boundary, RiskModel())
    watch = Watch(boundary, [CrossingRule(boundary, factory)],
                  revisions=CountRevisions(factory.risk))
    out: list[Incident] = []
    steps = [children[0]] * 40 + children[1:]
    for t, kids in enumerate(steps):
        out += watch.judge_revised(watch.prepare(
            _batch(float(t), -20.0 + t, 9, (9, 9), kids)))[1]
    return [r.children for r in out]


def test_children_flickering_by_one_are_not_sent_again_and_again(boundary: Boundary) -> None:
    # The Coutts night's nine: 4 and 5 children in turns of a few updates each (a
    # change-of-one rule sent its crossing to every agency 13 times).
    assert _children_revisions(boundary, ([5] * 4 + [4] * 4) * 10) == []


def test_children_first_seen_or_ruled_out_or_two_more_are_sent(boundary: Boundary) -> None:
    assert _children_revisions(boundary, [-1] + [4] * 5) == [4]
    assert _children_revisions(boundary, [0] + [1] * 5) == [1]
    assert _children_revisions(boundary, [2] + [0] * 5) == [0]
    assert _children_revisions(boundary, [2] + [4] * 5) == [4]


def test_nothing_is_revised_after_the_window(boundary: Boundary) -> None:
    factory = IncidentFactory(boundary, RiskModel())
    watch = Watch(boundary, [CrossingRule(boundary, factory)],
                  revisions=CountRevisions(factory.risk, window_s=5.0))
    out: list[Incident] = []
    for t in range(60):
        size = 2 if t < 40 else 5
        batch = _batch(float(t), -20.0 + t, size, (size, size))
        out += watch.judge_revised(watch.prepare(batch))[1]
    assert out == []


def test_the_wire_carries_the_revision_and_absent_means_0(boundary: Boundary) -> None:
    raised, revised = _run(boundary, [(5, (4, 6))] * 10)
    as_raised = incident_to_wire(raised[0])
    assert "revision" not in as_raised  # the raised incident's wire is as before
    assert incident_from_wire(as_raised).revision == 0
    wire = incident_to_wire(revised[0])
    assert wire["revision"] == 1 and wire["group_size_range"] == [4, 6]
    assert incident_from_wire(wire).revision == 1


def test_scoring_takes_the_count_as_revised_within_60_s_and_never_a_new_crossing(
    boundary: Boundary,
) -> None:
    from dataclasses import dataclass, replace
    from datetime import timedelta

    from borderwatch.sim.crossing_suite import score
    from borderwatch.sim.evaluation.crossings import TruthCrossing

    raised, revised = _run(boundary, [(5, (4, 6))] * 10)
    crossing = raised[0]
    assert crossing.direction is not None

    @dataclass
    class Stream:
        crossings: tuple[TruthCrossing, ...]
        group_paths: dict[str, tuple[float, float]]

    truth = TruthCrossing("g1", "person", crossing.direction.value, crossing.time,
                          crossing.lat, crossing.lon, 5)
    stream = Stream((truth,), {"g1": (T0, T0 + 100)})
    late = replace(revised[0], group_size=9, group_size_range=(8, 10), revision=2,
                   revised_at=crossing.detected_at + timedelta(seconds=61))
    scored = score(stream, [crossing], [revised[0], late])
    assert (scored.found, scored.duplicates, scored.false_crossings) == (1, 0, 0)
    assert scored.head_counts == ((5, 2, 2, 2),)
    assert scored.head_counts_revised == ((5, 5, 4, 6),)  # the one after 60 s is left out
    assert score(stream, [crossing]).head_counts_revised == ((5, 2, 2, 2),)


def test_a_count_one_off_the_one_told_is_not_sent(boundary: Boundary) -> None:
    # Quoted within one, and a large group's count swings by one (field streams).
    _, revised = _run(boundary, [(3, (2, 3))] * 20)
    assert revised == []
    _, revised = _run(boundary, [(3, (2, 3))] * 5 + [(4, (3, 5))] * 5)
    assert [(r.group_size, r.group_size_range) for r in revised] == [(4, (3, 5))]
