"""The cameras file of a Frigate NVR: each Frigate camera name with its calibration
(docs/devices.md, "Frigate NVR over MQTT").

Frigate reports boxes in pixels of each camera's *detect* stream; putting them on the
ground takes where the camera is and where it looks. The calibration is the one
``borderwatch detect`` reads (``adapters/sources/thermal/camera_file.py``): the same field
names inline, or ``camera_file:`` naming such a file (a fixed camera; its frame timing is
not used). The lens is ``focal_mm`` with ``pitch_um``, or ``hfov_deg`` (what an IP
camera's data sheet gives)::

    cameras:
      north_gate:                  # the camera's name in Frigate's config
        sensor_id: frigate-north-gate
        position: {lat: 49.0012, lon: -111.9601}
        height_m: 8
        azimuth_deg: 180
        tilt_deg: 6
        resolution: {width: 1280, height: 720}   # Frigate's detect width and height
        hfov_deg: 90
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from borderwatch.adapters.sources.thermal.camera import (
    Intrinsics,
    Pose,
    PoseErrors,
    ground_errors,
    ground_point,
    local_to_geo,
)
from borderwatch.adapters.sources.thermal.camera_file import MAX_PIXELS, load_camera_file
from borderwatch.adapters.sources.yaml_fields import Node, load_yaml
from borderwatch.domain import InputError
from borderwatch.domain.detection import check_label

FRIGATE_ERRORS = PoseErrors(pixel=2.0)
"""A fixed mast camera's error budget (camera_file.FIXED_ERRORS), but 2 px to find the
foot: Frigate's boxes come from a 320 px detector model scaled to the detect stream, so
their bottom edge is coarser than the thermal detector's own segmentation."""
NOMINAL_PITCH_UM = 1.0
"""A lens given by its field of view has no physical pitch: the focal length is kept in
pixels (focal_mm = focal_px * pitch / 1000 with this pitch); only their ratio is used."""


@dataclass(frozen=True, kw_only=True)
class FrigateCamera:
    """One Frigate camera, calibrated."""

    name: str
    """Its name in Frigate's config (the events' ``camera``)."""
    sensor_id: str
    """The Borderwatch sensor id its detections carry."""
    pose: Pose
    intrinsics: Intrinsics
    """``width_px`` and ``height_px`` are Frigate's detect resolution: the boxes' pixels."""
    errors: PoseErrors
    simulated: bool = False


@dataclass(frozen=True)
class Placed:
    """Ground positions of foot points, one value per point; NaN where the ray misses the
    ground (at or above the horizon)."""

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    sigma_m: NDArray[np.float64]


def place_feet(camera: FrigateCamera, u: NDArray[np.float64], v: NDArray[np.float64]) -> Placed:
    """Foot points (pixel column ``u``, row ``v``) -> WGS 84 positions and 1-sigma errors,
    by the pinhole-over-flat-ground model (thermal/camera.py): the error grows with range
    as R²/h times the tilt error, so a far box gets a large sigma. Vectorised: one call
    for a batch of one camera's events costs about what one event alone would."""
    east, north, _ = ground_point(camera.pose, camera.intrinsics, u, v)
    sigma = ground_errors(camera.pose, camera.intrinsics, camera.errors, u, v).sigma_m
    lat, lon = local_to_geo(camera.pose, np.nan_to_num(east), np.nan_to_num(north))
    missed = ~(np.isfinite(east) & np.isfinite(north))
    lat[missed] = np.nan
    lon[missed] = np.nan
    return Placed(lat=lat, lon=lon, sigma_m=sigma)


def load_frigate_cameras(path: str | Path) -> dict[str, FrigateCamera]:
    """The cameras file at ``path``, by Frigate camera name; an InputError naming the
    file and the field for anything missing, out of range or unknown."""
    path = Path(path)
    raw = load_yaml(path, what="cameras file")
    try:
        return parse_frigate_cameras(raw, base_dir=path.parent)
    except InputError as err:
        raise err.at(source=err.source or str(path)) from None


