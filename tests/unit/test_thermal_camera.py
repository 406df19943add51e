"""Camera geometry: pixel ray to ground and back, pixels on target, error growth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.adapters.sources.thermal.camera import (
    Intrinsics,
    Pose,
    PoseErrors,
    geo_to_local,
    ground_point,
    ground_sigma,
    local_to_geo,
    project,
)

CAM_25MM = Intrinsics(width_px=640, height_px=512, focal_mm=25.0, pitch_um=12.0)


def mast(tilt_deg: float = 1.0, azimuth_deg: float = 180.0, height_m: float = 15.0) -> Pose:
    return Pose(lat=49.0, lon=-111.9, height_m=height_m, azimuth_deg=azimuth_deg, tilt_deg=tilt_deg)


@given(
    height=st.floats(5.0, 150.0),
    tilt=st.floats(2.0, 90.0),
    azimuth=st.floats(0.0, 359.9),
    u=st.floats(1.0, 639.0),
    v=st.floats(1.0, 511.0),
)
@settings(max_examples=200, deadline=None)
def test_ground_point_and_projection_are_inverse(
    height: float, tilt: float, azimuth: float, u: float, v: float
) -> None:
    pose = mast(tilt, azimuth, height)
    east, north, slant = ground_point(pose, CAM_25MM, np.array([u]), np.array([v]))
    if not np.isfinite(east[0]) or slant[0] > 50_000:
        return  # at or near the horizon: no usable ground point
    back_u, back_v, depth = project(pose, CAM_25MM, east, north, np.zeros(1))
    assert depth[0] > 0
    assert back_u[0] == pytest.approx(u, abs=1e-6)
    assert back_v[0] == pytest.approx(v, abs=1e-6)
    assert slant[0] == pytest.approx(math.sqrt(east[0] ** 2 + north[0] ** 2 + height**2))


def test_rays_at_or_above_the_horizon_meet_no_ground() -> None:
    pose = mast(tilt_deg=0.0)
    east, north, _ = ground_point(pose, CAM_25MM, np.array([320.0, 320.0]), np.array([0.5, 256.0]))
    assert np.isnan(east).all() and np.isnan(north).all()


def test_pixels_on_target_match_the_reference_table() -> None:
    # thermal.md: 12 µm, f = 25 mm: IFOV 0.48 mrad; an adult (1.75 m) is 3.6 px at 1 km.
    assert 1000.0 / CAM_25MM.focal_px == pytest.approx(0.48, abs=0.005)
    assert 1.75 * CAM_25MM.focal_px / 1000.0 == pytest.approx(3.6, abs=0.05)
    assert CAM_25MM.hfov_deg == pytest.approx(17.5, abs=0.1)


def test_position_error_grows_with_range() -> None:
    pose = mast(tilt_deg=2.0)
    rows = np.arange(511.0, 200.0, -20.0)  # bottom of the image upward: farther and farther
    _, _, slant = ground_point(pose, CAM_25MM, np.full(rows.shape, 320.0), rows)
    sigma = ground_sigma(pose, CAM_25MM, PoseErrors(), np.full(rows.shape, 320.0), rows)
    finite = np.isfinite(slant)
    assert finite.sum() > 5
    assert np.all(np.diff(slant[finite]) > 0)
    assert np.all(np.diff(sigma[finite]) > 0)
    # Looking straight down, the error barely depends on where in the image.
    nadir = ground_sigma(
        mast(90.0, 0.0, 100.0),
        CAM_25MM,
        PoseErrors(),
        np.array([320.0, 10.0]),
        np.array([256.0, 10.0]),
    )
    assert nadir[1] / nadir[0] < 1.3


def test_geodetic_offsets_round_trip() -> None:
    pose = mast()
    east, north = np.array([-1200.0, 0.0, 350.5]), np.array([800.0, -1500.0, 2.0])
    lat, lon = local_to_geo(pose, east, north)
    back_e, back_n = geo_to_local(pose, lat, lon)
    assert np.allclose(back_e, east, atol=1e-6) and np.allclose(back_n, north, atol=1e-6)
    assert lat[1] < 49.0  # 1.5 km south
