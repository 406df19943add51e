"""Frames in, detections out: candidates, classification, head count, ground position.

Per frame: background (temporal for a fixed radiometric camera once learnt, else spatial),
contrast, hysteresis-thresholded candidates (``candidates.py``), a class for each from the
small classifier (``classifier.py``), heads counted in each person blob, adult or child where
a person is at least ``age_min_px`` tall (references.md: adult vs child needs about 10 px of
height), the ground point of each blob's foot through the camera model with its error, and
people blobs within ``group_radius_m`` of each other joined into one detection of a group
(the tracker wants one report per group, with its count: docs/gotchas.md).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from borderwatch.adapters.sources.thermal.background import (
    TemporalBackground,
    expand,
    noise_sigma,
    spatial_background,
)
from borderwatch.adapters.sources.thermal.camera import (
    GroundErrors,
    Intrinsics,
    Pose,
    PoseErrors,
    ground_errors,
    ground_point,
)
from borderwatch.adapters.sources.thermal.candidates import (
    Candidate,
    centroid,
    extract,
    features,
    head_peaks,
)
from borderwatch.adapters.sources.thermal.classifier import CLASSES, Classifier

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class DetectorSettings:
    """The detector's thresholds, each with what it decides (docs/thermal.md)."""

    low_sigmas: float = 4.0
    """A candidate's pixels are this many noise sigmas above the background..."""
    high_sigmas: float = 10.0
    """...and at least one of them this many."""
    noise_floor_k: float = 0.03
    """Smallest noise assumed on radiometric frames, kelvin."""
    noise_floor_counts: float = 0.5
    """Smallest noise assumed on relative (8-bit, AGC) frames: half a grey level."""
    min_probability: float = 0.5
    """Below this the best class is not trusted: reported as unknown."""
    group_radius_m: float = 8.0
    """People blobs closer than this on the ground (plus two sigmas of the error of their
    separation) are one group."""
    relief_length_m: float = 50.0
    """Ground this far apart may differ in height by the whole relief of the error budget;
    closer, proportionally less (rolling ground, not steps: an assumption, as is the
    renderer's terrain of 150-400 m waves, whose height differences reach one standard
    deviation at about 55 m)."""
    max_body_height_m: float = 4.0
    """Seen from the side, a blob taller than this (less a pixel of blur at each end) is
    no body: people stand under 2 m, deer and cars too (a lorry 4 m). It is scenery (a
    tree, 4-12 m), or scenery with a body in front of it: never reported (the classifier,
    trained on bodies of their own size, called such blobs people)."""
    scenery_max_contrast_k: float = 12.0
    """A too-tall blob no warmer than this above its background (kelvin, radiometric
    frames: the only ones with a learnt background) is scenery alone and is learnt: at
    night trees and rocks stay within a few kelvin of the air (thermal inertia; up to
    ~10 K sunlit at dawn in the renderer), while every body has a part 15 K or more above
    it (a face, a deer's eyes and nose, an engine, an exhaust)."""
    top_person_probability: float = 0.85
    """Looking down (depression 45 degrees or more), a person is called so only above this:
    from above only the head and shoulders show, not the side view's head-over-torso-over-
    legs profile, and a sun-warmed rock of a person's size is as warm as a hood."""
    recognition_px: float = 4.0
    """Smaller blobs (larger extent, pixels) are warm things, never called people."""
    age_min_px: float = 10.0
    child_below_m: float = 1.45
    """Standing height under which a person is judged a child (adults 1.6-1.85 m)."""
    blur_px: float = 0.5
    """The camera's optical blur, Gaussian sigma in pixels (references.md: 1-1.5 px full width
    at half maximum, i.e. sigma 0.4-0.6 px)."""
    use_temporal: bool = True
    """Use the temporal background when the camera is fixed and the frames radiometric."""


@dataclass(frozen=True, kw_only=True)
class Found:
    """One classified blob (or, after :func:`group_people`, a group of blobs)."""

    box: tuple[int, int, int, int]
    kind: str
    """person, animal, vehicle or unknown."""
    probability: float
    count: int
    children: int | None
    east: float
    north: float
    range_m: float
    sigma_m: float
    heights_m: tuple[float, ...] = ()
    members: tuple[tuple[int, int, int, int], ...] = ()
    """Boxes of the blobs a group was joined from."""
    pixel_sigma_m: float | None = None
    """The part of ``sigma_m`` from locating this blob's foot in the image alone."""
    relief_gain: float | None = None
    """Metres its ground point moves per metre of ground above the camera's plane."""
    across_sigma_m: float | None = None
    """Error of its ground point across the line of sight from locating it in the image:
    the budget's pixel error at its range (range errors move a point along the line)."""
    count_low: int | None = None
    count_high: int | None = None
    """The head count's plausible range in this frame (:func:`count_range`); None: the
    count alone."""

    @property
    def count_range(self) -> tuple[int, int]:
        """(low, high), ``count`` at both ends when no range was set."""
        low = self.count if self.count_low is None else self.count_low
        high = self.count if self.count_high is None else self.count_high
        return low, high


