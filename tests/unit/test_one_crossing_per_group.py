"""One incident per group (issue 18, the field streams' diagnostic seeds): a group the
group layer follows as two chains, one seen across and one found across after a gap, is
one crossing; and a group's estimate wandering back over the line just after its crossing
is not a crossing back."""

from __future__ import annotations

from tests.conftest import T0
from tests.unit.test_group_continuity import _batch

from borderwatch.domain import Direction, IncidentType
from borderwatch.geo import Boundary
from borderwatch.watch import CrossingRule, IncidentFactory, RiskModel, Watch
from borderwatch.watch.base import RecentIncidents


def _seen_across_at_1000() -> RecentIncidents:
    """A crossing south seen at t = 1000 by track 7, still tracked 200 m on."""
    recent = RecentIncidents(300.0, 180.0)
    recent.add(0.0, 0.0, 1000.0, -1, serial=7, now=1002.0, here=(0.0, -2.0, 0.0, -1.0))
    recent.observe(_batch(7, 1100 - T0, 0.0, -100.0))
    return recent


def test_a_crossing_found_across_a_gap_holding_another_seen_there_is_that_crossing() -> None:
    # Another chain, lost 40 m north at t = 950 and found 60 m south at t = 1100, 150 m
    # along the line: it could have crossed at any moment of its gap, 1000 included.
    assert _seen_across_at_1000().is_repeat(
        150.0,
        0.0,
        1020.0,
        -1,
        now=1100.0,
        here=(150.0, -60.0, 0.0, -1.0),
        born_s=800.0,
        gap=(950.0, 1100.0),
    )
    # Lost 10 s after the other crossed (the rear of a group in file): the same.
    assert _seen_across_at_1000().is_repeat(
        150.0,
        0.0,
        1050.0,
        -1,
        now=1100.0,
        here=(150.0, -60.0, 0.0, -1.0),
        born_s=800.0,
        gap=(1010.0, 1100.0),
    )


def test_a_crossing_seen_across_150_m_away_is_another_group() -> None:
    # The same place and moment, seen across (no gap): two groups, as before.
    assert not _seen_across_at_1000().is_repeat(
        150.0,
        0.0,
        1020.0,
        -1,
        now=1021.0,
        here=(150.0, -2.0, 0.0, -1.0),
        born_s=800.0,
    )
    # A gap that ended well before the other crossing: another group too.
    assert not _seen_across_at_1000().is_repeat(
        150.0,
        0.0,
        900.0,
        -1,
        now=1100.0,
        here=(150.0, -60.0, 0.0, -1.0),
        born_s=800.0,
        gap=(850.0, 960.0),
    )


def test_a_crossing_seen_in_the_gap_of_one_raised_before_is_that_crossing() -> None:
    recent = RecentIncidents(300.0, 180.0)
    # Raised first: found across at t = 1100 after a gap from t = 950.
    recent.add(
        0.0,
        0.0,
        1020.0,
        -1,
        serial=7,
        now=1100.0,
        here=(0.0, -60.0, 0.0, -1.0),
        gap=(950.0, 1100.0),
    )
    recent.observe(_batch(7, 1110 - T0, 0.0, -70.0))
    # Another chain seen across at t = 1090, 150 m along: the same group.
    assert recent.is_repeat(
        150.0, 0.0, 1090.0, -1, now=1091.0, here=(150.0, -2.0, 0.0, -1.0), born_s=800.0
    )


def _cross_south_then_back(boundary: Boundary, back_after_s: int) -> list[IncidentType]:
    watch = Watch(boundary, [CrossingRule(boundary, IncidentFactory(boundary, RiskModel()))])
    e0, n0 = boundary.frame.point_to_local(49.0, -111.9)
    raised = []
    for t in range(41):  # 30 m north to 10 m south at 1 m/s: firmly south at t = 35
        raised += watch.observe(_batch(1, t, e0, n0 + 30.0 - t))
    for t in range(41, 41 + back_after_s):  # stays 10 m south
        raised += watch.observe(_batch(1, t, e0, n0 - 10.0))
    for k, t in enumerate(range(41 + back_after_s, 61 + back_after_s)):  # then 20 m north
        raised += watch.observe(_batch(1, t, e0, n0 - 10.0 + min(30.0, 2.0 * k), v_north=2.0))
    return [i.direction for i in raised if i.type == IncidentType.CROSSING]


def test_a_group_back_over_the_line_just_after_its_crossing_is_not_crossing_back(
    boundary: Boundary,
) -> None:
    # Raised south at t = 35; its estimate is firmly north again 13 s later.
    assert _cross_south_then_back(boundary, 0) == [Direction.SOUTHBOUND]


def test_a_group_crossing_back_later_is_raised(boundary: Boundary) -> None:
    assert _cross_south_then_back(boundary, 120) == [Direction.SOUTHBOUND, Direction.NORTHBOUND]


def test_a_crossing_found_long_after_its_moment_still_meets_the_one_seen_then() -> None:
    # A pair crossing north is seen across at t = 1000 (track 7). Meanwhile, 4 km away,
    # another crossing is raised with its moment at t = 1230. At t = 1240 a track found
    # 230 s after a pair was lost there continues it: its crossing's moment, interpolated
    # over the gap, is t = 1003 at the same place. It is the crossing seen at t = 1000,
    # however late it is raised: the later query must not have forgotten that one.
    recent = RecentIncidents(300.0, 180.0)
    recent.add(0.0, 0.0, 1000.0, +1, serial=7, now=1001.0, here=(0.0, 2.0, 0.0, 1.0))
    assert not recent.is_repeat(4000.0, 0.0, 1230.0, -1, now=1232.0, born_s=1100.0)
    recent.add(4000.0, 0.0, 1230.0, -1, serial=9, now=1232.0, here=(4000.0, -2.0, 0.0, -1.0))
    assert recent.is_repeat(
        3.0,
        0.0,
        1003.0,
        +1,
        now=1240.0,
        here=(10.0, 300.0, 0.0, 1.0),
        born_s=1240.0,
        gap=(1006.0 - 10.0, 1240.0),
    )
