"""Warm candidates in a frame, their measurements, and how many people a blob holds.

A candidate is a connected region warmer than its background by a low threshold that holds
at least one pixel above a high one (hysteresis thresholding: Canny, IEEE PAMI 8(6), 1986,
used here on contrast instead of gradient). Both thresholds are in units of the frame's own
noise, so one setting serves radiometric and 8-bit frames.

The measurements feed the classifier (``classifier.py``): size in pixels and in metres at the
range found by georeferencing the candidate's foot, shape, and the temperature profile
(references.md: a walker is a hot head over a warm torso and cool legs; a deer is a long warm
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
    """Hysteresis-thresholded blobs of a contrast image (frame minus background), in the
    order a raster-scan labelling of the whole image gives (by each blob's first pixel)."""
    h, w = contrast.shape
    # Only blobs holding a seed pixel are kept, so only windows around the seeds are
    # labelled: the seeds' 16-pixel cells, grouped where they touch, give the windows, and
    # a window widens while a seeded blob touches its edge. The cost follows the warm
    # pixels, not the frame: labelling and find_objects over all of a 640x512 frame were a
    # third of a fixed camera's time per frame, for the few per cent of it that is warm.
    ground = contrast[first_row:]
    flat = np.flatnonzero(ground >= high)
    if len(flat) == 0:
        return []
    grid = np.zeros((-(-h // _CELL), -(-w // _CELL)), dtype=bool)
    grid[(flat // w + first_row) // _CELL, (flat % w) // _CELL] = True
    cells, _ = ndimage.label(grid, structure=EIGHT_CONNECTED)
    # A blob spanning two windows is found in both: its first pixel (in raster order, the
    # order of a whole-image labelling) names it once.
    found: dict[tuple[int, int], Candidate] = {}
    for rows, cols in ndimage.find_objects(cells):
        window = (
            max(rows.start * _CELL - _MARGIN, first_row),
            min(rows.stop * _CELL + _MARGIN, h),
            max(cols.start * _CELL - _MARGIN, 0),
            min(cols.stop * _CELL + _MARGIN, w),
        )
        _window_blobs(contrast, window, low, high, first_row, min_area_px, found)
    out = [found[first] for first in sorted(found)]
    if len(out) > max_candidates:
        out = sorted(out, key=lambda c: -c.peak)[:max_candidates]
    return out


_CELL = 16
_MARGIN = 8


def _window_blobs(
    contrast: F32,
    window: tuple[int, int, int, int],
    low: float,
    high: float,
    first_row: int,
    min_area_px: int,
    found: dict[tuple[int, int], Candidate],
) -> None:
    """Add to ``found`` the seeded blobs of a window (rows r0..r1, columns c0..c1), the
    window widened until none of them touches its edge (unless that is the image's edge or
    the first ground row)."""
    h, w = contrast.shape
    r0, r1, c0, c1 = window
    margin = _MARGIN
    while True:
        sub = contrast[r0:r1, c0:c1]
        labels, n = ndimage.label(sub > low, structure=EIGHT_CONNECTED)
        seeded = np.flatnonzero(np.bincount(labels[sub >= high], minlength=n + 1)[1:]) + 1
        boxes = ndimage.find_objects(labels)
        grow: list[tuple[int, int, int, int]] = []
        for i in seeded:
            rs, cs = boxes[i - 1]
            br0, br1, bc0, bc1 = r0 + rs.start, r0 + rs.stop, c0 + cs.start, c0 + cs.stop
            if (
                (br0 == r0 and r0 > first_row)
                or (br1 == r1 and r1 < h)
                or (bc0 == c0 and c0 > 0)
                or (bc1 == c1 and c1 < w)
            ):
                grow.append((br0, br1, bc0, bc1))
                continue
            own = labels[rs, cs] == i
            first = (br0, bc0 + int(np.argmax(own[0])))
            area = int(np.count_nonzero(own))
            if first in found or area < min_area_px:
                continue
            crop = np.where(own, sub[rs, cs], np.float32(0.0))
            found[first] = _candidate(crop, own, br0, bc0, float(crop.max()), area)
        if not grow:
            return
        # Widen where a blob touched the edge, by a margin that doubles each time.
        margin *= 2
        r0 = max(min(r0, min(b[0] for b in grow) - margin), first_row)
        r1 = min(max(r1, max(b[1] for b in grow) + margin), h)
        c0 = max(min(c0, min(b[2] for b in grow) - margin), 0)
        c1 = min(max(c1, max(b[3] for b in grow) + margin), w)


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
    peak per person (the head and face are the hottest part, references.md); two peaks count
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


def _thirds(n: int) -> tuple[int, int]:
    """Where ``np.array_split(x, 3)`` cuts n items (the first n % 3 parts one longer)."""
    q, r = divmod(n, 3)
    first = q + (r > 0)
    return first, first + q + (r > 1)


def features(
    candidate: Candidate,
    *,
    px_per_m: float,
    depression_deg: float,
    sigma: float,
    heads: list[int] | None = None,
) -> F64:
    """The classifier's inputs, in :data:`FEATURE_NAMES` order. ``heads``: the blob's
    :func:`head_peaks` when the caller has them already."""
    crop = candidate.contrast
    h, w = crop.shape
    own = crop > 0
    # Row and column sums once, then the thirds from them: the per-third slicing and
    # reductions cost more than the rest of the classifier on a frame of small blobs.
    row_sum = crop.sum(axis=1, dtype=np.float64)
    row_own = np.count_nonzero(own, axis=1)
    col_sum = crop.sum(axis=0, dtype=np.float64)
    col_own = np.count_nonzero(own, axis=0)
    mean = float(row_sum.sum()) / max(int(row_own.sum()), 1)
    height_m, width_m = h / px_per_m, w / px_per_m
    if h >= 3:
        a, b = _thirds(h)
        parts = ((0, a), (a, b), (b, h))
    else:
        parts = ((0, h),) * 3
    third_means = [
        float(row_sum[lo:hi].sum()) / max(int(row_own[lo:hi].sum()), 1) / mean for lo, hi in parts
    ]
    hot_r, hot_c = divmod(int(np.argmax(crop)), w)
    if w >= 3:
        a, b = _thirds(w)
        ends = ((0, a), (b, w))
    else:
        ends = ((0, w), (0, w))
    left, right = (
        float(col_sum[lo:hi].sum()) / max(int(col_own[lo:hi].sum()), 1) for lo, hi in ends
    )
    asym = max(left, right) / max(min(left, right), 1e-6)
    side = depression_deg < 45.0
    if heads is None:
        heads = head_peaks(candidate, px_per_m, side_view=side)
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
            math.log(len(heads) / max(width_m, 0.2)),
        ]
    )
