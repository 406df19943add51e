"""Camera files: a fixed camera, or a drone with a per-frame pose log (docs/thermal.md).

A fixed camera gives its position, height, azimuth, tilt, lens, sensor and resolution,
and when frame 0 was taken and the frame rate. A drone gives its lens and sensor and a
``pose_log``: a CSV file with one row per frame (``frame,time,lat,lon,altitude_agl_m,
yaw_deg,gimbal_pitch_deg``), where ``frame`` is the frame's index (0, 1, ...) or its file
name. A frame with no pose row is refused by name; the other frames go on.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from borderwatch.adapters.sources.thermal.camera import Intrinsics, Pose, PoseErrors
from borderwatch.adapters.sources.yaml_fields import Node, as_time, load_yaml, shown
from borderwatch.domain import InputError, check_lat_lon

_FRAME_INDEX = re.compile(r"[0-9]{1,9}")
"""A frame index (ASCII digits: ``str.isdigit`` also takes "²", which ``int`` refuses)."""
POSE_COLUMNS = ("frame", "time", "lat", "lon", "altitude_agl_m", "yaw_deg", "gimbal_pitch_deg")
MAX_PIXELS = 16_384
"""Widest or tallest frame taken (thermal cores are at most 1920 wide; 16k leaves room)."""
FIXED_ERRORS = PoseErrors()
DRONE_ERRORS = PoseErrors(
    position_m=2.5, height_m=2.0, azimuth_deg=1.5, tilt_deg=1.0, ground_m=1.0, pixel=1.0
)


@dataclass(frozen=True)
class StampedPose:
    time: datetime
    pose: Pose


@dataclass(frozen=True, kw_only=True)
class CameraFile:
    """A validated camera file."""

    sensor_id: str
    kind: str
    """fixed or drone."""
    intrinsics: Intrinsics
    errors: PoseErrors
    kelvin_per_count: float | None
    """16-bit frames are radiometric at this scale (None: 16-bit counts are relative)."""
    offset_k: float = 0.0
    simulated: bool = False
    """Frames come from a simulator: every detection is marked so."""
    fixed_pose: Pose | None = None
    start: datetime | None = None
    frame_rate_hz: float | None = None
    poses_by_index: dict[int, StampedPose] = field(default_factory=dict)
    poses_by_name: dict[str, StampedPose] = field(default_factory=dict)
    source: str = ""

    @property
    def fixed(self) -> bool:
        return self.kind == "fixed"

    def pose_for(self, index: int, name: str) -> StampedPose:
        """The pose and time of a frame; an InputError naming the frame when there is none."""
        if self.fixed_pose is not None and self.start is not None and self.frame_rate_hz:
            return StampedPose(
                self.start + timedelta(seconds=index / self.frame_rate_hz), self.fixed_pose
            )
        found = self.poses_by_name.get(name) or self.poses_by_name.get(Path(name).name)
        if found is None:
            found = self.poses_by_index.get(index)
        if found is None:
            raise InputError("pose", f"no pose for frame {name} (index {index}) in the pose log")
        return found


def load_camera_file(path: str | Path) -> CameraFile:
    path = Path(path)
    name = str(path)
    raw = load_yaml(path, what="camera file")  # a PNG given by mistake is refused by name
    try:
        return parse_camera(raw, base_dir=path.parent, source=name)
    except InputError as err:
        raise err.at(source=err.source or name) from None


def parse_camera(raw: object, *, base_dir: Path, source: str = "") -> CameraFile:
    """The camera described by ``raw`` (a parsed camera file, docs/thermal.md), checked
    field by field; a drone's ``pose_log`` is read relative to ``base_dir``.

    Radiometric frames default to 0.01 K per count; ``radiometric: false`` means relative
    (AGC) frames. Raises :class:`InputError` naming the field for anything out of range
    or unknown."""
    top = Node(raw, "")
    kind = top.choice("type", ["fixed", "drone"])
    res = top.child("resolution")
    intr = Intrinsics(
        width_px=res.integer("width", low=16, high=MAX_PIXELS),
        height_px=res.integer("height", low=16, high=MAX_PIXELS),
        focal_mm=top.number("focal_mm", low=0.5, high=2000.0),
        pitch_um=top.number("pitch_um", low=1.0, high=100.0),
    )
    res.finish()
    errors = _errors(top, FIXED_ERRORS if kind == "fixed" else DRONE_ERRORS)
    scale: float | None = 0.01
    offset = 0.0
    if top.has("radiometric"):
        radiometric = top.get("radiometric")
        if radiometric is False:
            scale = None
        else:
            node = top.child("radiometric")
            scale = node.number("kelvin_per_count", 0.01, low=0.0, high=10.0, low_open=True)
            offset = node.number("offset_k", 0.0, low=-1000.0, high=1000.0)
            node.finish()
    common = {
        "sensor_id": top.text("sensor_id"),
        "kind": kind,
        "intrinsics": intr,
        "errors": errors,
        "kelvin_per_count": scale,
        "offset_k": offset,
        "simulated": top.boolean("simulated", False),
        "source": source,
    }
    if kind == "fixed":
        lat, lon = top.position("position")
        pose = Pose(
            lat=lat,
            lon=lon,
            height_m=top.number("height_m", low=0.0, high=10_000.0, low_open=True),
            azimuth_deg=top.number("azimuth_deg", low=0.0, high=360.0),
            tilt_deg=top.number("tilt_deg", low=-30.0, high=90.0),
        )
        camera = CameraFile(
            **common,
            fixed_pose=pose,
            start=top.time("start"),
            frame_rate_hz=top.number("frame_rate_hz", low=0.0, high=1000.0, low_open=True),
        )
    else:
        log = base_dir / top.text("pose_log")
        by_index, by_name = read_pose_log(log)
        camera = CameraFile(**common, poses_by_index=by_index, poses_by_name=by_name)
    top.finish()
    return camera


def _errors(top: Node, default: PoseErrors) -> PoseErrors:
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


def read_pose_log(path: Path) -> tuple[dict[int, StampedPose], dict[str, StampedPose]]:
    """Rows of a drone pose log, by frame index and by frame file name. A bad row is an
    InputError naming the log, the line and the column."""
    name = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as err:
        raise InputError(None, f"cannot read pose log: {err.strerror}", source=name) from None
    by_index: dict[int, StampedPose] = {}
    by_name: dict[str, StampedPose] = {}
    line = 1
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in POSE_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(None, f"pose log lacks columns: {', '.join(missing)}", line=1)
            for number, row in enumerate(reader, start=2):
                line = number  # named by the handlers below
                stamped = _pose_row(row)
                key = (row.get("frame") or "").strip()
                if not key:
                    raise InputError("frame", "is required (an index or a file name)")
                if _FRAME_INDEX.fullmatch(key):
                    by_index[int(key)] = stamped
                else:
                    by_name[key] = stamped
        except InputError as err:
            raise err.at(line=line, source=name) from None
        except UnicodeDecodeError as err:
            raise InputError(
                None, f"not a CSV pose log: byte {err.start} is not UTF-8 text", source=name
            ) from None
        except csv.Error as err:  # e.g. a field past the csv module's size limit
            raise InputError(None, f"not a CSV pose log ({err})", line=line, source=name) from None
    return by_index, by_name


def _pose_row(row: dict[str, str]) -> StampedPose:
    def number(column: str, low: float, high: float) -> float:
        text = (row.get(column) or "").strip()
        try:
            value = float(text)
        except ValueError:
            raise InputError(column, f"must be a number, got {shown(text)}") from None
        if not low <= value <= high:
            raise InputError(column, f"must be in [{low:g}, {high:g}], got {value:g}")
        return value

    lat, lon = check_lat_lon(number("lat", -90, 90), number("lon", -180, 180))
    pitch = number("gimbal_pitch_deg", -135.0, 45.0)
    return StampedPose(
        time=as_time((row.get("time") or "").strip(), "time"),
        pose=Pose(
            lat=lat,
            lon=lon,
            height_m=number("altitude_agl_m", 0.5, 10_000.0),
            azimuth_deg=number("yaw_deg", -360.0, 360.0) % 360.0,
            tilt_deg=-pitch,
        ),
    )
