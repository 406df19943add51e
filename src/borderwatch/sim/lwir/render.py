"""Render synthetic long-wave infrared frames with ground truth.

A frame is built in radiance (W m⁻² sr⁻¹ over 8-14 µm), because a pixel that sees half a
person and half snow receives the mean of their radiances, not of their temperatures:

1. background: snow (near-blackbody, a few per cent less at grazing angles, reflecting the
   cold sky), its drifts, and the sky above the horizon;
2. bodies (people, animals, vehicles, trees, rocks) projected part by part through the
   camera model, 4x4 sub-samples per pixel for the partial pixels at their edges,
   painted far to near, attenuated by the air between (τ = e^(-βR), path radiance);
3. optics blur (Gaussian, sigma 0.5 px: a 1.2 px full width at half maximum, thermal.md),
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
from borderwatch.sources.thermal.camera import Intrinsics, Pose, ground_point, project

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
    """Clear cold air transmits > 0.9 over a few hundred metres (thermal.md); falling snow
    is nearer 1 per km."""
    drift_amplitude_k: float = 0.3
    netd_k: float = NETD_K

    @property
    def air_k(self) -> float:
        return self.air_c + KELVIN_0C

    @property
    def snow_k(self) -> float:
        # Snow radiates to the sky and sits a little below the air at night (thermal.md).
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

    def apply(self, index: int, radiance: F64) -> F32:
        """Radiance -> the apparent temperature the camera reports, kelvin, with artefacts."""
        if index in self.nuc_frames:
            self._fpn = self._new_pattern()
            # The offset the shutter correction removes has built up since the last one:
            # assumed 0.5-1.5 K either way (thermal.md gives no figure; it names the jump).
            self._offset_k += float(self.rng.choice([-1.0, 1.0]) * self.rng.uniform(0.5, 1.5))
        self._offset_k += float(self.rng.normal(0.0, 0.002))  # slow drift
        blurred = ndimage.gaussian_filter(radiance, BLUR_SIGMA_PX, mode="nearest")
        # The NETD is a radiance noise: NETD x dL/dT at its 30 °C reference (thermal.md).
        noise_l = self.conditions.netd_k * radiance_slope(NETD_REFERENCE_K)
        blurred += self.rng.normal(0.0, noise_l, blurred.shape)
        temp = radiance_to_temperature(blurred).astype(np.float32)
        return temp + self._fpn + self._vignette + np.float32(self._offset_k)


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
    vv, uu = np.mgrid[0:h, 0:w].astype(float) + 0.5
    east, north, slant = ground_point(pose, intr, uu, vv)
    ground = np.isfinite(east)
    e = np.where(ground, east, 0.0)
    n = np.where(ground, north, 0.0)
    drift = cond.drift_amplitude_k * (
        np.sin(e / 37.0 + phases[0]) * np.cos(n / 53.0 + phases[1]) * 0.6
        + np.sin((e + n) / 11.0 + phases[2]) * 0.4
    )
    horizontal = np.hypot(e, n)
    depression = np.arctan2(pose.height_m, np.maximum(horizontal, 1e-6))
    # Snow emissivity falls a few per cent at grazing angles (thermal.md).
    emissivity = SNOW_EMISSIVITY - 0.03 * (1.0 - np.sin(depression)) ** 3
    snow_l = emissivity * temperature_to_radiance(cond.snow_k + drift) + (1.0 - emissivity) * float(
        temperature_to_radiance(cond.sky_k)
    )
    tau = transmittance(np.where(ground, slant, 0.0), cond.extinction_per_km)
    air_l = float(temperature_to_radiance(cond.air_k))
    snow_l = tau * snow_l + (1.0 - tau) * air_l
    # Above the horizon: the sky, warming toward the air temperature near the horizon
    # (a longer path through the air).
    elevation = _elevation(intr, pose, vv)
    sky_k = cond.air_k - (cond.air_k - cond.sky_k) * (1.0 - np.exp(-np.maximum(elevation, 0) / 4.0))
    sky_l = temperature_to_radiance(sky_k)
    return np.where(ground, snow_l, sky_l)


def _elevation(intr: Intrinsics, pose: Pose, vv: F64) -> F64:
    """Approximate elevation angle (degrees) of each row's ray above the horizon."""
    return -pose.tilt_deg - np.degrees(np.arctan((vv - intr.height_px / 2) / intr.focal_px))


def paint(
    radiance: F64, intr: Intrinsics, pose: Pose, cond: Conditions, bodies: list[Body]
) -> list[TruthBox]:
    """Paint bodies into ``radiance`` (in place), far to near; return their truth boxes."""
    placed = []
    for body in bodies:
        u0, v0, depth = project(pose, intr, [body.east], [body.north], [body.ground_up])
        if not (depth[0] > 1.0 and np.isfinite(u0[0])):
            continue
        placed.append((float(depth[0]), body, float(u0[0]), float(v0[0])))
    placed.sort(key=lambda item: -item[0])
    truths = []
    for distance, body, fu, fv in placed:
        truth = _paint_body(radiance, intr, pose, cond, body, fu, fv, distance)
        if truth is not None:
            truths.append(truth)
    return truths


