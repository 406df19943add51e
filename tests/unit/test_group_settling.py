"""Field streams (issue 18): a group found again after a gap is first seen as a fragment
(the first member out of the dead ground, a rough heading), so continuity tests a young
track again while it settles; and parts of one group crossing at one place and moment
are one crossing."""

from __future__ import annotations

from tests.conftest import T0
from tests.unit.test_group_continuity import _batch, _lost_at

from borderwatch.domain import Direction, IncidentType
from borderwatch.geo import Boundary
from borderwatch.watch import CrossingRule, IncidentFactory, RiskModel, Watch
from borderwatch.watch.base import RecentIncidents
from borderwatch.watch.continuity import ContinuitySettings, GroupContinuity


def test_a_fragment_first_seen_small_and_heading_back_continues_once_it_settles() -> None:
    continuity = _lost_at(30, 0.0)  # group 1 (a pair here) followed south, lost at t = 30
    # 60 s later on its way: first seen with the velocity of two scans, pointing back.
    identity, before = continuity.observe(_batch(2, 90, 5.0, 10.0, v_north=+1.5, size=1))
    assert (int(identity[0]), int(before[0])) == (2, -1)
    # A member beside it joins the young group (its identity, for now).
    identity, _ = continuity.observe(_batch(3, 91, 8.0, 9.0, v_north=+1.0, size=1))
    assert int(identity[0]) == 2
    # Its velocity settles: it continues the lost group, and so does what joined it.
    identity, before = continuity.observe(_batch(2, 93, 5.0, 7.0, v_north=-1.0, size=2))
    assert (int(identity[0]), int(before[0])) == (1, 1)
    assert continuity.seen[3].identity == 1
    # Only while it settles: past ``settle_s`` a track keeps the identity it has.
    late = _lost_at(30, 0.0)
    late.observe(_batch(2, 90, 5.0, 10.0, v_north=+1.5, size=1))
    settle = ContinuitySettings().settle_s
    _, before = late.observe(_batch(2, 91 + settle, 5.0, 7.0, v_north=-1.0, size=2))
    assert int(before[0]) == -1


def test_a_young_track_continues_no_group_lost_after_it_began() -> None:
    continuity = GroupContinuity()
    for t in range(30):  # group 1, south at 1 m/s, updated up to t = 29
        continuity.observe(_batch(1, t, 0.0, 100.0 - t))
    # Track 2 began 50 m ahead of it while group 1 was tracked: another group, however
    # near group 1's way it later is.
    identity, _ = continuity.observe(_batch(2, 28, 0.0, 20.0, size=1))
    assert int(identity[0]) == 2
    _, before = continuity.observe(_batch(2, 37, 0.0, 15.0, size=1))
    assert int(before[0]) == -1


def test_a_group_lost_north_and_found_south_as_a_fragment_raises_its_crossing(
    boundary: Boundary,
) -> None:
    # A group of 9 walks south, is lost 70 m north of the line; 60 s later its first
    # member is tracked 10 m south of it with a velocity pointing north and a count of 1,
    # which no lost group of 9 matches. Two seconds later the track counts 9 and walks
    # south: it is the group, and the crossing it made in the gap is raised then, once.
    watch = Watch(boundary, [CrossingRule(boundary, IncidentFactory(boundary, RiskModel()))])
    e0, n0 = boundary.frame.point_to_local(49.0, -111.9)
    for t in range(30):
        assert watch.observe(_batch(1, t, e0, n0 + 100.0 - t, size=9)) == []
    assert watch.observe(_batch(2, 90, e0, n0 - 10.0, v_north=+1.5, size=1)) == []
    incidents = watch.observe(_batch(2, 92, e0, n0 - 12.0, v_north=-1.0, size=9))
    assert [(i.type, i.direction) for i in incidents] == [
        (IncidentType.CROSSING, Direction.SOUTHBOUND)
    ]
    assert incidents[0].track_id == "trk-000001"  # the group's identity
    assert 29 < incidents[0].time.timestamp() - T0 < 92  # in the gap, not at detection
    assert watch.observe(_batch(2, 93, e0, n0 - 13.0, size=9)) == []


def test_parts_of_a_group_crossing_at_one_place_and_moment_are_one_crossing() -> None:
    recent = RecentIncidents(300.0, 180.0)
    recent.add(0.0, 0.0, 1000.0, -1, serial=7, now=1005.0, here=(0.0, -10.0, 0.0, -1.0))
    recent.observe(_batch(7, 1010 - T0, 0.0, -15.0))  # the first part is still tracked
    # 12 s later, 15 m along the line, by a part 45 m from the first now (a group in file,
    # split in two by the group layer): the same crossing.
    assert recent.is_repeat(
        15.0, 0.0, 1012.0, -1, now=1012.0, here=(60.0, -10.0, 0.0, -1.0), born_s=900.0
    )
    # 150 m along the line (another group beside it) is not.
    assert not recent.is_repeat(
        150.0, 0.0, 1012.0, -1, now=1012.0, here=(150.0, -10.0, 0.0, -1.0), born_s=900.0
    )


