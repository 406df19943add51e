"""A camera's frames in sequence, rendered without redoing what does not change.

A fixed camera (or a pan-tilt camera between two moves) sees the same snow and sky in every
frame. ``FrameStream`` keeps, per pose, the background's radiance, blurred image and apparent
temperature; per frame it paints the movers, re-blurs and converts exactly only the region
they changed (plus the blur's reach), adds fresh temporal noise to every pixel (in kelvin,
through each pixel's dT/dL, where nothing changed: within 0.1 mK of exact), then the
camera's fixed pattern, vignetting and drift. How, and why the noise is never reused:
docs/thermal.md ("Scenario sensors that produce frames"). ``Sensor.apply`` stays the
reference; ``tests/unit/test_lwir_stream.py`` checks this path against it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.special import ndtri

from borderwatch.adapters.sources.thermal.camera import Intrinsics, Pose
from borderwatch.sim.lwir.paint import paint
from borderwatch.sim.lwir.physics import radiance_to_temperature, temperature_to_radiance
from borderwatch.sim.lwir.render import (
    BLUR_SIGMA_PX,
    F32,
    F64,
    Body,
    Conditions,
    Sensor,
    TruthBox,
    background,
)

BLUR_REACH_PX = int(4.0 * BLUR_SIGMA_PX + 0.5)
"""How far the optics blur carries a change (scipy's Gaussian kernel radius, truncate 4)."""
_LEVELS = 65536


@functools.lru_cache(maxsize=1)
def _quantiles() -> F32:
    """Standard normal quantiles at the middle of each of 65536 equal-probability bins."""
    middle = (np.arange(_LEVELS, dtype=float) + 0.5) / _LEVELS
    return np.asarray(ndtri(middle), np.float32)


def standard_normal(rng: np.random.Generator, shape: tuple[int, int]) -> F32:
    """Independent standard normal draws, float32 (module docstring: table and tails)."""
    index = rng.integers(0, _LEVELS, size=shape, dtype=np.uint16)
    out = np.take(_quantiles(), index)
    # The outermost bins (0 and 65535: one less wraps them to the top two values) hold the
    # tails beyond ±4.33 sigma: draw within them exactly. About ten pixels a frame.
    outer = np.flatnonzero((index - np.uint16(1)) >= _LEVELS - 2)
    if len(outer):
        flat = out.reshape(-1)
        sign = np.where(index.reshape(-1)[outer] == 0, 1.0, -1.0)
        flat[outer] = sign * ndtri(rng.uniform(0.0, 1.0 / _LEVELS, len(outer)))
    return out


@dataclass(eq=False)
class _View:
    """What stays the same while the camera holds a pose."""

    pose: Pose
    radiance: F64
    """Snow and sky radiance before blur: the movers are painted on (a copy of) this."""
    blurred: F64
    temperature: F32
    """Apparent temperature of the blurred background, kelvin."""
    noise_kelvin: F32
    """The camera's radiance noise (1 sigma) in kelvin at each background pixel: the noise
    times dT/dL there."""


class FrameStream:
    """Frames of one camera, pose by pose (a pose that repeats keeps its background)."""

    def __init__(
        self, intrinsics: Intrinsics, conditions: Conditions, sensor: Sensor, phases: F64
    ) -> None:
        self.intrinsics = intrinsics
        self.conditions = conditions
        self.sensor = sensor
        self.phases = phases
        self._view: _View | None = None
        self._work: F64 | None = None
        self._pattern: F32 | None = None
        self._still: F32 | None = None
        """Background temperature plus fixed pattern: what a frame is without noise."""

    def frame(
        self, index: int, pose: Pose, bodies: list[Body], *, moving: bool = False
    ) -> tuple[F32, list[TruthBox]]:
        """(apparent temperature in kelvin, truth) of frame ``index``, seen from ``pose``.
        ``moving``: the pose changes from frame to frame (a drone), so nothing is kept."""
        if moving:
            return self._moving(index, pose, bodies)
        view = self._view_for(pose)
        work = self._work
        assert work is not None
        offset = np.float32(self.sensor.advance(index))
        if index in self.sensor.nuc_frames or self._still is None or self._pattern is None:
            # The fixed pattern is new after a flat-field correction (Sensor.advance).
            self._pattern = self.sensor.fixed_pattern
            self._still = view.temperature + self._pattern
        pattern = self._pattern
        truths = paint(work, self.intrinsics, pose, self.conditions, bodies)
        regions = _merge([_grow(t.box, BLUR_REACH_PX, work.shape) for t in truths])
        noise = standard_normal(self.sensor.rng, work.shape)
        noise_l = self.sensor.noise_radiance
        out = noise * view.noise_kelvin
        out += self._still
        out += offset
        for r0, r1, c0, c1 in regions:
            # Blur a window wider by the kernel's reach, keep its exact middle.
            wr0, wr1, wc0, wc1 = _grow((c0, r0, c1, r1), BLUR_REACH_PX, work.shape)
            blurred = ndimage.gaussian_filter(
                work[wr0:wr1, wc0:wc1], BLUR_SIGMA_PX, mode="nearest"
            )[r0 - wr0 : r1 - wr0, c0 - wc0 : c1 - wc0]
            seen = blurred + noise[r0:r1, c0:c1] * noise_l
            out[r0:r1, c0:c1] = (
                radiance_to_temperature(seen).astype(np.float32) + pattern[r0:r1, c0:c1]
            ) + offset
        for truth in truths:  # undo the painting: the next frame starts from the background
            u0, v0, u1, v1 = (int(x) for x in truth.box)
            work[v0:v1, u0:u1] = view.radiance[v0:v1, u0:u1]
        return out, truths

    def _moving(self, index: int, pose: Pose, bodies: list[Body]) -> tuple[F32, list[TruthBox]]:
        """``Sensor.apply`` on a fresh background, with the table noise."""
        radiance = background(self.intrinsics, pose, self.conditions, self.phases)
        offset = np.float32(self.sensor.advance(index))
        truths = paint(radiance, self.intrinsics, pose, self.conditions, bodies)
        blurred = ndimage.gaussian_filter(radiance, BLUR_SIGMA_PX, mode="nearest")
        blurred += standard_normal(self.sensor.rng, blurred.shape) * self.sensor.noise_radiance
        out = radiance_to_temperature(blurred).astype(np.float32)
        out += self.sensor.fixed_pattern
        out += offset
        return out, truths

    def _view_for(self, pose: Pose) -> _View:
        if self._view is not None and self._view.pose == pose:
            return self._view
        radiance = background(self.intrinsics, pose, self.conditions, self.phases)
        blurred = ndimage.gaussian_filter(radiance, BLUR_SIGMA_PX, mode="nearest")
        temperature = radiance_to_temperature(blurred)
        # dT/dL = 1 / (dL/dT), by central difference on the radiance table.
        above = temperature_to_radiance(temperature + 0.025)
        slope = (above - temperature_to_radiance(temperature - 0.025)) / 0.05
        self._view = _View(
            pose=pose,
            radiance=radiance,
            blurred=blurred,
            temperature=temperature.astype(np.float32),
            noise_kelvin=(self.sensor.noise_radiance / slope).astype(np.float32),
        )
        self._work = radiance.copy()
        self._still = None
        return self._view


def _grow(
    box: tuple[float, float, float, float], by: int, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """(u0, v0, u1, v1) pixels grown by ``by`` on every side, clipped: (r0, r1, c0, c1)."""
    u0, v0, u1, v1 = box
    h, w = shape[0], shape[1]
    return (
        max(math.floor(v0) - by, 0),
        min(math.ceil(v1) + by, h),
        max(math.floor(u0) - by, 0),
        min(math.ceil(u1) + by, w),
    )


_NEARBY_PX = 2000
"""Two regions are redone as one when their joint box has at most this many more pixels
than they have: a few thousand pixels cost less than another blur and conversion call."""


def _merge(regions: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """(r0, r1, c0, c1) rectangles joined into their bounding rectangles while two overlap
    (so no pixel is converted twice from a partial window) or lie close (a group's members:
    one call instead of nine). A bounding rectangle only adds pixels, which are then
    recomputed exactly, so joining never changes the frame."""
    out = list(regions)
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                joint = (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
                overlap = a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]
                if overlap or _area(joint) <= _area(a) + _area(b) + _NEARBY_PX:
                    out[i] = joint
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    return out


def _area(region: tuple[int, int, int, int]) -> int:
    return (region[1] - region[0]) * (region[3] - region[2])


__all__ = ["BLUR_REACH_PX", "FrameStream", "standard_normal"]
