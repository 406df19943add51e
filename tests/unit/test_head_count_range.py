"""Head counts that hold on streams the project did not tune on (issue 18): a range beside
the count, one count per sensor (a radar's people and a camera's group count are the same
people), and a group's count carried through a gap in coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.test_group_continuity import _batch, _lost_at

from borderwatch.domain import InputError
from borderwatch.tracking.groups import sensor_head_count
from borderwatch.tracking.head_count import head_count_range, recent_quantile
from borderwatch.watch import Watch, incident_from_wire
from borderwatch.watch.continuity import GroupContinuity

NAN = np.nan


def _range(counts: list[float], estimate: int) -> tuple[int, int]:
    low, high = head_count_range(np.array([counts], float), np.array([estimate]))
    return int(low[0]), int(high[0])


def test_counts_that_agree_give_no_width_and_counts_that_differ_leave_room_above() -> None:
    assert _range([5, 5, 5, NAN], 5) == (5, 5)
    # Median 8, largest 9, and one more: a group whose count varies is partly hidden.
    assert _range([9, 8, 7, 9, 8, NAN], 9) == (8, 10)
    assert _range([NAN, NAN, NAN], 3) == (3, 3)  # nothing seen yet: the estimate alone


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(1, 30).map(float), st.just(NAN)), min_size=1,
                max_size=20))
def test_the_range_always_holds_the_estimate(counts: list[float]) -> None:
    window = np.array([counts])
    estimate = np.rint(recent_quantile(window, 0.8)[0]).astype(np.intp)
    low, high = head_count_range(window, estimate)
    assert 1 <= low[0] <= max(1, estimate[0]) <= high[0]


def test_a_radar_and_a_camera_on_one_pair_count_two_not_three() -> None:
    # Two member tracks. Column 0: a radar that reports each person (1 each, same scan);
    # column 1: a camera that reports the pair as one detection with a count of 2,
    # associated with the first member. Summing the members' counts would say 3.
    label = np.array([0, 0])
    count = np.array([[1.0, 2.0], [1.0, 0.0]])
    when = np.array([[100.0, 100.0], [100.0, -np.inf]])
    fallback = np.array([3.0])
    assert sensor_head_count(label, 1, count, when, now=100.0, fresh_s=5.0,
                             fallback=fallback).tolist() == [2.0]


def test_a_group_count_moving_between_members_counts_once() -> None:
    # The camera's count of 3 went to member 0 at t=98 and to member 1 at t=100: only its
    # latest report counts, not both.
    label = np.array([0, 0])
    count = np.array([[3.0], [3.0]])
    when = np.array([[98.0], [100.0]])
    assert sensor_head_count(label, 1, count, when, now=100.0, fresh_s=5.0,
                             fallback=np.array([6.0])).tolist() == [3.0]


def test_a_group_no_sensor_reported_lately_keeps_its_members_counts() -> None:
    label = np.array([0])
    assert sensor_head_count(label, 1, np.array([[4.0]]), np.array([[80.0]]), now=100.0,
                             fresh_s=5.0, fallback=np.array([4.0])).tolist() == [4.0]


def test_a_new_track_continuing_a_lost_group_carries_its_count() -> None:
    continuity = _lost_at(30, 0.0)  # a group followed for 30 s, then lost
    continuity.seen[1].size, continuity.seen[1].size_range = 4, (3, 5)
    continuity.observe(_batch(2, 90, 5.0, 10.0, size=1))  # found again: one member so far
    assert continuity.seen[2].head_count() == (4, 3, 5)
    # Its own count grows past what it carries: its own wins.
    continuity.observe(_batch(2, 91, 5.0, 9.0, size=9))
    assert continuity.seen[2].head_count()[0] == 9


def test_the_picture_and_the_incident_say_the_same_carried_count() -> None:
    from borderwatch.geo import Boundary

    watch = Watch(Boundary.bundled(), [], GroupContinuity())
    for t in range(0, 30):
        watch.prepare(_batch(1, t, 0.0, 100.0 - t, size=4))
    prepared = watch.prepare(_batch(2, 90, 5.0, 10.0, size=1))
    assert int(prepared.batch.group_size[0]) == 4
    assert prepared.batch.size_range(0) == (4, 4)


@pytest.mark.parametrize("value", [[3], [0, 2], [2, 1], ["2", 3], [4, 6]])
def test_a_wire_range_that_is_not_a_range_around_the_count_is_refused(value: object) -> None:
    wire = {"incident_id": "INC-1", "type": "crossing", "time": "2025-02-03T11:00:00Z",
            "detected_at": "2025-02-03T11:00:10Z", "lat": 49.0, "lon": -111.96,
            "group_size": 3, "group_size_range": value}
    with pytest.raises(InputError, match="group_size_range"):
        incident_from_wire(wire)


def test_a_wire_range_round_trips() -> None:
    wire = {"incident_id": "INC-1", "type": "crossing", "time": "2025-02-03T11:00:00Z",
            "detected_at": "2025-02-03T11:00:10Z", "lat": 49.0, "lon": -111.96,
            "group_size": 9, "group_size_range": [8, 10]}
    assert incident_from_wire(wire).group_size_range == (8, 10)
    wire.pop("group_size_range")
    assert incident_from_wire(wire).group_size_range is None


def test_a_range_upside_down_is_refused_even_without_a_count() -> None:
    wire = {"incident_id": "INC-1", "type": "crossing", "time": "2025-02-03T11:00:00Z",
            "detected_at": "2025-02-03T11:00:10Z", "lat": 49.0, "lon": -111.96,
            "group_size": None, "group_size_range": [3, 2]}
    with pytest.raises(InputError, match="low <= high"):
        incident_from_wire(wire)
