"""When a track starts, is confirmed, and ends: rules an operator can read.

Unclaimed detections start tentative tracks (vague reports such as tips are cues, never
tracks); a tentative track is confirmed after a few detections close in time, and only
confirmed tracks raise incidents; a track ends when it has gone unseen too long or grown too
uncertain; two tracks on one object merge unless one sensor reported both in one scan. The
rules and their settings: docs/tracking.md ("Track lifecycle").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from borderwatch.tracking.base import FloatArray, IntArray, TrackTable

TENTATIVE, CONFIRMED = 1, 2


@dataclass(frozen=True, kw_only=True)
class LifecycleRules:
    """When a track is confirmed, and when it ends or is dropped: the thresholds of the
    tracker's track management, each with what it decides."""

    confirm_hits: int = 3
    """Detections needed before a track is confirmed (and may raise incidents)."""
    tentative_timeout_s: float = 3.0
    """A tentative track with no detection for this long is dropped."""
    single_hit_timeout_s: float = 1.5
    """... and a track with only its first detection, this long (the next scan at 1 Hz)."""
    coast_s: float = 30.0
    """A confirmed track with no detection for this long is ended ..."""
    established_hits: int = 10
    """... if it has had at least this many detections; otherwise ..."""
    young_coast_s: float = 5.0
    """... it is ended after this long without one."""
    max_position_sigma_m: float = 150.0
    """A track whose 1-sigma position error grows past this is ended."""
    max_report_sigma_m: float = 150.0
    """Reports vaguer than this (tips) are cues: they never start or update tracks."""
    initial_speed_sigma_ms: float = 5.0
    """1-sigma of each velocity component of a new track (people walk, vehicles drive)."""
    tentative_gate_chi2: float = 9.21
    """Gate of a tentative track (99% for 2 degrees of freedom), narrower than a confirmed
    track's (99.9%): a false track must line up three reports inside it to be confirmed."""
    merge_chi2: float = 9.21
    """Two tracks closer than this squared Mahalanobis distance (99% point, 2 degrees of
    freedom, on the sum of their position covariances) are merged."""
    merge_radius_m: float = 60.0
    """Only tracks within this distance of each other are tested for merging."""


@dataclass(frozen=True)
class HitCounterInitiator:
    """Starts a tentative track at each unclaimed detection, at rest with a velocity
    uncertainty of ``initial_speed_sigma_ms``; confirms it after ``confirm_hits``."""

    rules: LifecycleRules = field(default_factory=LifecycleRules)

    def starts_tracks(self, sigma_m: FloatArray) -> NDArray[np.bool_]:
        return np.asarray(sigma_m <= self.rules.max_report_sigma_m)

    def initial_state(
        self, positions: FloatArray, sigma_m: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        n = len(positions)
        state = np.column_stack([positions, np.zeros((n, 2))])
        cov = np.zeros((n, 4, 4))
        cov[:, 0, 0] = cov[:, 1, 1] = sigma_m**2
        cov[:, 2, 2] = cov[:, 3, 3] = self.rules.initial_speed_sigma_ms**2
        return state, cov

    def confirmed(self, hits: IntArray) -> NDArray[np.bool_]:
        return np.asarray(hits >= self.rules.confirm_hits)


@dataclass(frozen=True)
class LifecycleDeleter:
    """Ends tentative tracks after ``tentative_timeout_s`` without a detection, confirmed
    ones after ``coast_s`` or when too vague, and the younger of two tracks on one object."""

    rules: LifecycleRules = field(default_factory=LifecycleRules)

    def ended(self, tracks: TrackTable, now: float) -> IntArray:
        rules = self.rules
        quiet = now - tracks.last_hit
        cov = tracks.covariance
        too_vague = np.maximum(cov[:, 0, 0], cov[:, 1, 1]) > rules.max_position_sigma_m**2
        timeout = np.where(tracks.hits <= 1, rules.single_hit_timeout_s, rules.tentative_timeout_s)
        coast = np.where(tracks.hits >= rules.established_hits, rules.coast_s, rules.young_coast_s)
        end = ((tracks.status == TENTATIVE) & (quiet > timeout)) | (
            (tracks.status == CONFIRMED) & ((quiet > coast) | too_vague)
        )
        return np.union1d(np.flatnonzero(end), self.duplicates(tracks))

    def duplicates(self, tracks: TrackTable) -> IntArray:
        """Younger tracks that sit on an older one (``merge_chi2``)."""
        active = np.flatnonzero(tracks.status)
        if len(active) < 2:
            return np.empty(0, np.intp)
        pairs = cKDTree(tracks.state[active, :2]).query_pairs(
            self.rules.merge_radius_m, output_type="ndarray"
        )
        if len(pairs) == 0:
            return np.empty(0, np.intp)
        a, b = active[pairs[:, 0]], active[pairs[:, 1]]
        delta = tracks.state[a, :2] - tracks.state[b, :2]
        s = tracks.covariance[a, :2, :2] + tracks.covariance[b, :2, :2]
        det = s[:, 0, 0] * s[:, 1, 1] - s[:, 0, 1] ** 2
        d2 = (
            s[:, 1, 1] * delta[:, 0] ** 2
            - 2 * s[:, 0, 1] * delta[:, 0] * delta[:, 1]
            + s[:, 0, 0] * delta[:, 1] ** 2
        ) / det
        same = d2 < self.rules.merge_chi2
        a, b = a[same], b[same]
        if tracks.hit_window is not None and tracks.hit_sensors is not None and len(a):
            both = (
                (tracks.hit_window[a] == tracks.hit_window[b])
                & (tracks.hit_window[a] > tracks.window - tracks.hit_window.shape[1])
                & ((tracks.hit_sensors[a] & tracks.hit_sensors[b]) != 0)
            )
            apart = ~both.any(axis=1)
            a, b = a[apart], b[apart]
        younger: IntArray = np.unique(np.where(tracks.serial[a] > tracks.serial[b], a, b))
        return younger
