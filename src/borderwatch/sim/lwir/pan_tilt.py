"""Where a pan-tilt-zoom camera looks: an operator keeps a group in view after a tip.

A stand-in for the operator of a long-range PTZ camera (or a drone's gimbal): home until
the tip's time plus ``follow_delay_s``; then on the group of people nearest the tip's
reported position (within three of its sigmas, else the search fails), re-aimed, leading
the group by its next 20 s of walking, whenever its centre leaves the middle half of the
image, and held still between moves as a camera under manual control is. It aims at the
group's true position (an operator who does not lose them); what the camera reports is
still only what its detector finds. The scenario settings: docs/scenario-format.md
("Following a group").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from borderwatch.adapters.sources.thermal.camera import Intrinsics, Pose, geo_to_local, project
from borderwatch.domain import Kind
from borderwatch.geo import LocalFrame
from borderwatch.sim.movers import Clock, MoverPath
from borderwatch.sim.scenario import Camera, Frames, Scenario

AIM_UP_M = 0.8
"""Aim at the middle of a standing body, not at its feet."""
SEARCH_SIGMAS = 3.0
"""The operator searches this many of the tip's sigmas round its reported position."""
LEAD_S = 20.0
"""When re-aiming, the operator aims where the group will be this much later..."""
LEAD_LOOK_S = 10.0
"""...judging its motion over this much of the past."""


def follow_poses(
    camera: Camera,
    home: Pose,
    intr: Intrinsics,
    scenario: Scenario,
    paths: Sequence[MoverPath],
    scans: np.ndarray,
    clock: Clock,
    frame: LocalFrame,
) -> list[Pose]:
    """The camera's pose at each scan (module docstring)."""
    assert camera.frames is not None
    group, on_at = followed_group(camera.frames, scenario, paths, clock, frame)
    if group is None:
        return [home] * len(scans)
    east, north, present = group.at(scans, clock)
    lat, lon = frame.to_geo(east, north)
    local_e, local_n = geo_to_local(home, lat, lon)
    # Where the group was LEAD_LOOK_S ago: the operator sees which way it moves.
    east0, north0, _ = group.at(scans - LEAD_LOOK_S, clock)
    lat0, lon0 = frame.to_geo(east0, north0)
    before_e, before_n = geo_to_local(home, lat0, lon0)
    poses: list[Pose] = []
    pose = home
    for k, t in enumerate(scans):
        if t >= on_at and present[k]:
            e, n = float(local_e[k]), float(local_n[k])
            if pose is home or not _in_middle(pose, intr, e, n):
                step_e, step_n = e - float(before_e[k]), n - float(before_n[k])
                moved = math.hypot(step_e, step_n)
                # Lead the group by LEAD_S of its walk, at most an eighth of the image's
                # width at its range, so it enters the middle half, crosses it, and the
                # camera is nudged half as often as when aimed at where the group is.
                lead = min(
                    moved / LEAD_LOOK_S * LEAD_S,
                    intr.width_px / 8 * math.hypot(e, n) / intr.focal_px,
                )
                if moved > 0:
                    e, n = e + step_e / moved * lead, n + step_n / moved * lead
                pose = aim(home, e, n)
        poses.append(pose)
    return poses


def followed_group(
    spec: Frames, scenario: Scenario, paths: Sequence[MoverPath], clock: Clock, frame: LocalFrame
) -> tuple[MoverPath | None, float]:
    """The group the operator keeps in view and from when (module docstring)."""
    tip = next(t for t in scenario.tips if t.tip_id == spec.follow_after_tip)
    on_at = tip.time.timestamp() + spec.follow_delay_s
    return _found_group(tip.position, tip.sigma_m, on_at, paths, clock, frame), on_at


def _found_group(
    reported: tuple[float, float],
    sigma_m: float,
    epoch_s: float,
    paths: Sequence[MoverPath],
    clock: Clock,
    frame: LocalFrame,
) -> MoverPath | None:
    """The group of people nearest the reported position at ``epoch_s``, within the search."""
    tip_e, tip_n = frame.point_to_local(*reported)
    best: tuple[float, MoverPath] | None = None
    for path in paths:
        if path.kind is not Kind.PERSON:
            continue
        east, north, present = path.at(np.array([epoch_s]), clock)
        if not present[0]:
            continue
        distance = math.hypot(float(east[0]) - tip_e, float(north[0]) - tip_n)
        if distance <= SEARCH_SIGMAS * sigma_m and (best is None or distance < best[0]):
            best = (distance, path)
    return None if best is None else best[1]


def _in_middle(pose: Pose, intr: Intrinsics, east: float, north: float) -> bool:
    """Whether a point at body height projects into the middle half of the image."""
    u, v, depth = project(pose, intr, [east], [north], [AIM_UP_M])
    if not (depth[0] > 1.0 and np.isfinite(u[0])):
        return False
    return (
        abs(float(u[0]) - intr.width_px / 2) <= intr.width_px / 4
        and abs(float(v[0]) - intr.height_px / 2) <= intr.height_px / 4
    )


def aim(home: Pose, east: float, north: float) -> Pose:
    """The home pose turned to look at a point (body height above the ground there)."""
    azimuth = math.degrees(math.atan2(east, north)) % 360.0
    tilt = math.degrees(math.atan2(home.height_m - AIM_UP_M, math.hypot(east, north)))
    return Pose(
        lat=home.lat, lon=home.lon, height_m=home.height_m, azimuth_deg=azimuth, tilt_deg=tilt
    )