@dataclass(frozen=True)
class Measured:
    """A candidate before classification."""

    blob: Candidate
    features: F64
    east: float
    north: float
    range_m: float
    depression_deg: float
    sigma_m: float
    low: float
    """The frame's low threshold (contrast units): where the blob's outline was cut."""
    pixel_sigma_m: float
    relief_gain: float
    heads: list[int] = field(default_factory=list)
    """Its :func:`head_peaks` (columns; side view or from above as its depression says)."""


@dataclass(kw_only=True)
class FrameDetector:
    """Stateful per camera: holds the background model between frames."""

    intrinsics: Intrinsics
    errors: PoseErrors
    classifier: Classifier
    fixed: bool
    radiometric: bool
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    background: TemporalBackground = field(default_factory=TemporalBackground)
    frames_seen: int = 0
    _last: tuple[F32, F32, F32 | None] | None = field(default=None, repr=False)
    """The last measured frame, its spatial background (or the frame itself) and its
    temporal contrast (None while learning): what :meth:`learn` updates the model with."""

    def reset(self) -> None:
        """Forget the background (e.g. after the camera was moved)."""
        self.background.restart()

    def detect(self, frame: F32, pose: Pose) -> list[Found]:
        """Everything warm worth reporting in one frame (people grouped)."""
        measured = self.measure(frame, pose)
        if not measured:
            self.learn([])
            return []
        probs = self.classifier.probabilities(np.stack([m.features for m in measured]))
        found = [
            f for f in (self._classify(m, p) for m, p in zip(measured, probs, strict=True)) if f
        ]
        self.learn(self.bodies(measured, probs))
        settings = self.settings
        return group_people(
            found,
            settings.group_radius_m,
            relief_m=self.errors.ground_m,
            relief_length_m=settings.relief_length_m,
        )

    def scenery(self, m: Measured) -> bool:
        """Scenery, whatever the classifier says: seen from the side, taller than any body
        (``max_body_height_m``, less a pixel of blur at each end) and nowhere warmer than
        scenery gets (``scenery_max_contrast_k``). A tall blob with a hotter part is a body
        merged with scenery (a person in front of a tree) and is left to the classifier."""
        px_per_m = self.intrinsics.focal_px / m.range_m
        side = m.depression_deg < 45.0
        tall = (m.blob.height_px - 2) / px_per_m > self.settings.max_body_height_m
        return side and tall and m.blob.peak < self.settings.scenery_max_contrast_k

    def bodies(self, measured: list[Measured], probs: F64) -> list[Candidate]:
        """The blobs the background must not learn (it learns them slowly): those the
        classifier calls a body and :meth:`scenery` does not overrule."""
        return [
            m.blob
            for m, p in zip(measured, probs, strict=True)
            if CLASSES[int(np.argmax(p))] != "clutter" and not self.scenery(m)
        ]

    def _recognisable(self, blob: Candidate) -> bool:
        """Whether a blob can be called a person at all: at least ``recognition_px`` across
        its larger extent (references.md: below ~4 px only blobs can be detected and counted)
        and not cut by the image's edge (its shape and size are then unknown)."""
        u0, v0, u1, v1 = blob.box
        big_enough = max(u1 - u0, v1 - v0) >= self.settings.recognition_px
        inside = u0 > 0 and v0 > 0 and u1 < self.intrinsics.width_px
        inside = inside and v1 < self.intrinsics.height_px
        return big_enough and inside

    def learn(self, bodies: list[Candidate]) -> None:
        """Update the temporal background with the last measured frame, keeping out the
        blobs judged to be bodies (people, animals, vehicles): what stays out is what moves
        or may move; warm rocks and trees are learnt as scenery (a fixed camera then stops
        seeing them). :meth:`detect` calls this; a caller of :meth:`measure` must too."""
        last = self._last
        self._last = None
        if last is None:
            return
        frame, fill, contrast = last
        self.background.update(frame, [b.box for b in bodies], fill, contrast)

    def measure(self, frame: F32, pose: Pose) -> list[Measured]:
        """Candidates of one frame with their ground points and classifier inputs (the
        training script labels these)."""
        self.frames_seen += 1
        first_row = _first_ground_row(self.intrinsics, pose)
        settings = self.settings
        floor = settings.noise_floor_k if self.radiometric else settings.noise_floor_counts
        sigma = noise_sigma(frame, floor)
        low, high = self.settings.low_sigmas * sigma, self.settings.high_sigmas * sigma
        temporal = self.settings.use_temporal and self.fixed and self.radiometric
        learnt = self.background.difference(frame, sigma) if temporal else None
        fill: F32 | None = None
        if learnt is None:
            fill = expand(spatial_background(frame, first_row), frame.shape)
            contrast = frame - fill
        else:
            contrast = learnt
        blobs = extract(contrast, low=low, high=high, first_row=first_row)
        # The background's update reuses the contrast (and scales it in place): it must not
        # be read after learn(); the blobs hold copies of their pixels.
        self._last = (frame, frame if fill is None else fill, learnt) if temporal else None
        if not blobs:
            return []
        east, north, slant, depression, errors = self._ground(blobs, pose, low)
        out = []
        for i, blob in enumerate(blobs):
            if not np.isfinite(east[i]):
                continue
            px_per_m = self.intrinsics.focal_px / float(slant[i])
            heads = head_peaks(blob, px_per_m, side_view=float(depression[i]) < 45.0)
            feats = features(
                blob,
                px_per_m=px_per_m,
                depression_deg=float(depression[i]),
                sigma=sigma,
                heads=heads,
            )
            out.append(
                Measured(
                    blob,
                    feats,
                    float(east[i]),
                    float(north[i]),
                    float(slant[i]),
                    float(depression[i]),
                    float(errors.sigma_m[i]),
                    low,
                    float(errors.pixel_m[i]),
                    float(errors.relief_gain[i]),
                    heads,
                )
            )
        return out

    def _classify(self, m: Measured, probs: F64) -> Found | None:
        best = int(np.argmax(probs))
        kind = CLASSES[best]
        if kind == "clutter" or self.scenery(m):
            return None
        unsure = float(probs[best]) < self.settings.min_probability
        if kind == "person" and m.depression_deg >= 45.0:
            unsure = float(probs[best]) < self.settings.top_person_probability
        if unsure or (kind == "person" and not self._recognisable(m.blob)):
            kind = "unknown"
        count, children = 1, None
        heights: tuple[float, ...] = ()
        px_per_m = self.intrinsics.focal_px / m.range_m
        if kind == "person":
            count, children, heights = self._people(m, px_per_m)
        return Found(
            box=m.blob.box,
            kind=kind,
            probability=float(probs[best]),
            count=count,
            children=children,
            east=m.east,
            north=m.north,
            range_m=m.range_m,
            sigma_m=m.sigma_m,
            pixel_sigma_m=m.pixel_sigma_m,
            relief_gain=m.relief_gain,
            across_sigma_m=self.errors.pixel * m.range_m / self.intrinsics.focal_px,
            heights_m=heights,
            members=(m.blob.box,),
        )

    def _ground(
        self, blobs: list[Candidate], pose: Pose, low: float
    ) -> tuple[F64, F64, F64, F64, GroundErrors]:
        """Ground points of the blobs' feet: east, north, slant range, depression (degrees),
        one array each (NaN east/north: at or above the horizon), and their errors."""
        # Looking steeply down, a body's centre is over its feet; from the side, its lowest
        # pixels are the feet, less the blur that spreads them below the true edge.
        if pose.tilt_deg >= 45.0:
            points = [centroid(b) for b in blobs]
        else:
            blur = self.settings.blur_px
            points = [(b.foot_u, foot_edge(b, low, blur)) for b in blobs]
        u = np.array([p[0] for p in points])
        v = np.array([p[1] for p in points])
        east, north, slant = ground_point(pose, self.intrinsics, u, v)
        errors = ground_errors(pose, self.intrinsics, self.errors, u, v)
        depression = np.degrees(np.arctan2(pose.height_m, np.hypot(east, north)))
        return east, north, slant, depression, errors

    def _people(self, m: Measured, px_per_m: float) -> tuple[int, int | None, tuple[float, ...]]:
        """(head count, children or None when not judged, standing heights in metres)."""
        blob, low, peaks = m.blob, m.low, m.heads
        side = m.depression_deg < 45.0
        width_m = blob.width_px / px_per_m
        # A person with arms is at most ~0.75 m wide from the side: more heads than fit the
        # width are noise on the profile, not people.
        count = max(1, min(len(peaks), max(1, int(width_m / 0.35))))
        if not side or blob.height_px < self.settings.age_min_px:
            return count, None, ()
        own = blob.contrast > 0
        bounds = [0, *((a + b) // 2 + 1 for a, b in itertools.pairwise(peaks)), blob.width_px]
        if len(bounds) - 1 != count:
            bounds = [0, blob.width_px] if count == 1 else bounds[: count + 1]
        heights = []
        blur = self.settings.blur_px
        for lo, hi in itertools.pairwise(bounds):
            band = blob.contrast[:, lo:hi]
            rows = np.nonzero(own[:, lo:hi].any(axis=1))[0]
            if len(rows):
                # Both ends are blurred past the true outline: the hot head by more than the
                # cool feet (foot_edge explains the correction).
                top = rows.min() + edge_spread(
                    float(band[rows.min() : rows.min() + 2].max()), low, blur
                )
                bottom = (
                    rows.max()
                    + 1
                    - edge_spread(
                        float(band[max(rows.max() - 1, 0) : rows.max() + 1].max()), low, blur
                    )
                )
                heights.append(float(bottom - top) / px_per_m)
        if len(heights) != count or min(heights, default=0) * px_per_m < self.settings.age_min_px:
            return count, None, tuple(heights)
        children = sum(1 for h in heights if h < self.settings.child_below_m)
        return count, children, tuple(heights)


def foot_edge(blob: Candidate, low: float, blur_px: float) -> float:
    """Image row (continuous) of a blob's lower edge, corrected for blur.

    A blurred edge of contrast C falls off as C·Φ((edge - v)/s), with s the optical blur and
    the pixel's own width (variance 1/12) combined. The lowest pixel row above the threshold
    ``low`` has its centre within half a pixel of where the profile crosses it, at
    s·Φ⁻¹(1 - low/C) below the true edge; C is read on the blob's two lowest rows (the legs).
    """
    return blob.box[3] - edge_spread(float(blob.contrast[-2:].max()), low, blur_px)


def edge_spread(level: float, low: float, blur_px: float) -> float:
    """How far (pixels) a blurred edge of contrast ``level`` stays above ``low`` beyond the
    true edge: s·Φ⁻¹(1 - low/level), s² = blur² + 1/12 (the pixel's own width)."""
    if level <= 2.0 * low:
        return 0.0
    spread = math.sqrt(blur_px**2 + 1.0 / 12.0)
    return NormalDist().inv_cdf(1.0 - low / level) * spread


def _first_ground_row(intr: Intrinsics, pose: Pose) -> int:
    """First image row wholly below the horizon (+2 rows of margin for blur)."""
    if pose.tilt_deg - math.degrees(math.atan(intr.height_px / 2 / intr.focal_px)) > 0:
        return 0
    horizon_v = intr.height_px / 2.0 - intr.focal_px * math.tan(math.radians(pose.tilt_deg))
    return int(min(max(math.ceil(horizon_v) + 2, 0), intr.height_px))


def group_people(
    found: list[Found],
    radius_m: float,
    *,
    relief_m: float | None = None,
    relief_length_m: float = 50.0,
) -> list[Found]:
    """Join person blobs within ``radius_m`` of each other (single linkage) into one,
    allowing for two sigmas of the error of their separation.

    Two blobs in one frame of one camera share its pose errors, which move nearby ground
    points alike and cancel in their separation; what does not cancel is locating each
    foot in the image and the ground under them differing in height (``relief_m`` at most,
    in proportion to their distance up to ``relief_length_m``). Range errors of a low
    camera are large (a 1 m bump moves a foot point by R/h metres), so this is what keeps
    a deer 15 m behind a group at 100 m out of it, while members in file along the line of
    sight stay joined. Without the split (``relief_m`` None, or blobs without it), the
    larger absolute sigma of the two is allowed for instead."""
    people = [f for f in found if f.kind == "person"]
    others = [f for f in found if f.kind != "person"]
    parent = list(range(len(people)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def near(a: Found, b: Found) -> bool:
        apart = math.hypot(a.east - b.east, a.north - b.north)
        sigma = _separation_sigma(a, b, apart, relief_m, relief_length_m)
        return apart <= radius_m + 2.0 * sigma

    for i in range(len(people)):
        for j in range(i + 1, len(people)):
            if near(people[i], people[j]):
                parent[root(i)] = root(j)
    clusters: dict[int, list[Found]] = {}
    for i, person in enumerate(people):
        clusters.setdefault(root(i), []).append(person)
    groups = []
    for members in clusters.values():
        unnamed = [
            o for o in others if o.kind in UNNAMED_KINDS and any(near(m, o) for m in members)
        ]
        groups.append(count_range(_merge(members), unnamed))
    if len(people) < 2:  # nothing joined: the order found (callers number detections by it)
        return [groups[0] if f.kind == "person" else f for f in found]
    return groups + others


UNNAMED_KINDS = ("unknown", "animal")
"""Warm blobs not called people that may yet be one (a small child the classifier was not
sure of, a far adult taken for a coyote): near a group, each widens its head count's range."""


def count_range(group: Found, unnamed: list[Found]) -> Found:
    """``group`` with its head count's plausible range in this frame.

    Low: the count. High: the count plus one for each warm blob within the group's reach
    that the classifier would not call a person (``unnamed``, :data:`UNNAMED_KINDS`): a
    child under 10 px or a far adult is as often called unknown or an animal as a person,
    and a group's count misses that member."""
    return replace(group, count_low=group.count, count_high=group.count + len(unnamed))


def _separation_sigma(
    a: Found, b: Found, apart: float, relief_m: float | None, relief_length_m: float
) -> float:
    """1-sigma error of the distance between two blobs' ground points (group_people).

    The errors that do not cancel between two blobs of one frame — a foot's row in the
    image, the ground under it above or below the plane — move its ground point along the
    line of sight (a ray meeting the ground higher or lower), not across it; across, a
    foot's column error moves it by ``across_sigma_m``, a pixel's width at its range. So
    only the share of the separation that lies along the line of sight carries the range
    errors: two blobs side by side across the view at 800 m are not allowed the tens of
    metres their range errors reach (a deer 60 m to the side of a group, from a 25 m mast,
    was joined to it before 2026-12-06)."""
    parts = (a.pixel_sigma_m, b.pixel_sigma_m, a.relief_gain, b.relief_gain)
    if relief_m is None or any(p is None for p in parts):
        return max(a.sigma_m, b.sigma_m)
    pa, pb, ga, gb = (float(p) for p in parts)  # type: ignore[arg-type]
    # The relief term grows with the separation it blurs; up to the whole relief it is
    # never more than the absolute error (whose relief term it is a part of).
    relief = relief_m * min(1.0, apart / relief_length_m) * max(ga, gb)
    along = math.sqrt(pa**2 + pb**2 + relief**2)
    if a.across_sigma_m is None or b.across_sigma_m is None:
        return min(along, max(a.sigma_m, b.sigma_m))
    # The line of sight is the direction from the camera (the origin) to the pair's middle;
    # cos_los is the share of their separation along it.
    mid_e, mid_n = (a.east + b.east) / 2.0, (a.north + b.north) / 2.0
    reach = math.hypot(mid_e, mid_n)
    if apart < 1e-6 or reach < 1e-6:
        cos_los = 1.0
    else:
        cos_los = abs((b.east - a.east) * mid_e + (b.north - a.north) * mid_n) / (apart * reach)
    across = math.hypot(a.across_sigma_m, b.across_sigma_m)
    projected = math.sqrt((along * cos_los) ** 2 + (across * (1.0 - cos_los**2) ** 0.5) ** 2)
    return min(projected, max(a.sigma_m, b.sigma_m))


def _merge(members: list[Found]) -> Found:
    if len(members) == 1:
        return members[0]
    weights = np.array([f.count for f in members], float)
    children = (
        None if any(f.children is None for f in members) else sum(f.children or 0 for f in members)
    )
    return Found(
        box=(
            min(f.box[0] for f in members),
            min(f.box[1] for f in members),
            max(f.box[2] for f in members),
            max(f.box[3] for f in members),
        ),
        kind="person",
        probability=max(f.probability for f in members),
        count=int(weights.sum()),
        children=children,
        east=float(np.average([f.east for f in members], weights=weights)),
        north=float(np.average([f.north for f in members], weights=weights)),
        range_m=float(np.average([f.range_m for f in members], weights=weights)),
        sigma_m=max(f.sigma_m for f in members),
        pixel_sigma_m=_largest([f.pixel_sigma_m for f in members]),
        relief_gain=_largest([f.relief_gain for f in members]),
        across_sigma_m=_largest([f.across_sigma_m for f in members]),
        heights_m=tuple(h for f in members for h in f.heights_m),
        members=tuple(b for f in members for b in f.members),
    )


def _largest(values: list[float | None]) -> float | None:
    """The largest, or None when any is unknown (a group is as uncertain as its worst)."""
    return None if any(v is None for v in values) else max(v for v in values if v is not None)
