"""Write a rendered scene as a user's camera would deliver it: frames, camera file, truth.

Layout of the output folder (written beside it under a temporary name, then renamed into
place: never half a folder)::

    frames/frame_000000.tif ...   16-bit radiometric TIFF (0.01 K per count), or
    frames/frame_000000.png ...   8-bit PNG through an automatic gain control
    camera.yaml                   the camera file ``borderwatch detect --camera`` reads
    poses.csv                     drone scenes: the pose log (reported, i.e. with errors)
    annotations.json              ground truth, COCO-style (``--annotations``)

Everything is marked simulated: ``simulated: true`` in the camera file (so every detection
carries it) and in the annotations' ``info``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import yaml

from borderwatch.adapters.sources.thermal.annotations import to_coco
from borderwatch.domain.time import format_time
from borderwatch.sim.lwir.render import to_8bit, to_radiometric
from borderwatch.sim.lwir.scenes import Scene
from borderwatch.sim.lwir.training import truth_objects

DEFAULT_START = datetime(2025, 2, 3, 13, 10, tzinfo=UTC)


def write_scene(
    scene: Scene, folder: Path, *, eight_bit: bool = False, start: datetime = DEFAULT_START
) -> Path:
    """Write ``scene`` to the new ``folder`` (layout in the module docstring), frame 0 taken
    at ``start``; 8-bit PNG frames when ``eight_bit``, else radiometric TIFF. Returns the
    folder. Refuses a folder that exists; on any failure nothing is left behind."""
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"{folder} exists; choose a new folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        frames_dir = staging / "frames"
        frames_dir.mkdir()
        truth = []
        agc: tuple[float, float] | None = None
        for i, temperature, boxes in scene.frames():
            if eight_bit:
                image, agc = to_8bit(temperature, agc)
                name = f"frame_{i:06d}.png"
                _png(frames_dir / name, image)
            else:
                name = f"frame_{i:06d}.tif"
                _tiff(frames_dir / name, to_radiometric(temperature))
            truth.append((name, truth_objects(boxes)))
        intr = scene.intrinsics
        dt = 1.0 / scene.spec.frame_rate_hz
        camera: dict[str, object] = {
            "sensor_id": f"sim-{scene.spec.camera}-{scene.spec.seed}",
            "type": scene.spec.camera,
            "focal_mm": intr.focal_mm,
            "pitch_um": intr.pitch_um,
            "resolution": {"width": intr.width_px, "height": intr.height_px},
            "radiometric": False if eight_bit else {"kelvin_per_count": 0.01, "offset_k": 0.0},
            "errors": dict(scene.errors.__dict__),
            "simulated": True,
        }
        if scene.fixed:
            pose = scene.reported_poses[0]
            camera.update(
                {
                    "position": {"lat": pose.lat, "lon": pose.lon},
                    "height_m": round(pose.height_m, 3),
                    "azimuth_deg": round(pose.azimuth_deg % 360.0, 4),
                    "tilt_deg": round(pose.tilt_deg, 4),
                    "start": format_time(start),
                    "frame_rate_hz": scene.spec.frame_rate_hz,
                }
            )
        else:
            camera["pose_log"] = "poses.csv"
            rows = ["frame,time,lat,lon,altitude_agl_m,yaw_deg,gimbal_pitch_deg"]
            for i, pose in enumerate(scene.reported_poses):
                t = format_time(start + timedelta(seconds=i * dt))
                rows.append(
                    f"{i},{t},{pose.lat:.8f},{pose.lon:.8f},{pose.height_m:.3f},"
                    f"{pose.azimuth_deg % 360.0:.4f},{-pose.tilt_deg:.4f}"
                )
            (staging / "poses.csv").write_text("\n".join(rows) + "\n")
        (staging / "camera.yaml").write_text(
            "# Simulated camera (Borderwatch synthetic LWIR renderer): not a real sensor.\n"
            + yaml.safe_dump(camera, sort_keys=False)
        )
        coco = to_coco(truth, width=intr.width_px, height=intr.height_px, simulated=True)
        (staging / "annotations.json").write_text(json.dumps(coco) + "\n")
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _tiff(path: Path, image: np.ndarray) -> None:
    import tifffile

    tifffile.imwrite(path, image)


def _png(path: Path, image: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(image).save(path)
