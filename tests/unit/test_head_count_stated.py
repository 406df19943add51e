"""A sensor's own head-count range (the wire's ``count_low``, ``count_high``: a thermal
camera's "5, maybe 4 to 7") carried into the track's range, the group's, the incident's
and the map's (issue 18); a stream without one is ranged exactly as before."""

from __future__ import annotations

import numpy as np
import orjson
from tests.conftest import detection

from borderwatch.adapters.sources.detection_wire import detection_to_wire, parse_detection
from borderwatch.app.runtime.live import track_features
from borderwatch.domain import Detection, IncidentType
from borderwatch.geo import Boundary
from borderwatch.pipeline import build_pipeline
from borderwatch.tracking import TrackBatch, Tracker
from borderwatch.tracking.groups import GroupTracker
from borderwatch.tracking.head_count import stated_range, widen_to_stated
from borderwatch.tracking.scans import ScanBuilder
from borderwatch.watch import incident_to_wire

NAN = np.nan


def test_the_stated_range_is_the_median_low_and_the_largest_high() -> None:
    lows = np.array([[4, 4, 5, NAN], [NAN, NAN, NAN, NAN]])
    highs = np.array([[7, 6, NAN, 6], [NAN, NAN, NAN, NAN]])
    low, high = stated_range(lows, highs)
    assert low[0] == 4 and high[0] == 7
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_a_stated_range_only_widens_and_nothing_stated_changes_nothing() -> None:
    low, high = np.array([5, 8, 3]), np.array([5, 10, 4])
    wide_low, wide_high = widen_to_stated(low, high, np.array([4.0, 9.0, NAN]),
                                          np.array([7.0, 9.0, NAN]))
    assert wide_low.tolist() == [4, 8, 3] and wide_high.tolist() == [7, 10, 4]


def _walk(count: int, low: int | None, high: int | None, seconds: int = 30,
          east: float = 0.0) -> list[Detection]:
    """A group reported once a second by one thermal camera, 2 km south of the line."""
    return [detection(t, east, -2000.0 + 0.5 * t, sensor="thermal-1", count=count)
            ._replace(count_low=low, count_high=high) for t in range(seconds)]


def _track(dets: list[Detection]) -> tuple[TrackBatch, TrackBatch]:
    """The last batch of tracks and of groups after feeding ``dets``."""
    tracker, groups = Tracker(), GroupTracker()
    builder = ScanBuilder(Boundary.bundled().frame)
    batch = group = None
    for scan in [s for d in dets for s in builder.add(d)] + builder.flush():
        batch = tracker.process(scan)
        group = groups.update(batch, tracker)
    assert batch is not None and group is not None and len(batch) and len(group)
    return batch, group


def test_a_tracks_range_holds_what_its_sensor_stated_and_its_count_is_unchanged() -> None:
    batch, group = _track(_walk(5, 4, 7))
    assert (int(batch.group_size[0]), *batch.size_range(0)) == (5, 4, 7)
    assert (int(group.group_size[0]), *group.size_range(0)) == (5, 4, 7)
    plain, plain_group = _track(_walk(5, None, None))
    assert (int(plain.group_size[0]), *plain.size_range(0)) == (5, 5, 5)
    assert plain_group.size_range(0) == (5, 5)


def test_a_stated_range_leaves_the_window_with_its_reports() -> None:
    # 30 s with a range, then without: after 20 reports the track's window holds none of
    # them; the group's window (20 scans of what its members stated) follows 20 later.
    dets = _walk(5, 4, 7) + [d._replace(count_low=None, count_high=None)
                             for d in _walk(5, 4, 7, 90)[30:]]
    batch, group = _track(dets[:50])
    assert batch.size_range(0) == (5, 5) and group.size_range(0) == (4, 7)
    batch, group = _track(dets)
    assert batch.size_range(0) == (5, 5) and group.size_range(0) == (5, 5)


def test_a_group_adds_its_members_stated_margins_to_its_count() -> None:
    # Two members 3 m apart walking together: one reported as 3 (2 to 5), the other as 2
    # with no range. The group counts 5; the first member may hold one fewer, two more.
    dets = sorted(_walk(3, 2, 5) + _walk(2, None, None, east=3.0), key=lambda d: d.epoch_s)
    _, group = _track(dets)
    assert (int(group.group_size[0]), *group.size_range(0)) == (5, 4, 7)


def test_a_thermal_range_reaches_the_incident_and_the_map(boundary: Boundary) -> None:
    # A group of 5 (4 to 7 by the camera) walks south across the line, reported once a
    # second; each report goes through the wire format as a sensor would send it.
    def run(low: int | None, high: int | None) -> tuple[list, list[TrackBatch]]:  # type: ignore[type-arg]
        sent = [detection(t, 0.0, 200.0 - t, sensor="thermal-1", count=5)
                ._replace(count_low=low, count_high=high) for t in range(400)]
        received = [parse_detection(orjson.loads(orjson.dumps(detection_to_wire(d))))
                    for d in sent]
        batches: list[TrackBatch] = []
        pipeline = build_pipeline(boundary, route=False, track_listeners=[batches.append])
        return pipeline.feed_all(received), batches

    incidents, batches = run(4, 7)
    crossing = next(i for i in incidents if i.type is IncidentType.CROSSING)
    assert crossing.group_size == 5 and crossing.group_size_range == (4, 7)
    assert incident_to_wire(crossing)["group_size_range"] == [4, 7]
    shown = [f["properties"] for b in batches[-5:] for f in track_features(boundary, b)]
    assert shown and all(p["group_size_range"] == [4, 7] for p in shown)
    # The same stream with the count alone: the range the counts give, as before.
    incidents, _ = run(None, None)
    crossing = next(i for i in incidents if i.type is IncidentType.CROSSING)
    assert crossing.group_size == 5 and crossing.group_size_range == (5, 5)