def test_a_part_lost_while_its_group_goes_on_elsewhere_is_not_a_lost_group() -> None:
    # Track 2 walks beside group 1 (its identity), then is lost at t = 30 while track 1
    # goes on 40 m east. A new track 60 s later on track 2's way is not track 2's group
    # found again: that group is followed now, elsewhere.
    continuity = GroupContinuity()
    for t in range(30):
        continuity.observe(_batch(1, t, 40.0, 100.0 - t))
        identity, _ = continuity.observe(_batch(2, t, 20.0, 100.0 - t))
        assert int(identity[0]) == 1
    for t in range(30, 90):
        continuity.observe(_batch(1, t, 40.0 + 1.0 * (t - 30), 100.0 - t))
    _, before = continuity.observe(_batch(3, 90, 20.0, 12.0))
    assert int(before[0]) == -1


def test_a_group_followed_through_a_gap_is_not_taken_for_a_restart_of_another(
    boundary: Boundary,
) -> None:
    # Group A crosses north at t = 40 and its track goes quiet at t = 55. Group B, 150 m
    # east, tracked since t = 0, is lost at t = 30 south of the line and found again at
    # t = 100 on a new track (continuity links it): its crossing a minute after A's is
    # its own, not A's track restarted (which the last guard would merge).
    watch = Watch(boundary, [CrossingRule(boundary, IncidentFactory(boundary, RiskModel()))])
    e0, n0 = boundary.frame.point_to_local(49.0, -111.9)
    raised = []
    for t in range(56):
        raised += watch.observe(_batch(1, t, e0, n0 - 40.0 + t, v_north=1.0))
        if t < 30:
            raised += watch.observe(_batch(2, t, e0 + 150.0, n0 - 100.0 + t, v_north=1.0))
    for t in range(100, 140):
        raised += watch.observe(_batch(3, t, e0 + 150.0, n0 - 120.0 + t, v_north=1.0))
    assert [(i.track_id, i.direction) for i in raised] == [
        ("trk-000001", Direction.NORTHBOUND),
        ("trk-000002", Direction.NORTHBOUND),
    ]


def test_a_young_track_that_raised_its_own_crossing_keeps_it_when_it_settles(
    boundary: Boundary,
) -> None:
    # Group 1 is lost 70 m north of the line. A new track crosses south on its own (its
    # first velocity points back, so it is not linked at first) and raises the crossing;
    # when it settles it is found to be group 1, whose crossing that was: not raised again.
    rule = CrossingRule(boundary, IncidentFactory(boundary, RiskModel()))
    watch = Watch(boundary, [rule])
    e0, n0 = boundary.frame.point_to_local(49.0, -111.9)
    for t in range(30):
        assert watch.observe(_batch(1, t, e0, n0 + 100.0 - t)) == []
    raised = watch.observe(_batch(2, 90, e0, n0 + 8.0, v_north=+1.5))
    raised += watch.observe(_batch(2, 91, e0, n0 - 8.0, v_north=+1.5))
    assert [i.track_id for i in raised] == ["trk-000002"]
    assert watch.observe(_batch(2, 93, e0, n0 - 10.0, v_north=-1.0)) == []
    assert watch.continuity.seen[2].identity == 1  # it did settle into group 1
    assert rule.raised[1][2] == raised[0].incident_id  # the group's crossing is that one
    assert watch.observe(_batch(2, 94, e0, n0 - 11.0, v_north=-1.0)) == []


def test_a_young_group_settles_on_the_member_that_counts_it() -> None:
    # Group 1, nine people, followed south and lost at t = 30. Its first member out of
    # the dead ground is tracked alone (a count of 1, a heading back north) and stays one;
    # the member track beside it that counts the nine is the one that matches the lost
    # group, and it takes the whole young group into group 1's chain.
    continuity = GroupContinuity()
    for t in range(30):
        continuity.observe(_batch(1, t, 0.0, 100.0 - t, size=9))
    identity, _ = continuity.observe(_batch(2, 90, 5.0, 10.0, v_north=+1.5, size=1))
    assert int(identity[0]) == 2
    identity, before = continuity.observe(_batch(3, 91, 8.0, 9.0, v_north=-1.0, size=9))
    assert (int(identity[0]), int(before[0])) == (2, -1)  # beside track 2: joined it
    identity, before = continuity.observe(_batch(3, 92, 8.0, 8.0, v_north=-1.0, size=9))
    assert (int(identity[0]), int(before[0])) == (1, 1)
    assert continuity.seen[2].identity == 1
