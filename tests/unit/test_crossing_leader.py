"""A group crosses when its first member does (issue 18): the side test is on the leader."""

from __future__ import annotations

import numpy as np
from tests.conftest import T0, detection

from borderwatch.domain import IncidentType
from borderwatch.geo import Boundary
from borderwatch.pipeline import build_pipeline
from borderwatch.tracking.groups import _front


def test_the_front_is_the_member_furthest_ahead_along_the_group_velocity() -> None:
    row = np.array([0, 0, 0, 1, 1])
    offset = np.array([[0.0, -4.0], [0.0, 0.0], [0.0, 4.0], [3.0, 0.0], [-3.0, 0.0]])
    sigma = np.array([5.0, 6.0, 7.0, 2.0, 3.0])
    velocity = np.array([[0.0, 0.8], [0.1, 0.0]])  # north; the second stands still
    front, front_sigma = _front(row, offset, sigma, velocity, 2)
    assert front.tolist() == [4.0, 0.0]
    assert front_sigma[0] == 7.0


def test_a_file_of_nine_crosses_when_its_leader_does(boundary: Boundary) -> None:
    rng = np.random.default_rng(3)
    speed, spacing, noise = 0.6, 2.0, 3.0
    detections = [
        detection(t, rng.normal(0, noise), -150 + speed * t - m * spacing + rng.normal(0, noise),
                  sigma=noise, sensor="radar")
        for t in range(600)
        for m in range(9)
    ]
    incidents = build_pipeline(boundary, route=False).feed_all(detections)
    crossings = [i for i in incidents if i.type is IncidentType.CROSSING]
    assert len(crossings) == 1
    leader_s = T0 + 150 / speed  # the centre crosses 8 m (13 s) later
    assert abs(crossings[0].time.timestamp() - leader_s) < 6
    assert float(crossings[0].extra["leader_ahead_m"]) > 3
