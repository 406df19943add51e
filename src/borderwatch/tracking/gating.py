"""Gating: which detections could have come from which track.

A k-d tree over the scan's detections finds, for each track, the detections inside a circle
that provably contains its chi-square ellipse gate; the exact Mahalanobis test then runs on
those pairs only, so the cost grows with the pairs that matter, not tracks x detections.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from borderwatch.tracking.base import FloatArray, IntArray, PairPenalty

CHI2_2DOF_999 = 13.815510557964274
"""99.9% point of the chi-square distribution with 2 degrees of freedom (-2 ln 0.001)."""


@dataclass(frozen=True, kw_only=True)
class MahalanobisGate:
    """Which detections may belong to which track: inside the chi-square gate of the
    squared Mahalanobis distance (99.9 % for 2 degrees of freedom by default), within
    ``max_radius_m`` and among a track's ``neighbours`` nearest detections."""

    threshold: float = CHI2_2DOF_999
    """Squared Mahalanobis distance above which a pair is not considered."""
    max_radius_m: float = 250.0
    """No detection further than this from a track's prediction is considered for it."""
    neighbours: int = 4
    """At most this many nearest detections are considered for each track. More than a
    few reports inside one track's gate in one scan means the scene is too dense for a
    one-to-one tracker anyway; the nearest ones are the likely ones."""

    def pairs(
        self,
        predicted_position: FloatArray,
        position_covariance: FloatArray,
        detections: FloatArray,
        sigma_m: FloatArray,
        penalty: PairPenalty | None = None,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Pairs (track index, detection index) inside the gate and their cost.

        The cost is the negative log-likelihood up to a constant: d^2 + ln det S, so that a
        precise detection and a vague one are compared fairly (Blackman & Popoli, *Design
        and Analysis of Modern Tracking Systems*, 1999, sec. 6.5). ``penalty`` adds further
        evidence against a pair in the same units (-2 ln of a likelihood ratio, e.g. a
        "deer" label on a track of people); it counts against the gate too.
        """
        empty = (np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0))
        if len(predicted_position) == 0 or len(detections) == 0:
            return empty
        # d^2 = v' S^-1 v >= |v|^2 / lambda_max(S) and lambda_max <= trace(S), so every
        # pair inside the gate lies within sqrt(threshold * trace(S)) of the prediction.
        trace = position_covariance[:, 0, 0] + position_covariance[:, 1, 1]
        radius = np.sqrt(self.threshold * (trace + 2.0 * float(np.max(sigma_m)) ** 2))
        radius = np.minimum(radius, self.max_radius_m)
        # One C call finds, for every track, its nearest detections within the largest
        # radius; the per-track radius and the exact test then filter them, vectorised.
        k = min(self.neighbours, len(detections))
        distance, found = cKDTree(detections).query(
            predicted_position, k=k, distance_upper_bound=float(radius.max())
        )
        distance = distance.reshape(len(predicted_position), k)
        found = found.reshape(len(predicted_position), k)
        inside = distance <= radius[:, None]
        track, column = np.nonzero(inside)
        det = found[track, column].astype(np.intp)
        if len(det) == 0:
            return empty
        v = detections[det] - predicted_position[track]
        cov = position_covariance[track]
        r2 = sigma_m[det] ** 2
        sxx, syy, sxy = cov[:, 0, 0] + r2, cov[:, 1, 1] + r2, cov[:, 0, 1]
        det_s = sxx * syy - sxy * sxy
        d2 = (syy * v[:, 0] ** 2 - 2 * sxy * v[:, 0] * v[:, 1] + sxx * v[:, 1] ** 2) / det_s
        if penalty is not None:
            d2 = d2 + penalty(track, det)
        keep = d2 <= self.threshold
        return track[keep], det[keep], d2[keep] + np.log(det_s[keep])
