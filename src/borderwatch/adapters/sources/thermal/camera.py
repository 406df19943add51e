"""Camera geometry: a pinhole camera over flat ground, pixel ray to ground and back.

Coordinates are metres east, north and up from the ground point under the camera (a local
tangent plane: over the 2 km a border camera sees, Earth curvature drops the ground by
d²/2R ≈ 0.3 m, below the terrain error we budget for). Angles: ``azimuth_deg`` is the
true bearing of the optical axis (clockwise from north), ``tilt_deg`` its depression below
the horizon (90 = straight down, a drone gimbal at -90° pitch). Image: column ``u`` to the
right, row ``v`` down, pixel (row i, column j) covering [j, j+1) x [i, i+1), so its centre is
at (j + 0.5, i + 0.5). No lens distortion: thermal lenses of 9-50 mm have well under a pixel
of it at 640 px, and a calibrated user can undistort first.

The position error of a ground point comes from the errors of everything the ray depends on
(first-order propagation, numerically: each parameter moved by its sigma). It grows with
range because a small error in depression angle moves the ground point by
R²/h · δθ at range R from a camera at height h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

F64 = NDArray[np.float64]
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True, kw_only=True)
class Intrinsics:
    """What the sensor and lens are."""

    width_px: int
    """Image columns (e.g. 640)."""
    height_px: int
    """Image rows (e.g. 512)."""
    focal_mm: float
    """Lens focal length."""
    pitch_um: float
    """Detector pixel pitch (12 µm or 17 µm for uncooled cores)."""

    @property
    def focal_px(self) -> float:
        """Focal length in pixels: f / pitch (IFOV = 1 / focal_px radians, references.md)."""
        return self.focal_mm * 1000.0 / self.pitch_um

    @property
    def hfov_deg(self) -> float:
        return math.degrees(2.0 * math.atan(self.width_px / 2.0 / self.focal_px))


@dataclass(frozen=True, kw_only=True)
class Pose:
    """Where the camera is and where it looks."""

    lat: float
    lon: float
    height_m: float
    """Above the ground it looks at (mast height, or a drone's altitude above ground)."""
    azimuth_deg: float
    tilt_deg: float
    """Depression of the optical axis below the horizon, degrees (90: nadir)."""


@dataclass(frozen=True, kw_only=True)
class PoseErrors:
    """1-sigma errors of the pose and of the flat-ground assumption (the error budget)."""

    position_m: float = 1.0
    height_m: float = 0.5
    azimuth_deg: float = 0.1
    tilt_deg: float = 0.05
    ground_m: float = 1.0
    """Local relief: how far the ground under a target may be above or below the plane."""
    pixel: float = 0.7
    """Error locating the target's foot in the image, pixels."""


def _axes(pose: Pose) -> tuple[F64, F64, F64]:
    """Unit vectors (east, north, up) of the image's forward, right and down directions."""
    az, tilt = math.radians(pose.azimuth_deg), math.radians(pose.tilt_deg)
    sa, ca, st, ct = math.sin(az), math.cos(az), math.sin(tilt), math.cos(tilt)
    forward = np.array([sa * ct, ca * ct, -st])
    right = np.array([ca, -sa, 0.0])
    # forward x right, written out: np.cross on 3-vectors costs more than the rest of a
    # ground point, which every frame computes eight times (ground_sigma).
    down = np.array([-sa * st, -ca * st, -ct])
    return forward, right, down


def project(
    pose: Pose, intr: Intrinsics, east: ArrayLike, north: ArrayLike, up: ArrayLike
) -> tuple[F64, F64, F64]:
    """World points -> (u, v, depth). ``depth`` <= 0 means behind the camera."""
    forward, right, down = _axes(pose)
    p = np.stack(
        [np.asarray(east, float), np.asarray(north, float), np.asarray(up, float) - pose.height_m],
        axis=-1,
    )
    depth = p @ forward
    safe = np.where(depth > 1e-9, depth, np.nan)
    u = intr.width_px / 2.0 + intr.focal_px * (p @ right) / safe
    v = intr.height_px / 2.0 + intr.focal_px * (p @ down) / safe
    return u, v, depth


def ground_point(
    pose: Pose, intr: Intrinsics, u: ArrayLike, v: ArrayLike, ground_up: float = 0.0
) -> tuple[F64, F64, F64]:
    """Pixel -> where its ray meets the ground plane: (east, north, slant range). Rays at or
    above the horizon never meet it: east and north are NaN there."""
    forward, right, down = _axes(pose)
    x = (np.asarray(u, float) - intr.width_px / 2.0) / intr.focal_px
    y = (np.asarray(v, float) - intr.height_px / 2.0) / intr.focal_px
    ray = forward + x[..., None] * right + y[..., None] * down
    drop = -ray[..., 2]
    below = drop > 1e-9
    scale = np.where(below, (pose.height_m - ground_up) / np.where(below, drop, 1.0), np.nan)
    east, north = scale * ray[..., 0], scale * ray[..., 1]
    slant = scale * np.linalg.norm(ray, axis=-1)
    return east, north, slant


@dataclass(frozen=True)
class GroundErrors:
    """Position errors of ground points, split by how they correlate between two points
    seen by one camera in one frame. Each array has one value per point."""

    sigma_m: F64
    """1-sigma horizontal error of the point itself: the major semi-axis of the ellipse
    propagated from every term of the budget."""
    pixel_m: F64
    """The part from locating the point's own foot in the image (independent between two
    points): major semi-axis, metres."""
    relief_gain: F64
    """Horizontal shift per metre of ground above the plane at the point (independent only
    as far as the ground under two points differs). The pose terms (position, height,
    azimuth, tilt) move nearby points nearly alike and cancel in their separation."""


def ground_errors(
    pose: Pose, intr: Intrinsics, errors: PoseErrors, u: ArrayLike, v: ArrayLike
) -> GroundErrors:
    """Propagate the error budget to the ground points of pixels (first order, numerically:
    each parameter moved by its sigma).

    The range error dominates for oblique views, so the ellipse is long and thin: about 95 %
    of true points fall within 2 sigma along it (docs/gotchas.md)."""
    u_arr, v_arr = np.asarray(u, float), np.asarray(v, float)
    base_e, base_n, _ = ground_point(pose, intr, u_arr, v_arr)
    cov = np.zeros((*base_e.shape, 2, 2))
    pixel = np.zeros((*base_e.shape, 2, 2))

    def outer(de: F64, dn: F64) -> F64:
        d = np.stack([de, dn], axis=-1)
        return np.asarray(d[..., :, None] * d[..., None, :])

    for field, step in (
        ("azimuth_deg", errors.azimuth_deg),
        ("tilt_deg", errors.tilt_deg),
        ("height_m", errors.height_m),
    ):
        if step > 0:
            moved = Pose(**{**pose.__dict__, field: getattr(pose, field) + step})
            e, n, _ = ground_point(moved, intr, u_arr, v_arr)
            cov += outer(e - base_e, n - base_n)
    # One metre of relief, scaled to the budget's: the gain is per metre.
    e, n, _ = ground_point(pose, intr, u_arr, v_arr, ground_up=1.0)
    gain = np.hypot(e - base_e, n - base_n)
    cov += outer(e - base_e, n - base_n) * errors.ground_m**2
    if errors.pixel > 0:
        for du, dv in ((0.0, errors.pixel), (errors.pixel, 0.0)):
            e, n, _ = ground_point(pose, intr, u_arr + du, v_arr + dv)
            pixel += outer(e - base_e, n - base_n)
    cov += pixel
    cov[..., 0, 0] += errors.position_m**2
    cov[..., 1, 1] += errors.position_m**2
    return GroundErrors(
        sigma_m=_major(cov), pixel_m=_major(pixel), relief_gain=np.asarray(gain, dtype=float)
    )


def _major(cov: F64) -> F64:
    """Square root of the largest eigenvalue of symmetric 2x2 matrices, in closed form."""
    a, b, c = cov[..., 0, 0], cov[..., 0, 1], cov[..., 1, 1]
    major = (a + c) / 2.0 + np.sqrt(((a - c) / 2.0) ** 2 + b**2)
    return np.asarray(np.sqrt(major), dtype=float)


def ground_sigma(
    pose: Pose, intr: Intrinsics, errors: PoseErrors, u: ArrayLike, v: ArrayLike
) -> F64:
    """1-sigma horizontal position error of the ground point of each pixel, metres: the
    major semi-axis of the propagated error ellipse (conservative in every direction)."""
    return ground_errors(pose, intr, errors, u, v).sigma_m


def local_to_geo(pose: Pose, east: ArrayLike, north: ArrayLike) -> tuple[F64, F64]:
    """Metres east/north of the camera's ground point -> WGS 84 (lat, lon), on the geodesic
    with that bearing and length (exact on the ellipsoid for the tangent-plane offsets)."""
    e, n = np.asarray(east, float), np.asarray(north, float)
    azimuth = np.degrees(np.arctan2(e, n))
    dist = np.hypot(e, n)
    lon, lat, _ = _GEOD.fwd(np.full(e.shape, pose.lon), np.full(e.shape, pose.lat), azimuth, dist)
    return np.asarray(lat, float), np.asarray(lon, float)


def geo_to_local(pose: Pose, lat: ArrayLike, lon: ArrayLike) -> tuple[F64, F64]:
    """WGS 84 (lat, lon) -> metres east/north of the camera's ground point."""
    la, lo = np.asarray(lat, float), np.asarray(lon, float)
    azimuth, _, dist = _GEOD.inv(np.full(la.shape, pose.lon), np.full(la.shape, pose.lat), lo, la)
    rad = np.radians(np.asarray(azimuth, float))
    d = np.asarray(dist, float)
    return d * np.sin(rad), d * np.cos(rad)