def parse_frigate_cameras(raw: object, *, base_dir: Path) -> dict[str, FrigateCamera]:
    top = Node(raw, "")
    cameras_node = top.child("cameras")
    cameras: dict[str, FrigateCamera] = {}
    sensors: dict[str, str] = {}
    for name in cameras_node.raw:
        if not isinstance(name, str) or not name:
            raise InputError("cameras", f"a camera name must be a string, got {name!r}")
        camera = _camera(name, cameras_node.child(name), base_dir)
        if camera.sensor_id in sensors:
            raise InputError(f"cameras.{name}.sensor_id",
                             f"{camera.sensor_id!r} is already camera "
                             f"{sensors[camera.sensor_id]}'s")
        sensors[camera.sensor_id] = name
        cameras[name] = camera
    cameras_node.finish()
    top.finish()
    if not cameras:
        raise InputError("cameras", "must name at least one Frigate camera")
    return cameras


def _camera(name: str, node: Node, base_dir: Path) -> FrigateCamera:
    sensor_id = check_label(node.where("sensor_id"), node.text("sensor_id", f"frigate-{name}"))
    if node.has("camera_file"):
        # The very file `borderwatch detect --camera` reads; a drone has no fixed pose.
        cam = load_camera_file(base_dir / node.text("camera_file"))
        if cam.fixed_pose is None:
            raise InputError(node.where("camera_file"),
                             "must describe a fixed camera (type: fixed), not a drone")
        camera = FrigateCamera(name=name, sensor_id=sensor_id, pose=cam.fixed_pose,
                               intrinsics=cam.intrinsics, errors=cam.errors,
                               simulated=node.boolean("simulated", cam.simulated))
        node.finish()
        return camera
    lat, lon = node.position("position")
    pose = Pose(
        lat=lat,
        lon=lon,
        height_m=node.number("height_m", low=0.0, high=10_000.0, low_open=True),
        azimuth_deg=node.number("azimuth_deg", low=0.0, high=360.0),
        tilt_deg=node.number("tilt_deg", low=-30.0, high=90.0),
    )
    res = node.child("resolution")
    width = res.integer("width", low=16, high=MAX_PIXELS)
    height = res.integer("height", low=16, high=MAX_PIXELS)
    res.finish()
    if node.has("hfov_deg"):
        if node.has("focal_mm"):
            raise InputError(node.where("hfov_deg"), "give hfov_deg or focal_mm, not both")
        hfov = node.number("hfov_deg", low=1.0, high=170.0)
        focal_px = width / 2.0 / math.tan(math.radians(hfov) / 2.0)
        intr = Intrinsics(width_px=width, height_px=height,
                          focal_mm=focal_px * NOMINAL_PITCH_UM / 1000.0,
                          pitch_um=NOMINAL_PITCH_UM)
    else:
        intr = Intrinsics(width_px=width, height_px=height,
                          focal_mm=node.number("focal_mm", low=0.5, high=2000.0),
                          pitch_um=node.number("pitch_um", low=0.5, high=100.0))
    camera = FrigateCamera(name=name, sensor_id=sensor_id, pose=pose, intrinsics=intr,
                           errors=_errors(node), simulated=node.boolean("simulated", False))
    node.finish()
    return camera


def _errors(top: Node) -> PoseErrors:
    default = FRIGATE_ERRORS
    if not top.has("errors"):
        return default
    node = top.child("errors")
    errors = PoseErrors(
        position_m=node.number("position_m", default.position_m, low=0.0, high=1000.0),
        height_m=node.number("height_m", default.height_m, low=0.0, high=1000.0),
        azimuth_deg=node.number("azimuth_deg", default.azimuth_deg, low=0.0, high=45.0),
        tilt_deg=node.number("tilt_deg", default.tilt_deg, low=0.0, high=45.0),
        ground_m=node.number("ground_m", default.ground_m, low=0.0, high=1000.0),
        pixel=node.number("pixel", default.pixel, low=0.0, high=100.0),
    )
    node.finish()
    return errors
