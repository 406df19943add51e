"""Warm candidates in a frame, their measurements, and how many people a blob holds.

A candidate is a connected region warmer than its background by a low threshold that holds
at least one pixel above a high one (hysteresis thresholding: Canny, IEEE PAMI 8(6), 1986,
used here on contrast instead of gradient). Both thresholds are in units of the frame's own
noise, so one setting serves radiometric and 8-bit frames.

The measurements feed the classifier (``classify.py``): size in pixels and in metres at the
range found by georeferencing the candidate's foot, shape, and the temperature profile
(thermal.md: a walker is a hot head over a warm torso and cool legs; a deer is a long warm
body with a hot head at one end; a vehicle is big with a hot engine at one end).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
FEATURE_NAMES = (
    "log_height_px",
    "log_width_px",
    "log_height_m",
    "log_width_m",
    "log_area_m2",
    "depression",
    "log_aspect",
    "fill",
    "log_peak_snr",
    "log_mean_snr",
    "peak_over_mean",
    "top_third",
    "middle_third",
    "bottom_third",
    "hot_row",
    "hot_col_offset",
    "end_asymmetry",
    "log_heads_per_metre",
)


@dataclass(frozen=True)
class Candidate:
    """One warm blob. Pixel box (u0, v0, u1, v1) is half-open: columns u0..u1-1."""

    box: tuple[int, int, int, int]
    area_px: int
    peak: float
    """Largest contrast above the background, frame units."""
    foot_u: float
    foot_v: float
    """Where it meets the ground, image coordinates: bottom centre of its pixels (side
    views), or its centroid (looking steeply down)."""
    contrast: F32
    """Contrast inside the box (zero outside the blob's own pixels)."""

    @property
    def height_px(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def width_px(self) -> int:
        return self.box[2] - self.box[0]


def extract(
    contrast: F32,
    *,
    low: float,
    high: float,
    min_area_px: int = 2,
    first_row: int = 0,
    max_candidates: int = 200,
) -> list[Candidate]:
    """Hysteresis-thresholded blobs of a contrast image (frame minus background)."""
    mask = contrast > low
    if first_row > 0:
        mask[:first_row] = False
    labels, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    if count == 0:
        return []
    # Only blobs holding a seed pixel are looked at, and find_objects and the per-box work
    # cost in proportion to their area; scipy.ndimage's labelled statistics sort the whole
    # image instead (measured: 4x slower per frame), and a textured background can leave
    # a thousand tiny sub-threshold blobs per frame.
    seeded = np.unique(labels[contrast >= high])
    seeded = seeded[seeded > 0]
    if len(seeded) == 0:
        return []
    slices = ndimage.find_objects(labels)
    out = []
    for i in seeded:
        rows, cols = slices[i - 1]
        own = labels[rows, cols] == i
        area = int(own.sum())
        if area < min_area_px:
            continue
        crop = np.where(own, contrast[rows, cols], np.float32(0.0))
        out.append(_candidate(crop, own, rows.start, cols.start, float(crop.max()), area))
    if len(out) > max_candidates:
        out = sorted(out, key=lambda c: -c.peak)[:max_candidates]
    return out


def _candidate(
    crop: F32, own: NDArray[np.bool_], row0: int, col0: int, peak: float, area: int
) -> Candidate:
    h, w = crop.shape
    bottom_cols = np.nonzero(own[-1])[0]
    foot_u = col0 + float(bottom_cols.mean()) + 0.5
    return Candidate(
        box=(col0, row0, col0 + w, row0 + h),
        area_px=area,
        peak=peak,
        foot_u=foot_u,
        foot_v=float(row0 + h),
        contrast=crop,
    )


def centroid(candidate: Candidate) -> tuple[float, float]:
    """Contrast-weighted centre (u, v) of a blob: its ground point when looking down."""
    crop = candidate.contrast
    total = float(crop.sum())
    rows, cols = np.indices(crop.shape)
    u = candidate.box[0] + float((crop * cols).sum()) / total + 0.5
    v = candidate.box[1] + float((crop * rows).sum()) / total + 0.5
    return u, v


def head_peaks(candidate: Candidate, px_per_m: float, *, side_view: bool) -> list[int]:
    """Columns (side view) of the separate heads in a blob, left to right.

    Side view: the largest contrast of each column, smoothed over a head's width, has one
    peak per person (the head and face are the hottest part, thermal.md); two peaks count
    as two people when they are at least 0.4 m apart, both at least 40 % of the blob's
    peak, and the profile dips between them to at most 75 % of the lower one.
    Looking down, heads are local maxima in two dimensions, 0.45 m apart or more.
    """
    crop = candidate.contrast
    if side_view:
        profile = crop.max(axis=0).astype(float)
        width = max(round(0.12 * px_per_m), 1)
        if width > 1:
            profile = np.convolve(profile, np.ones(width) / width, mode="same")
        return _profile_peaks(profile, min_gap=max(0.4 * px_per_m, 1.5))
    return _top_view_peaks(crop, px_per_m)


def _top_view_peaks(crop: F32, px_per_m: float) -> list[int]:
    """Heads seen from above: maxima of the smoothed contrast at least 0.4 m apart and at
    least 40 % of the hottest, each pair with a dip between them (else one body: a head
    and a warm hand)."""
    smooth = ndimage.gaussian_filter(crop.astype(float), max(0.5, 0.08 * px_per_m))
    size = max(round(0.4 * px_per_m), 3)
    local = ndimage.maximum_filter(smooth, size=size, mode="constant")
    top = float(smooth.max())
    found = np.argwhere((smooth == local) & (smooth >= 0.4 * top) & (crop > 0))
    ranked = sorted(((float(smooth[r, c]), int(r), int(c)) for r, c in found), reverse=True)
    chosen: list[tuple[float, int, int]] = []
    for value, r, c in ranked:
        separate = True
        for other_value, r2, c2 in chosen:
            steps = max(abs(r - r2), abs(c - c2), 1)
            rows = np.round(np.linspace(r, r2, steps + 1)).astype(int)
            cols = np.round(np.linspace(c, c2, steps + 1)).astype(int)
            dip = float(smooth[rows, cols].min())
            if math.hypot(r - r2, c - c2) < 0.4 * px_per_m or dip > 0.8 * min(value, other_value):
                separate = False
                break
        if separate:
            chosen.append((value, r, c))
    return sorted(c for _, _, c in chosen)


def _profile_peaks(profile: F64, *, min_gap: float) -> list[int]:
    top = float(profile.max())
    if top <= 0:
        return []
    n = len(profile)
    inner = (profile[1:-1] >= profile[:-2]) & (profile[1:-1] > profile[2:]) if n > 2 else None
    candidates = [int(i) + 1 for i in np.nonzero(inner)[0]] if inner is not None else []
    if n >= 1 and (n == 1 or profile[0] > profile[1]):
        candidates.insert(0, 0)
    if n >= 2 and profile[-1] >= profile[-2]:
        candidates.append(n - 1)
    strong = sorted((c for c in candidates if profile[c] >= 0.4 * top), key=lambda c: -profile[c])
    chosen: list[int] = []
    for c in strong:
        ok = True
        for d in chosen:
            lo, hi = min(c, d), max(c, d)
            dip = float(profile[lo : hi + 1].min())
            if abs(c - d) < min_gap or dip > 0.75 * min(profile[c], profile[d]):
                ok = False
                break
        if ok:
            chosen.append(c)
    return sorted(chosen) if chosen else [int(np.argmax(profile))]


def features(candidate: Candidate, *, px_per_m: float, depression_deg: float, sigma: float) -> F64:
    """The classifier's inputs, in :data:`FEATURE_NAMES` order."""
    crop = candidate.contrast
    h, w = crop.shape
    own = crop > 0
    mean = float(crop[own].mean())
    height_m, width_m = h / px_per_m, w / px_per_m
    thirds = np.array_split(crop, 3, axis=0) if h >= 3 else [crop, crop, crop]
    third_means = [float(t.sum()) / max(int((t > 0).sum()), 1) / mean for t in thirds]
    hot_r, hot_c = np.unravel_index(int(np.argmax(crop)), crop.shape)
    cols = np.array_split(crop, 3, axis=1) if w >= 3 else [crop, crop, crop]
    left = float(cols[0].sum()) / max(int((cols[0] > 0).sum()), 1)
    right = float(cols[-1].sum()) / max(int((cols[-1] > 0).sum()), 1)
    asym = max(left, right) / max(min(left, right), 1e-6)
    side = depression_deg < 45.0
    heads = len(head_peaks(candidate, px_per_m, side_view=side))
    return np.array(
        [
            math.log(h),
            math.log(w),
            math.log(height_m),
            math.log(width_m),
            math.log(candidate.area_px / px_per_m**2),
            depression_deg / 90.0,
            math.log(h / w),
            candidate.area_px / (h * w),
            math.log(max(candidate.peak / sigma, 1.0)),
            math.log(max(mean / sigma, 1.0)),
            candidate.peak / mean,
            *third_means,
            (hot_r + 0.5) / h,
            abs((hot_c + 0.5) / w - 0.5),
            min(math.log(asym), 3.0),
            math.log(heads / max(width_m, 0.2)),
        ]
    )
