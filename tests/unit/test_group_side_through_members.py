"""A group's side of the line travels with its members (issue 18, the field streams'
diagnostic seeds): the track that had the group firmly on its side may end short of the
line, and the member track that joined it there is the one seen firmly across. The
group's crossing is raised then, once."""

from __future__ import annotations

from tests.unit.test_group_continuity import _batch

from borderwatch.domain import Direction
from borderwatch.geo import Boundary
from borderwatch.watch import CrossingRule, IncidentFactory, RiskModel, Watch


def test_a_member_that_joined_a_group_near_the_line_raises_the_groups_crossing(
    boundary: Boundary,
) -> None:
    # Group 1 walks south, firmly north of the line, and its track ends 6 m north of it
    # (not firmly across). Track 3 began beside it 3 m north (it joined group 1) and walks
    # on south: firmly south, it is group 1 crossing.
    rule = CrossingRule(boundary, IncidentFactory(boundary, RiskModel()))
    watch = Watch(boundary, [rule])
    e0, n0 = boundary.frame.point_to_local(49.0, -111.9)
    raised = []
    for t in range(40):
        raised += watch.observe(_batch(1, t, e0, n0 + 45.0 - t))
    raised += watch.observe(_batch(3, 39, e0 + 4.0, n0 + 3.0))
    assert watch.continuity.seen[3].identity == 1  # beside group 1: of it
    for t in range(40, 75):
        raised += watch.observe(_batch(3, t, e0 + 4.0, n0 + 42.0 - t))
    assert [(i.track_id, i.direction) for i in raised] == [("trk-000001", Direction.SOUTHBOUND)]
    assert raised[0].extra["current_track_id"] == "trk-000003"


def test_a_member_beside_a_group_that_has_crossed_does_not_cross_it_back(
    boundary: Boundary,
) -> None:
    # Group 1 crossed south at t = 45 and is followed on south. A track begins beside it
    # on the north side (a straggler, or its estimate) and is firmly north for a while:
    # the group is not crossing back (it has the group's side, south, and was just there).
    rule = CrossingRule(boundary, IncidentFactory(boundary, RiskModel()))
    watch = Watch(boundary, [rule])
    e0, n0 = boundary.frame.point_to_local(49.0, -111.9)
    raised = []
    for t in range(60):
        raised += watch.observe(_batch(1, t, e0, n0 + 45.0 - t))
    raised += watch.observe(_batch(3, 59, e0 + 4.0, n0 + 8.0, v_north=-1.0))
    assert watch.continuity.seen[3].identity == 1
    for t in range(60, 70):
        raised += watch.observe(_batch(3, t, e0 + 4.0, n0 + 8.0, v_north=-1.0))
    assert [i.direction for i in raised] == [Direction.SOUTHBOUND]
