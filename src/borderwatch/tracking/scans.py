"""Cut a time-ordered detection stream into scans: one time window each, all sensors.

Projection to the local frame is done once per window (one vectorised pyproj call), and the
window's reports become columns, with each report's sensor as an index.
"""

from __future__ import annotations

import math

import numpy as np

from borderwatch.domain import Detection
from borderwatch.geo import LocalFrame
from borderwatch.tracking.base import Scan
from borderwatch.tracking.kind_evidence import label_codes


class ScanBuilder:
    """Collects time-ordered detections into scans of ``window_s`` seconds, projected to
    the local frame; reports the frame cannot place are set aside, not scanned."""

    def __init__(self, frame: LocalFrame, *, window_s: float = 1.0) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be > 0")
        self.frame = frame
        self.window_s = window_s
        self._window: float | None = None
        self._pending: list[Detection] = []
        self.dropped = 0
        self.unplaceable: list[Detection] = []
        """Reports the frame cannot place (a conic frame sends the far pole to infinity),
        the last 100 of them: kept out of the scans (and counted in ``dropped``), so one
        of them cannot stop the tracker."""

    def add(self, det: Detection) -> list[Scan]:
        """Add the next detection (in time order); return the scans it completed."""
        return self.add_many([det])

    def add_many(self, dets: list[Detection]) -> list[Scan]:
        """``add`` for a run of detections in time order (one call instead of many)."""
        out: list[Scan] = []
        width = self.window_s
        current = self._window
        pending = self._pending
        for det in dets:
            window = math.floor(det.epoch_s / width)
            if window != current and current is not None:
                self._window = current
                out.extend(self._cut())
                pending = self._pending
            current = window
            pending.append(det)
        self._window = current
        return out

    def flush(self) -> list[Scan]:
        return self._cut()

    def _cut(self) -> list[Scan]:
        dets = self._pending
        if not dets:
            return []
        self._pending = []
        # Detections are named tuples: one transpose in C gives every field as a column.
        columns = dict(zip(Detection._fields, zip(*dets, strict=True), strict=True))
        lat = np.array(columns["lat"], float)
        lon = np.array(columns["lon"], float)
        epoch = np.array(columns["epoch_s"], float)
        sigma = np.array(columns["sigma_m"], float)
        kind = label_codes(columns["kind"])
        count = np.array(columns["count"], np.intp)
        children = np.array([-1 if c is None else c for c in columns["children"]], np.intp)
        simulated = np.array(columns["simulated"], np.intp)
        count_low, count_high = _stated(columns["count_low"]), _stated(columns["count_high"])
        east, north = self.frame.to_local(lat, lon)
        placed = np.isfinite(east) & np.isfinite(north)
        if not placed.all():  # rare: cut again without them
            lost = np.flatnonzero(~placed).tolist()
            self.dropped += len(lost)
            self.unplaceable = [*self.unplaceable, *(dets[i] for i in lost)][-100:]
            self._pending = [dets[i] for i in np.flatnonzero(placed).tolist()]
            return self._cut()
        codes: dict[str, int] = {}
        sensor_index = np.fromiter(
            (codes.setdefault(name, len(codes)) for name in columns["sensor_id"]),
            np.intp,
            len(dets),
        )
        return [
            Scan(
                detections=tuple(dets),
                sensor_names=tuple(codes),
                sensor_index=sensor_index,
                epoch_s=epoch,
                east_m=east,
                north_m=north,
                sigma_m=sigma,
                kind_code=kind,
                count=count,
                children=children,
                simulated=simulated,
                count_low=count_low,
                count_high=count_high,
            )
        ]


def _stated(column: tuple[int | None, ...]) -> np.ndarray | None:
    """A column of optional counts as integers (-1: none), or None when the scan has none:
    ``tuple.count`` looks at every report in C, so a scan without ranges (nearly all)
    costs no Python work per report."""
    if column.count(None) == len(column):
        return None
    return np.array([-1 if c is None else c for c in column], np.intp)
