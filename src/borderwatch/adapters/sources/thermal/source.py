"""Thermal frames as a detection source: frames + camera file -> wire-format detections.

Runs the per-frame detector over a frame input and turns what it finds into
:class:`~borderwatch.domain.Detection` (the detection wire format): WGS 84 position from the
camera model, ``sigma_m`` from the pose error budget, kind, head count, children where
judged, the classifier's probability as confidence, and the detector's own plausible range
of the head count (``count_low``, ``count_high``: :func:`~.detector.count_range`). A frame
that cannot be used (unreadable, wrong bit depth or size, no pose) is recorded with its
name and skipped; the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from borderwatch.adapters.sources.thermal.camera import Pose, local_to_geo
from borderwatch.adapters.sources.thermal.camera_file import CameraFile
from borderwatch.adapters.sources.thermal.classifier import Classifier, load_classifier
from borderwatch.adapters.sources.thermal.detector import DetectorSettings, Found, FrameDetector
from borderwatch.adapters.sources.thermal.frames import FrameProblem, Radiometry, read_frames
from borderwatch.domain import Detection, InputError, Kind
from borderwatch.domain.detection import MAX_COUNT

_KINDS = {
    "person": Kind.PERSON,
    "animal": Kind.ANIMAL,
    "vehicle": Kind.VEHICLE,
    "unknown": Kind.UNKNOWN,
}


@dataclass
class FrameReport:
    frames: int = 0
    """Frames read and searched."""
    problems: list[FrameProblem] = field(default_factory=list)
    detections: int = 0
    people: int = 0
    """Sum of head counts over person detections."""


@dataclass(kw_only=True)
class ThermalFrameSource:
    """Iterate to get the detections of every usable frame, in frame order."""

    frames_path: Path
    camera: CameraFile
    classifier: Classifier | None = None
    settings: DetectorSettings = field(default_factory=DetectorSettings)
    progress: Callable[[int], None] | None = None
    """Called with 1 after each frame read (usable or not)."""
    on_frame: Callable[[str, list[Found]], None] | None = None
    """Called with each searched frame's name and what was found in it (for scoring)."""
    report: FrameReport = field(default_factory=FrameReport)

    def __iter__(self) -> Iterator[Detection]:
        camera = self.camera
        intr = camera.intrinsics
        radiometry = Radiometry(kelvin_per_count=camera.kelvin_per_count, offset_k=camera.offset_k)
        detector: FrameDetector | None = None
        for item in read_frames(self.frames_path, radiometry, (intr.height_px, intr.width_px)):
            if self.progress is not None:
                self.progress(1)
            if isinstance(item, FrameProblem):
                self.report.problems.append(item)
                continue
            try:
                stamped = camera.pose_for(item.index, item.name)
            except InputError as err:
                self.report.problems.append(FrameProblem(item.index, item.name, err.reason))
                continue
            if detector is None:
                detector = FrameDetector(
                    intrinsics=intr,
                    errors=camera.errors,
                    classifier=self.classifier or load_classifier(),
                    fixed=camera.fixed,
                    radiometric=item.radiometric,
                    settings=self.settings,
                )
            self.report.frames += 1
            found = detector.detect(item.values, stamped.pose)
            if self.on_frame is not None:
                self.on_frame(item.name, found)
            yield from self._detections(found, item.index, stamped.time, stamped.pose)

    def _detections(
        self, found: list[Found], index: int, time: datetime, pose: Pose
    ) -> Iterator[Detection]:
        if not found:
            return
        lat, lon = local_to_geo(
            pose, np.array([f.east for f in found]), np.array([f.north for f in found])
        )
        for k, f in enumerate(found):
            self.report.detections += 1
            if f.kind == "person":
                self.report.people += f.count
            yield Detection(
                time=time,
                epoch_s=time.timestamp(),
                sensor_id=self.camera.sensor_id,
                lat=float(lat[k]),
                lon=float(lon[k]),
                sigma_m=max(float(f.sigma_m), 0.01),
                kind=_KINDS[f.kind],
                count=f.count,
                confidence=round(min(max(f.probability, 0.0), 1.0), 3),
                id=f"{self.camera.sensor_id}-f{index:06d}-{k}",
                children=f.children,
                simulated=self.camera.simulated,
                # The detector's range as the wire takes it (low <= count <= high).
                count_low=None if f.count_low is None else max(1, min(f.count_low, f.count)),
                count_high=(None if f.count_high is None
                            else min(max(f.count_high, f.count), MAX_COUNT)),
            )
