"""Render synthetic long-wave infrared frames with ground truth.

A frame is built in radiance (W m⁻² sr⁻¹ over 8-14 µm), because a pixel that sees half a
person and half snow receives the mean of their radiances, not of their temperatures:

1. background: snow (near-blackbody, a few per cent less at grazing angles, reflecting the
   cold sky), its drifts, and the sky above the horizon;
2. bodies (people, animals, vehicles, trees, rocks) projected part by part through the
   camera model, 4x4 sub-samples per pixel for the partial pixels at their edges,
   painted far to near, attenuated by the air between (τ = e^(-βR), path radiance);
3. optics blur (Gaussian, sigma 0.5 px: a 1.2 px full width at half maximum, references.md),
   vignetting, fixed-pattern noise (per-pixel offsets and column stripes), temporal noise
   of the camera's NETD (fixed in radiance, so about 0.1 K on a -27 °C scene), slow offset
   drift and the flat-field-correction (NUC) jump;
4. output as a radiometric 16-bit image (0.01 K per count, the "TLinear" convention of
   radiometric cores) or an 8-bit image through an automatic gain control.

Truth per frame: each body's box in pixels, its ground position, range, kind, group and
whether a person is a child. Everything is marked simulated by its producer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from borderwatch.adapters.sources.thermal.camera import Intrinsics, Pose
from borderwatch.sim.lwir.bodies import Part
from borderwatch.sim.lwir.physics import (
    CLEAR_SKY_C,
    KELVIN_0C,
    NETD_K,
    NETD_REFERENCE_K,
    SNOW_EMISSIVITY,
    radiance_slope,
    radiance_to_temperature,
    temperature_to_radiance,
    transmittance,
)

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
SUBSAMPLES = 4
"""Sub-samples per pixel along each axis when painting bodies (16 per pixel)."""
BLUR_SIGMA_PX = 0.5
KELVIN_PER_COUNT = 0.01
"""Radiometric output: counts = kelvin / 0.01 (the TLinear high-resolution convention)."""


@dataclass(frozen=True, kw_only=True)
class Body:
    """Something in the scene at one moment."""

    body_id: str
    kind: str
    """person, deer, coyote, vehicle, tree or rock."""
    parts: tuple[Part, ...]
    east: float
    north: float
    heading_deg: float
    ground_up: float = 0.0
    """Height of the ground under it above the camera's ground plane (terrain relief)."""
    group_id: str | None = None
    child: bool = False
    height_m: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Conditions:
    air_c: float = -27.0
    dawn: bool = False
    extinction_per_km: float = 0.15
    """Clear cold air transmits > 0.9 over a few hundred metres (references.md); falling snow
    is nearer 1 per km."""
    drift_amplitude_k: float = 0.3
    netd_k: float = NETD_K

    @property
    def air_k(self) -> float:
        return self.air_c + KELVIN_0C

    @property
    def snow_k(self) -> float:
        # Snow radiates to the sky and sits a little below the air at night (references.md).
        return self.air_k - (0.2 if not self.dawn else 0.0)

    @property
    def sky_k(self) -> float:
        return CLEAR_SKY_C + KELVIN_0C + (8.0 if self.dawn else 0.0)


@dataclass(frozen=True, kw_only=True)
class TruthBox:
    body_id: str
    kind: str
    group_id: str | None
    child: bool
    box: tuple[float, float, float, float]
    """(u0, v0, u1, v1) pixels, clipped to the image."""
    foot_u: float
    foot_v: float
    east: float
    north: float
    range_m: float
    height_m: float

    @property
    def size_px(self) -> float:
        """Largest extent in pixels (a standing person's height in a side view)."""
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])


@dataclass(kw_only=True)
class Sensor:
    """The camera's own artefacts: fixed pattern, drift, NUC jumps, and its noise stream."""

    intrinsics: Intrinsics
    rng: np.random.Generator
    conditions: Conditions
    nuc_frames: tuple[int, ...] = ()
    """Frames at which a flat-field correction changes the offsets (a jump)."""
    _fpn: F32 = field(init=False, repr=False)
    _vignette: F32 = field(init=False, repr=False)
    _offset_k: float = 0.0

    def __post_init__(self) -> None:
        self._fpn = self._new_pattern()
        h, w = self.intrinsics.height_px, self.intrinsics.width_px
        yy, xx = np.mgrid[0:h, 0:w]
        r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
        self._vignette = (-0.3 * r2).astype(np.float32)  # corners ~0.3 K cooler

    def _new_pattern(self) -> F32:
        h, w = self.intrinsics.height_px, self.intrinsics.width_px
        pixels = self.rng.normal(0.0, 0.03, (h, w))
        columns = self.rng.normal(0.0, 0.03, (1, w))
        return (pixels + columns).astype(np.float32)

    def advance(self, index: int) -> float:
        """Move the camera's own state to frame ``index`` (a NUC jump there, the slow offset
        drift); return the offset in kelvin. :meth:`apply` calls it; so does a renderer that
        composes the frame itself (``stream.py``), with the same random draws in the same
        order."""
        if index in self.nuc_frames:
            self._fpn = self._new_pattern()
            # The offset the shutter correction removes has built up since the last one:
            # assumed 0.5-1.5 K either way (references.md gives no figure; it names the jump).
            self._offset_k += float(self.rng.choice([-1.0, 1.0]) * self.rng.uniform(0.5, 1.5))
        self._offset_k += float(self.rng.normal(0.0, 0.002))  # slow drift
        return self._offset_k

    @property
    def fixed_pattern(self) -> F32:
        """Per-pixel and per-column offsets plus vignetting, kelvin (changes at a NUC)."""
        return self._fpn + self._vignette

    @property
    def noise_radiance(self) -> float:
        """1-sigma temporal noise in radiance: the NETD times dL/dT at its 30 °C reference
        (references.md: the NETD is a radiance noise)."""
        return self.conditions.netd_k * radiance_slope(NETD_REFERENCE_K)

    def apply(self, index: int, radiance: F64) -> F32:
        """Radiance -> the apparent temperature the camera reports, kelvin, with artefacts."""
        offset = self.advance(index)
        blurred = ndimage.gaussian_filter(radiance, BLUR_SIGMA_PX, mode="nearest")
        blurred += self.rng.normal(0.0, self.noise_radiance, blurred.shape)
        temp = radiance_to_temperature(blurred).astype(np.float32)
        return temp + self._fpn + self._vignette + np.float32(offset)


