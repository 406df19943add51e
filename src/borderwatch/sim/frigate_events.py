"""Frigate ``frigate/events`` messages, made up in the documented format (Frigate's MQTT
documentation, docs.frigate.video/integrations/mqtt): for the tests and the bench.

They describe simulated people walking across a simulated mast camera near Coutts, and
the camera is marked simulated, so every detection made from them is marked simulated.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from typing import Any

CAMERA_NAME = "coutts_mast"
CAMERAS_YAML = f"""\
# A simulated Frigate camera: 8 m mast, looking south at the 49th parallel near Coutts.
cameras:
  {CAMERA_NAME}:
    sensor_id: frigate-coutts-mast
    position: {{lat: 49.0030, lon: -111.9610}}
    height_m: 8
    azimuth_deg: 180
    tilt_deg: 6
    resolution: {{width: 1280, height: 720}}
    hfov_deg: 90
    simulated: true
"""
"""The cameras file (adapters/sources/frigate_cameras.py) of the simulated camera."""
START_S = 1_738_587_600.0
"""2025-02-03T13:00:00Z, the Coutts night."""


def event_id(start_time: float, rng: random.Random) -> str:
    """An id as Frigate makes them: the start time and six random characters."""
    tail = "".join(rng.choices(string.ascii_lowercase + string.digits, k=6))
    return f"{start_time:.6f}-{tail}"


def tracked_object(
    object_id: str,
    *,
    frame_time: float,
    box: tuple[float, float, float, float],
    camera: str = CAMERA_NAME,
    label: str = "person",
    score: float = 0.84,
    start_time: float | None = None,
    end_time: float | None = None,
    false_positive: bool = False,
    stationary: bool = False,
) -> dict[str, Any]:
    """One tracked object as Frigate's ``before``/``after`` carry it."""
    x1, y1, x2, y2 = box
    area = int((x2 - x1) * (y2 - y1))
    return {
        "id": object_id,
        "camera": camera,
        "frame_time": frame_time,
        "snapshot": {"frame_time": frame_time, "box": list(box), "area": area,
                     "region": [0, 0, 320, 320], "score": score, "attributes": []},
        "label": label,
        "sub_label": None,
        "top_score": max(score, 0.9),
        "false_positive": false_positive,
        "start_time": frame_time if start_time is None else start_time,
        "end_time": end_time,
        "score": score,
        "box": list(box),
        "area": area,
        "ratio": round((x2 - x1) / max(y2 - y1, 1), 6),
        "region": [0, 0, 320, 320],
        "current_zones": [],
        "entered_zones": [],
        "thumbnail": None,
        "has_snapshot": False,
        "has_clip": False,
        "stationary": stationary,
        "motionless_count": 0,
        "position_changes": 1,
        "attributes": {},
        "current_attributes": [],
    }


def message(kind: str, after: dict[str, Any], before: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """A whole ``frigate/events`` message."""
    return {"type": kind, "before": before if before is not None else after, "after": after}


def walkers(count: int, *, objects: int = 50, seed: int = 7, start_s: float = START_S,
            step_s: float = 0.2) -> Iterator[dict[str, Any]]:
    """``count`` messages from ``objects`` people walking across the camera's lower half
    at once, round robin: for each, a ``new``, then ``update`` messages ``step_s`` of
    frame time apart (every frame time of an object later than its last)."""
    rng = random.Random(seed)
    ids = [event_id(start_s + n * 0.01, rng) for n in range(objects)]
    last: dict[str, dict[str, Any]] = {}
    for n in range(count):
        slot = n % objects
        step = n // objects
        frame_time = start_s + step * step_s + slot * 0.001
        x = 40 + (slot * 97 + step * 3) % 1180
        foot = 420 + (slot * 31 + step) % 290
        box = (float(x), float(foot - 60), float(x + 24), float(foot))
        after = tracked_object(ids[slot], frame_time=frame_time, box=box,
                               start_time=start_s + slot * 0.01)
        before = last.get(ids[slot])
        last[ids[slot]] = after
        yield message("new" if before is None else "update", after, before)