def _jacobian(pose: Pose, intr: Intrinsics, body: Body, fu: float, fv: float) -> F64:
    """Image offset (du, dv) per metre east, north and up at the body: a local affine camera."""
    e = body.east + np.array([1.0, 0.0, 0.0])
    n = body.north + np.array([0.0, 1.0, 0.0])
    z = body.ground_up + np.array([0.0, 0.0, 1.0])
    u, v, _ = project(pose, intr, e, n, z)
    return np.array([u - fu, v - fv])


def _paint_body(
    radiance: F64,
    intr: Intrinsics,
    pose: Pose,
    cond: Conditions,
    body: Body,
    fu: float,
    fv: float,
    depth: float,
) -> TruthBox | None:
    jac = _jacobian(pose, intr, body, fu, fv)
    psi = math.radians(body.heading_deg)
    # Body axes in (east, north, up): along the heading, to its right, up.
    rot = np.array(
        [[math.sin(psi), math.cos(psi), 0.0], [math.cos(psi), -math.sin(psi), 0.0], [0, 0, 1.0]]
    ).T
    image_of = jac @ rot  # 2x3: body metres -> pixels
    forward_dot = rot.T @ _forward(pose)
    parts = sorted(body.parts, key=lambda p: -float(forward_dot @ [p.along, p.across, p.up]))
    centres: list[F64] = []
    semis: list[F64] = []
    inverses: list[F64 | None] = []
    for p in parts:
        centre = image_of @ [p.along, p.across, p.up]
        scaled = image_of * [p.semi_along, p.semi_across, p.semi_up]
        if p.box:
            semi = np.abs(scaled).sum(axis=1)
            inverses.append(None)
        else:
            cov = scaled @ scaled.T
            semi = np.sqrt(np.diag(cov))
            inverses.append(np.linalg.inv(cov + np.eye(2) * 1e-9))
        centres.append(centre)
        semis.append(semi)
    foot = np.array([fu, fv])
    lo = np.min([c - s for c, s in zip(centres, semis, strict=True)], axis=0) + foot
    hi = np.max([c + s for c, s in zip(centres, semis, strict=True)], axis=0) + foot
    h, w = radiance.shape
    c0, r0 = max(math.floor(lo[0]), 0), max(math.floor(lo[1]), 0)
    c1, r1 = min(math.ceil(hi[0]), w), min(math.ceil(hi[1]), h)
    if c1 <= c0 or r1 <= r0:
        return None
    step = 1.0 / SUBSAMPLES
    xs = c0 + (np.arange((c1 - c0) * SUBSAMPLES) + 0.5) * step - fu
    ys = r0 + (np.arange((r1 - r0) * SUBSAMPLES) + 0.5) * step - fv
    gx, gy = np.meshgrid(xs, ys)
    fine = np.full(gx.shape, np.nan)
    tau = float(transmittance(depth, cond.extinction_per_km))
    air_l = float(temperature_to_radiance(cond.air_k))
    for p, centre, semi, inverse in zip(parts, centres, semis, inverses, strict=True):
        dx, dy = gx - centre[0], gy - centre[1]
        if inverse is None:
            inside = (np.abs(dx) <= semi[0]) & (np.abs(dy) <= semi[1])
        else:
            q = inverse[0, 0] * dx * dx + 2 * inverse[0, 1] * dx * dy + inverse[1, 1] * dy * dy
            inside = q <= 1.0
        emitted = 0.98 * float(temperature_to_radiance(p.temperature_k)) + 0.02 * float(
            temperature_to_radiance(cond.sky_k)
        )
        fine[inside] = tau * emitted + (1.0 - tau) * air_l
    covered = np.isfinite(fine)
    if not covered.any():
        return None
    shape = (r1 - r0, SUBSAMPLES, c1 - c0, SUBSAMPLES)
    alpha = covered.reshape(shape).mean(axis=(1, 3))
    summed = np.where(covered, fine, 0.0).reshape(shape).sum(axis=(1, 3)) / SUBSAMPLES**2
    window = radiance[r0:r1, c0:c1]
    window[...] = window * (1.0 - alpha) + summed
    rows, cols = np.nonzero(alpha > 0.0)
    box = (
        float(c0 + cols.min()),
        float(r0 + rows.min()),
        float(c0 + cols.max() + 1),
        float(r0 + rows.max() + 1),
    )
    horizontal = math.hypot(body.east, body.north)
    return TruthBox(
        body_id=body.body_id,
        kind=body.kind,
        group_id=body.group_id,
        child=body.child,
        box=box,
        foot_u=fu,
        foot_v=fv,
        east=body.east,
        north=body.north,
        range_m=math.hypot(horizontal, pose.height_m - body.ground_up),
        height_m=body.height_m,
    )


def _forward(pose: Pose) -> F64:
    az, tilt = math.radians(pose.azimuth_deg), math.radians(pose.tilt_deg)
    return np.array([math.sin(az) * math.cos(tilt), math.cos(az) * math.cos(tilt), -math.sin(tilt)])
