"""Frigate NVR events (the ``frigate/events`` MQTT topic) -> detections on the ground.

Each message is ``{"type": "new"|"update"|"end", "before": {...}, "after": {...}}``
(Frigate's MQTT documentation, docs.frigate.video/integrations/mqtt; shared reference
interop.md). Only ``after`` is read: it is the tracked object as it is now. Its ``box``
``[x1, y1, x2, y2]`` is in pixels of the camera's detect stream; the middle of its
bottom edge, the foot, is projected onto flat ground with the camera's calibration
(frigate_cameras.py). Frigate publishes when an object appears, changes zone or gets a
better snapshot, and when it ends, not every frame: one message is at most one detection.

Every refusal is counted by reason and names the event id and the field. A message is
taken whole or not at all: nothing of a refused one reaches the per-object state.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import orjson

from borderwatch.adapters.sources.detection_wire import parse_detection
from borderwatch.adapters.sources.frigate_cameras import FrigateCamera, place_feet
from borderwatch.domain import Detection, InputError, Kind
from borderwatch.domain.detection import (
    EARLIEST_EPOCH_S,
    LATEST_EPOCH_S,
    MAX_ID_CHARS,
    SIGMA_MAX_M,
    SIGMA_MIN_M,
)
from borderwatch.domain.time import epoch_to_datetime, format_time

LABELS: Mapping[str, Kind] = {
    "person": Kind.PERSON,
    # Frigate's default model is COCO's; Frigate+ adds its own labels (deer, fox, ...).
    "car": Kind.VEHICLE, "truck": Kind.VEHICLE, "bus": Kind.VEHICLE,
    "motorcycle": Kind.VEHICLE, "boat": Kind.VEHICLE,
    # A bicycle is a person on a vehicle; Frigate reports the rider as a person too.
    "bicycle": Kind.VEHICLE,
    **{label: Kind.ANIMAL for label in (
        "bird", "cat", "dog", "horse", "sheep", "cow", "bear", "deer", "elk", "moose",
        "fox", "coyote", "wolf", "raccoon", "rabbit", "squirrel", "skunk", "goat",
        "bison", "pig", "elephant", "zebra", "giraffe")},
}
"""Frigate labels Borderwatch takes, and the kind each becomes. Anything else (package,
license_plate, face, waste_bin, ...) is not something that crosses the line on its own
and is refused as ``unknown_label``."""

EVENT_TYPES = frozenset({"new", "update", "end"})
REMEMBERED_OBJECTS = 100_000
"""Objects whose last frame time is kept to find repeats and late messages: more than a
day of a busy site's events. The oldest are forgotten first; a repeat of a forgotten
one is still caught by the detection log, whose ids are unique."""
BOX_SLACK_PX = 1.0
"""A box edge may lie this far outside the frame (Frigate rounds box corners)."""


class Refusal(NamedTuple):
    """A message not taken: the counted reason, the event id (None when unreadable) and
    the field at fault."""

    reason: str
    event_id: str | None
    field: str | None
    detail: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id else "message"
        what = f"field {self.field}: " if self.field else ""
        return f"{where}: {what}{self.detail} ({self.reason})"


REASONS = ("malformed_json", "missing_field", "bad_field", "unknown_camera", "unknown_label",
           "false_positive", "out_of_order", "duplicate", "unplaceable", "ahead_of_clock")
"""Every refusal's reason. ``false_positive`` is Frigate's own verdict, skipped on purpose;
the others are errors."""


@dataclass
class Translated:
    """What one batch of messages became, in arrival order."""

    detections: list[Detection] = field(default_factory=list)
    stored: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    """``(id, wire object)`` of each detection, for the detection log."""
    refused: list[Refusal] = field(default_factory=list)
    ended: int = 0
    """``end`` messages that only closed an object (no new frame): not an error."""


class _Event(NamedTuple):
    event_id: str
    type: str
    camera: FrigateCamera
    kind: Kind
    frame_time: float
    score: float
    foot_u: float
    foot_v: float


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


@dataclass
class FrigateTranslator:
    """Frigate event messages -> detections, with the per-object memory that finds
    repeated and out-of-order messages. Not thread-safe: one consumer feeds it."""

    cameras: Mapping[str, FrigateCamera]
    """By Frigate camera name (frigate_cameras.load_frigate_cameras)."""
    remember: int = REMEMBERED_OBJECTS
    max_ahead_s: float | None = None
    """With the receiver's clock given to :meth:`translate`: a frame time further ahead of
    it is refused (``ahead_of_clock``), as HTTP ingest refuses a posted detection beyond
    its skew (domain/time.py ``check_live_time``): one NVR with a wrong clock would make
    every other report late."""
    counts: Counter[str] = field(default_factory=Counter)
    """``accepted``, ``ended`` and each refusal's reason, since this translator began."""
    _last: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def translate(self, payloads: Sequence[bytes], now_s: float | None = None) -> Translated:
        """The detections of a batch of message payloads (one message each), and why each
        other message was refused. Placed on the ground per camera in one vectorised call.
        ``now_s``: the receiver's clock, for ``max_ahead_s``."""
        out = Translated()
        events: list[_Event | Refusal] = []
        latest = (now_s + self.max_ahead_s
                  if now_s is not None and self.max_ahead_s is not None else None)
        for payload in payloads:
            try:
                event = self._read(payload)
            except _Refused as refused:
                events.append(refused.refusal)
                continue
            if latest is not None and event.frame_time > latest:
                events.append(Refusal(
                    "ahead_of_clock", event.event_id, "after.frame_time",
                    f"is {event.frame_time - latest + (self.max_ahead_s or 0.0):.0f} s ahead "
                    f"of this receiver's clock (at most {self.max_ahead_s:g} s): is camera "
                    f"{event.camera.name}'s NVR clock set?"))
                continue
            events.append(event)
        placed = self._place([e for e in events if isinstance(e, _Event)])
        for item in events:
            if isinstance(item, Refusal):
                self._refuse(out, item)
                continue
            where = placed[id(item)]
            self._decide(out, item, *where)
        return out

    def _refuse(self, out: Translated, refusal: Refusal) -> None:
        out.refused.append(refusal)
        self.counts[refusal.reason] += 1

    def _decide(self, out: Translated, event: _Event, lat: float, lon: float,
                sigma: float) -> None:
        """Order and repeats last, after everything else was checked: a message refused
        for any other reason leaves the object's memory as it was."""
        last = self._last.get(event.event_id)
        if last is not None and event.frame_time <= last:
            if event.type == "end" and event.frame_time == last:
                # Frigate's end message repeats the object's last frame: it closes the
                # object and is not a new sighting.
                out.ended += 1
                self.counts["ended"] += 1
                return
            reason = "duplicate" if event.frame_time == last else "out_of_order"
            detail = (f"frame_time {event.frame_time!r} was already taken for this object"
                      if reason == "duplicate" else
                      f"frame_time {event.frame_time!r} is older than the last taken "
                      f"for this object ({last!r})")
            self._refuse(out, Refusal(reason, event.event_id, "after.frame_time", detail))
            return
        if not (math.isfinite(lat) and math.isfinite(lon)):
            self._refuse(out, Refusal("unplaceable", event.event_id, "after.box",
                                      "the box's foot is at or above the horizon of camera "
                                      f"{event.camera.name}: it does not meet the ground"))
            return
        if not SIGMA_MIN_M <= sigma <= SIGMA_MAX_M:
            self._refuse(out, Refusal("unplaceable", event.event_id, "after.box",
                                      f"the box's foot is too near camera "
                                      f"{event.camera.name}'s horizon to place "
                                      f"(position error {sigma:.0f} m)"))
            return
        det_id = f"frigate:{event.event_id}@{event.frame_time:.6f}"
        wire: dict[str, Any] = {
            "time": format_time(epoch_to_datetime(event.frame_time)),
            "sensor_id": event.camera.sensor_id,
            "lat": round(lat, 7),
            "lon": round(lon, 7),
            "sigma_m": round(max(sigma, SIGMA_MIN_M), 2),
            "kind": event.kind.value,
            "count": 1,
            "confidence": round(event.score, 3),
            "id": det_id,
        }
        if event.camera.simulated:
            wire["simulated"] = True
        try:
            det = parse_detection(wire)  # the stored object parses back to this very one
        except InputError as err:  # e.g. a pole: refused like any posted detection
            self._refuse(out, Refusal("unplaceable", event.event_id, err.field, err.reason))
            return
        self._last[event.event_id] = event.frame_time
        self._last.move_to_end(event.event_id)
        if len(self._last) > self.remember:
            self._last.popitem(last=False)
        out.detections.append(det)
        out.stored.append((det_id, wire))
        self.counts["accepted"] += 1

    def _place(self, events: list[_Event]) -> dict[int, tuple[float, float, float]]:
        by_camera: dict[str, list[_Event]] = {}
        for event in events:
            by_camera.setdefault(event.camera.name, []).append(event)
        placed: dict[int, tuple[float, float, float]] = {}
        for group in by_camera.values():
            u = np.fromiter((e.foot_u for e in group), float, len(group))
            v = np.fromiter((e.foot_v for e in group), float, len(group))
            where = place_feet(group[0].camera, u, v)
            for event, lat, lon, sigma in zip(group, where.lat.tolist(), where.lon.tolist(),
                                              where.sigma_m.tolist(), strict=True):
                placed[id(event)] = (lat, lon, sigma)
        return placed

    def _read(self, payload: bytes) -> _Event:
        """One message, checked field by field (everything but order and repeats)."""
        try:
            message = orjson.loads(payload)
        except orjson.JSONDecodeError as err:
            raise _Refused(Refusal("malformed_json", None, None, f"not JSON: {err}")) from None
        if not isinstance(message, dict):
            raise _Refused(Refusal("malformed_json", None, None,
                                   f"must be a JSON object, got {type(message).__name__}"))
        after = message.get("after")
        if after is None:
            raise _Refused(Refusal("missing_field", None, "after", "is required"))
        if not isinstance(after, dict):
            raise _Refused(Refusal("bad_field", None, "after",
                                   f"must be an object, got {type(after).__name__}"))
        event_id = after.get("id")
        if event_id is None:
            raise _Refused(Refusal("missing_field", None, "after.id", "is required"))
        if not (type(event_id) is str and 0 < len(event_id) <= MAX_ID_CHARS - 24
                and event_id.isprintable()):
            raise _Refused(Refusal("bad_field", None, "after.id",
                                   f"must be a printable string of at most "
                                   f"{MAX_ID_CHARS - 24} characters, got {event_id!r:.60}"))

        def refuse(reason: str, name: str, detail: str) -> _Refused:
            return _Refused(Refusal(reason, event_id, name, detail))

        def required(name: str) -> Any:
            value = after.get(name)
            if value is None:
                raise refuse("missing_field", f"after.{name}", "is required")
            return value

        kind_of = message.get("type")
        if kind_of is None:
            raise refuse("missing_field", "type", "is required")
        if kind_of not in EVENT_TYPES:
            raise refuse("bad_field", "type", f"must be new, update or end, got {kind_of!r:.40}")
        name = required("camera")
        camera = self.cameras.get(name) if type(name) is str else None
        if camera is None:
            known = ", ".join(sorted(self.cameras))
            raise refuse("unknown_camera", "after.camera",
                         f"{name!r:.60} is not in the cameras file (known: {known:.200})")
        label = required("label")
        kind = LABELS.get(label) if type(label) is str else None
        if kind is None:
            raise refuse("unknown_label", "after.label",
                         f"{label!r:.60} is not a kind Borderwatch tracks (person, vehicles, "
                         "animals)")
        false_positive = required("false_positive")
        if type(false_positive) is not bool:
            raise refuse("bad_field", "after.false_positive",
                         f"must be true or false, got {false_positive!r:.40}")
        if false_positive:
            raise refuse("false_positive", "after.false_positive",
                         "Frigate itself judged this object a false positive")
        frame_time = required("frame_time")
        if not (type(frame_time) in (int, float)
                and EARLIEST_EPOCH_S <= frame_time < LATEST_EPOCH_S):
            raise refuse("bad_field", "after.frame_time", "must be seconds since 1970 "
                         f"(a number before the year 2100), got {frame_time!r:.40}")
        score = required("score")
        if not (type(score) in (int, float) and 0.0 <= score <= 1.0):
            raise refuse("bad_field", "after.score",
                         f"must be a number in [0, 1], got {score!r:.40}")
        u, v = _foot(required("box"), camera, refuse)
        # ``stationary`` is not read: a person standing still at the line is still there,
        # and a stationary object is still a detection (the tracker decides what it does).
        return _Event(event_id, kind_of, camera, kind, float(frame_time), float(score), u, v)


def _foot(box: object, camera: FrigateCamera, refuse: Any) -> tuple[float, float]:
    """The middle of the box's bottom edge, where the object meets the ground."""
    if not (isinstance(box, list) and len(box) == 4
            and all(type(x) in (int, float) and math.isfinite(x) for x in box)):
        raise refuse("bad_field", "after.box",
                     f"must be [x1, y1, x2, y2] in pixels, got {box!r:.60}")
    x1, y1, x2, y2 = (float(x) for x in box)
    width, height = camera.intrinsics.width_px, camera.intrinsics.height_px
    if not (x1 <= x2 and y1 <= y2):
        raise refuse("bad_field", "after.box", f"corners must be ordered, got {box!r:.60}")
    if not (x1 >= -BOX_SLACK_PX and x2 <= width + BOX_SLACK_PX
            and y1 >= -BOX_SLACK_PX and y2 <= height + BOX_SLACK_PX):
        raise refuse("bad_field", "after.box",
                     f"{box!r:.60} lies outside camera {camera.name}'s detect frame "
                     f"({width}x{height}): is its resolution in the cameras file Frigate's "
                     "detect width and height?")
    return (x1 + x2) / 2.0, y2
