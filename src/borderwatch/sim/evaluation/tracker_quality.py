"""Tracker quality on fixed seeds: the figures behind the checked-in metrics baseline.

``measure()`` runs, with fixed seeds and on simulated data only:

* the **strip** (``sim.target_strip``): 200 people, half of them in files of 5, 50 clutter points
  per scan, 60 scans: mean GOSPA and OSPA (c = 10 m, p = 1) of the confirmed tracks;
* the **groups** case: 10 files of 5 people 2 m apart, 150 scans: the share of
  group-seconds whose head count is right within one, where a true group no group track
  stands for counts as a miss (``head_count_quality``);
* the **crossing suite** (``sim.crossing_suite``), one simulated hour on each of two
  seeds through the whole pipeline: crossing recall, false crossings, median latency and
  the share of crossings warned of by an approach incident before the line.

``tests/integration/test_tracker_baseline.py`` fails when any figure is more than 5% worse
than ``tests/baselines/tracker_metrics.json`` (crossing recall: more than 1%, the aim's
``>= 0.99``, ``TOLERANCE``); ``scripts/update_tracker_baseline.py``
rewrites that file after a deliberate change (say why in the commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from borderwatch.sim.target_strip import Strip, StripScan, StripSpec
from borderwatch.tracking import Tracker
from borderwatch.tracking.base import FloatArray, IntArray
from borderwatch.tracking.groups import GroupTracker
from borderwatch.tracking.metrics import assign_within, gospa, ospa

GOSPA_C_M = 10.0
GOSPA_P = 1.0
WARM_UP_SCANS = 5
GROUP_MATCH_M = 15.0
"""A group track stands for a true group when its position is this close to the group's
centre (a file of 5 people 2 m apart is 8 m long)."""
GROUP_WARM_UP_SCANS = 20
"""Everyone in the groups case appears at once; members confirm over the first seconds
and their velocities settle before they are seen to move alike."""

HIGHER_IS_BETTER = {
    "group_head_count_within_one": True,
    "strip_gospa": False,
    "strip_ospa": False,
    "suite_recall": True,
    "suite_false_crossings": False,
    "suite_latency_median_s": False,
    "suite_approach_share": True,
}


@dataclass(frozen=True)
class TrackScores:
    gospa: float
    ospa: float
    swaps: int
    """A person whose GOSPA-assigned track differs from the one assigned at the previous
    scan where they had one."""
    matches: int
    tracks: float
    """Confirmed tracks per scan (mean)."""

    @property
    def swap_share(self) -> float:
        return self.swaps / self.matches if self.matches else 0.0


Picture = tuple[IntArray, FloatArray]
"""Track ids and positions (n, 2) of the confirmed tracks after one scan."""


def track_scores(pictures: Sequence[Picture], scans: Sequence[StripScan]) -> TrackScores:
    """Mean GOSPA/OSPA after the warm-up, and identity swaps."""
    g, o, n_tracks = [], [], []
    swaps = matches = 0
    last: dict[int, int] = {}
    for i, (scan, (ids, pos)) in enumerate(zip(scans, pictures, strict=True)):
        truth = np.column_stack([scan.truth_east_m, scan.truth_north_m])
        result = gospa(pos, truth, c=GOSPA_C_M, p=GOSPA_P)
        for person, est in enumerate(result.truth_to_estimate.tolist()):
            if est < 0:
                continue
            track = int(ids[est])
            if i >= WARM_UP_SCANS:
                matches += 1
                swaps += int(person in last and last[person] != track)
            last[person] = track
        if i >= WARM_UP_SCANS:
            g.append(result.distance)
            o.append(ospa(pos, truth, c=GOSPA_C_M, p=GOSPA_P))
            n_tracks.append(len(ids))
    return TrackScores(
        float(np.mean(g)), float(np.mean(o)), swaps, matches, float(np.mean(n_tracks))
    )


@dataclass(frozen=True)
class HeadCountScores:
    within_one: float
    """Share of group-seconds after the warm-up whose head count is right within one:
    ``good / (group_track_seconds + missed_group_seconds)``. Each second, group tracks
    and true groups are paired one to one (closest first, at most ``GROUP_MATCH_M``
    apart); a pair is good when the track's head count is within one of the group's.
    A track paired with no group (a duplicate, or nothing there) is wrong, and a true
    group paired with no track is a miss: losing a group lowers the score (issue 18:
    without the misses a tracker that dropped every hard group scored best)."""
    group_track_seconds: int
    group_seconds: int
    """True groups summed over the scored seconds."""
    missed_group_seconds: int
    """True groups (one per second) that no group track stood for."""
    groups_started: int
    splits: int
    merges: int

    @property
    def group_recall(self) -> float:
        """Share of true group-seconds that some group track stood for."""
        seconds = self.group_seconds
        return (seconds - self.missed_group_seconds) / seconds if seconds else 0.0


def head_count_quality(scans: Sequence[StripScan], group_size: int) -> HeadCountScores:
    """Head counts of group tracks, for a strip where everyone walks in files of
    ``group_size`` (``StripSpec(group_share=1)``)."""
    tracker = Tracker()
    groups = GroupTracker()
    good = tracks = missed = true_groups = 0
    for i, scan in enumerate(scans):
        picture = groups.update(tracker.process_window([scan.to_scan()]), tracker)
        if i < GROUP_WARM_UP_SCANS:
            continue
        truth = np.column_stack([scan.truth_east_m, scan.truth_north_m])
        centres = truth.reshape(-1, group_size, 2).mean(axis=1)
        here = np.column_stack([picture.east_m, picture.north_m]).reshape(-1, 2)
        rows, cols, _ = assign_within(here, centres, GROUP_MATCH_M, 1.0)
        counts = np.asarray(picture.group_size, dtype=int)[rows] if len(rows) else rows
        good += int(np.sum(np.abs(counts - group_size) <= 1))
        tracks += len(picture)
        true_groups += len(centres)
        missed += len(centres) - len(cols)
    scored = tracks + missed
    return HeadCountScores(
        within_one=good / scored if scored else 0.0,
        group_track_seconds=tracks,
        group_seconds=true_groups,
        missed_group_seconds=missed,
        groups_started=groups.groups_started,
        splits=groups.splits,
        merges=groups.merges,
    )


def run_tracker(scans: Sequence[StripScan]) -> list[Picture]:
    tracker = Tracker()
    groups = GroupTracker()
    pictures = []
    for scan in scans:
        groups.update(tracker.process_window([scan.to_scan()]), tracker)
        pictures.append(tracker.confirmed_positions(scan.epoch_s))
    return pictures


def measure() -> dict[str, float]:
    """Every baseline figure (about half a minute on one core)."""
    from borderwatch.geo import Boundary
    from borderwatch.pipeline import build_pipeline
    from borderwatch.sim.crossing_suite import CrossingSuiteSpec, generate, score

    out: dict[str, float] = {}
    strip = list(Strip(StripSpec(targets=200, group_share=0.5, clutter=50, seed=3)).scans(60))
    scores = track_scores(run_tracker(strip), strip)
    out["strip_gospa"] = round(scores.gospa, 3)
    out["strip_ospa"] = round(scores.ospa, 3)
    groups = list(Strip(StripSpec(targets=50, group_share=1.0, clutter=50, seed=11)).scans(150))
    out["group_head_count_within_one"] = round(head_count_quality(groups, 5).within_one, 4)
    boundary = Boundary.bundled()
    found = crossings = false = warned = 0
    latencies: list[float] = []
    for seed in (1, 2):
        suite = generate(CrossingSuiteSpec(hours=1.0, seed=seed))
        incidents = build_pipeline(boundary, route=False).feed_all(suite.detections)
        result = score(suite, list(incidents))
        found += result.found
        crossings += result.crossings
        false += result.false_crossings
        warned += result.approach_warned
        latencies.extend(result.latencies_s)
    out["suite_recall"] = round(found / crossings, 4)
    out["suite_false_crossings"] = float(false)
    out["suite_latency_median_s"] = round(float(np.median(latencies)), 2)
    out["suite_approach_share"] = round(warned / crossings, 4)
    return out


DEFAULT_TOLERANCE = 0.05
TOLERANCE = {"suite_recall": 0.01}
"""Figures held closer than ``DEFAULT_TOLERANCE``: crossing recall to the aim (>= 0.99,
docs/accuracy.md, "Crossing suite"); 5% of a recall of 1.0 let two of the 56 crossings go
unfound (issue 18)."""


def worse(name: str, value: float, baseline: float, tolerance: float | None = None) -> bool:
    """Is ``value`` more than ``tolerance`` (default: the figure's ``TOLERANCE``, else
    ``DEFAULT_TOLERANCE``) worse than ``baseline``? A count that was 0 (false crossings) is
    worse as soon as it is not."""
    if tolerance is None:
        tolerance = TOLERANCE.get(name, DEFAULT_TOLERANCE)
    if HIGHER_IS_BETTER[name]:
        return value < baseline * (1 - tolerance)
    if baseline == 0:
        return value > 0
    return value > baseline * (1 + tolerance)
