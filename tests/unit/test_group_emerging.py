"""Field streams (issue 18, traced on the diagnostic seeds): a group out of dead ground
comes out as several tracks of one member each before the group layer joins them, and a
chain's crossing raised far from here does not stand for a crossing made here."""

from __future__ import annotations

import numpy as np
from tests.unit.test_group_continuity import _batch, _lost_at

from borderwatch.domain import Direction, IncidentType
from borderwatch.geo import Boundary
from borderwatch.tracking import TrackBatch
from borderwatch.watch import CrossingRule, IncidentFactory, RiskModel, Watch


def _rows(*rows: TrackBatch) -> TrackBatch:
    """One batch of the single-row batches given (same time)."""
    return TrackBatch(
        **{
            name: np.concatenate([getattr(r, name) for r in rows])
            for name in (
                "slot", "serial", "epoch_s", "east_m", "north_m", "velocity_east_ms",
                "velocity_north_ms", "position_sigma_m", "group_size", "group_size_sigma",
                "children", "kind_code", "kind_probability", "confirmed", "hits", "simulated",
            )
        }
    )


def test_a_big_group_out_of_dead_ground_as_single_members_is_continued() -> None:
    continuity = _lost_at(30, 0.0)
    continuity.seen[1].size = 10  # group 1: ten people, followed south, lost at t = 30
    # 60 s later on its way, five members come out, each tracked alone (a count of 1,
    # which a lost group of 10 does not match by itself), within 20 m of each other.
    members = [_batch(2 + k, 90, 5.0 + 4 * k, 10.0 - 3 * k, size=1) for k in range(5)]
    identity, before = continuity.observe(_rows(*members))
    assert sorted(before.tolist()) == [-1, -1, -1, -1, 1]
    assert int(identity[int(np.argmax(before))]) == 1
    # One member alone is not the group of 10.
    alone = _lost_at(30, 0.0)
    alone.seen[1].size = 10
    _, before = alone.observe(_batch(2, 90, 5.0, 10.0, size=1))
    assert int(before[0]) == -1


def test_a_crossing_of_the_chain_far_from_here_does_not_hide_this_one(
    boundary: Boundary,
) -> None:
    # Group 1 walks north 300 m south of the line. Track 2 is first seen beside it (so it
    # takes group 1's identity), then is the one that walks north across 400 m east: a
    # crossing raised for group 1 there. Four minutes later group 1's own track crosses
    # here, 400 m from that crossing: a crossing of its own, raised.
    watch = Watch(boundary, [CrossingRule(boundary, IncidentFactory(boundary, RiskModel()))])
    e0, n0 = boundary.frame.point_to_local(49.0, -111.9)
    raised = []
    for t in range(0, 330):
        rows = [_batch(1, t, e0, n0 - 300.0 + t, v_north=+1.0)]
        if 5 <= t < 80:
            east = e0 + 10.0 if t == 5 else e0 + 400.0
            rows.append(_batch(2, t, east, n0 - 295.0 + t if t == 5 else n0 - 40.0 + t,
                               v_north=+1.0))
        raised += watch.observe(_rows(*rows))
    crossings = [(i.track_id, i.direction, round(i.time.timestamp())) for i in raised
                 if i.type == IncidentType.CROSSING]
    assert [(c[0], c[1]) for c in crossings] == [
        ("trk-000001", Direction.NORTHBOUND),
        ("trk-000001", Direction.NORTHBOUND),
    ]
    assert crossings[1][2] - crossings[0][2] > 200