def to_radiometric(temperature_k: F32) -> NDArray[np.uint16]:
    return np.clip(np.round(temperature_k / KELVIN_PER_COUNT), 0, 65535).astype(np.uint16)


def to_8bit(
    temperature_k: F32, previous: tuple[float, float] | None = None
) -> tuple[NDArray[np.uint8], tuple[float, float]]:
    """Automatic gain control: a linear stretch between the 1st and 99.9th percentiles,
    smoothed from frame to frame (so the gain changes a little every frame)."""
    sample = temperature_k[::4, ::4]
    low, high = (float(x) for x in np.percentile(sample, [1.0, 99.9]))
    if previous is not None:
        low, high = 0.7 * previous[0] + 0.3 * low, 0.7 * previous[1] + 0.3 * high
    high = max(high, low + 1.0)
    scaled = (temperature_k - low) * (255.0 / (high - low))
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8), (low, high)


def background(intr: Intrinsics, pose: Pose, cond: Conditions, phases: F64) -> F64:
    """Radiance of snow and sky seen by each pixel (before the bodies)."""
    h, w = intr.height_px, intr.width_px
    # A pixel's ray is forward + x·right + y·down (camera.ground_point); right is level, so
    # whether a ray meets the ground, and how far along it does, depend on the row only:
    # those are computed per row, and only east, north and range per pixel.
    forward, right, down = _axes(pose)
    x = (np.arange(w) + 0.5 - w / 2.0) / intr.focal_px
    y = (np.arange(h) + 0.5 - h / 2.0) / intr.focal_px
    drop = -(forward[2] + y * down[2])
    ground_rows = np.flatnonzero(drop > 1e-9)
    yg = y[ground_rows, None]
    scale = pose.height_m / drop[ground_rows, None]
    ray_e = forward[0] + x * right[0] + yg * down[0]
    ray_n = forward[1] + x * right[1] + yg * down[1]
    ray_u = forward[2] + yg * down[2]
    e, n = scale * ray_e, scale * ray_n
    slant = scale * np.sqrt(ray_e * ray_e + ray_n * ray_n + ray_u * ray_u)
    # The drifts in single precision: their sines cost a twentieth as much. Relative error
    # 6e-8 of a phase: under a microkelvin for ground within a few km, a few tenths of a
    # millikelvin near the horizon (ground 100 km away), far below the 0.1 K noise.
    e32, n32 = e.astype(np.float32), n.astype(np.float32)
    drift = cond.drift_amplitude_k * (
        np.sin(e32 / np.float32(37.0) + np.float32(phases[0]))
        * np.cos(n32 / np.float32(53.0) + np.float32(phases[1]))
        * np.float32(0.6)
        + np.sin((e32 + n32) / np.float32(11.0) + np.float32(phases[2])) * np.float32(0.4)
    ).astype(float)
    # sin(depression) of the ray to each ground point, h / sqrt(h² + horizontal²).
    horizontal2 = np.maximum(e * e + n * n, 1e-12)
    sin_depression = pose.height_m / np.sqrt(pose.height_m**2 + horizontal2)
    # Snow emissivity falls a few per cent at grazing angles (references.md).
    emissivity = SNOW_EMISSIVITY - 0.03 * (1.0 - sin_depression) ** 3
    snow_l = emissivity * temperature_to_radiance(cond.snow_k + drift) + (1.0 - emissivity) * float(
        temperature_to_radiance(cond.sky_k)
    )
    tau = transmittance(slant, cond.extinction_per_km)
    air_l = float(temperature_to_radiance(cond.air_k))
    snow_l = tau * snow_l + (1.0 - tau) * air_l
    # Above the horizon: the sky, warming toward the air temperature near the horizon
    # (a longer path through the air).
    elevation = _elevation(intr, pose, np.arange(h, dtype=float) + 0.5)
    sky_k = cond.air_k - (cond.air_k - cond.sky_k) * (1.0 - np.exp(-np.maximum(elevation, 0) / 4.0))
    out = np.repeat(temperature_to_radiance(sky_k)[:, None], w, axis=1)
    out[ground_rows] = snow_l
    return out


def _axes(pose: Pose) -> tuple[F64, F64, F64]:
    """Unit vectors (east, north, up) of the image's forward, right and down directions (as
    ``sources.thermal.camera``)."""
    az, tilt = math.radians(pose.azimuth_deg), math.radians(pose.tilt_deg)
    forward = np.array(
        [math.sin(az) * math.cos(tilt), math.cos(az) * math.cos(tilt), -math.sin(tilt)]
    )
    right = np.array([math.cos(az), -math.sin(az), 0.0])
    down = np.cross(forward, right)
    return forward, right, down


def _elevation(intr: Intrinsics, pose: Pose, vv: F64) -> F64:
    """Approximate elevation angle (degrees) of each row's ray above the horizon."""
    return -pose.tilt_deg - np.degrees(np.arctan((vv - intr.height_px / 2) / intr.focal_px))
