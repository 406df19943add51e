"""Tracks to TAK: a pipeline track listener that turns each confirmed track update into a
CoT track event (one uid per track for its whole life) and publishes it.

Track updates are a live picture, not alerts: they do not go through the outbox (a lost
update is replaced by the next one a second later); alerts do.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pyproj import Geod

from borderwatch.alerts.cot import TrackReport, track_event
from borderwatch.domain.time import epoch_to_datetime
from borderwatch.geo import Boundary
from borderwatch.tracking import TrackBatch, track_id
from borderwatch.tracking.kind_evidence import kind_of

_GEOD = Geod(ellps="WGS84")


class CotTrackFeed:
    """``publish`` receives each event's bytes (e.g. ``CotStreamServer.publish``)."""

    def __init__(
        self,
        boundary: Boundary,
        publish: Callable[[bytes], None],
        *,
        stale_s: float = 60.0,
        every_s: float = 5.0,
        kinds: frozenset[str] = frozenset({"person", "unknown", "vehicle"}),
    ) -> None:
        """``every_s``: at most one event per track this often (a TAK map does not need
        1 Hz, and radio links to handhelds are narrow). ``kinds``: what is shown (animals
        are counted by the watch, not put on operators' maps)."""
        self.boundary = boundary
        self.publish = publish
        self.stale_s = stale_s
        self.every_s = every_s
        self.kinds = kinds
        self._last: dict[int, float] = {}
        self.sent = 0

    def __call__(self, batch: TrackBatch) -> None:
        frame = self.boundary.frame
        for row in range(len(batch)):
            if not batch.confirmed[row]:
                continue
            serial = int(batch.serial[row])
            epoch = float(batch.epoch_s[row])
            if epoch - self._last.get(serial, -math.inf) < self.every_s:
                continue
            kind = kind_of(int(batch.kind_code[row])).value
            if kind not in self.kinds:
                continue
            east, north = float(batch.east_m[row]), float(batch.north_m[row])
            v_east, v_north = (
                float(batch.velocity_east_ms[row]),
                float(batch.velocity_north_ms[row]),
            )
            lat, lon = frame.point_to_geo(east, north)
            # Course from true north, not grid north: the local frame's grid is rotated by
            # the meridian convergence away from its central meridian (docs/gotchas.md).
            ahead_lat, ahead_lon = frame.point_to_geo(east + v_east * 10.0, north + v_north * 10.0)
            speed = math.hypot(v_east, v_north)
            course = _GEOD.inv(lon, lat, ahead_lon, ahead_lat)[0] % 360.0 if speed > 0 else 0.0
            report = TrackReport(
                track_id=track_id(serial),
                time=epoch_to_datetime(epoch),
                lat=lat,
                lon=lon,
                sigma_m=float(batch.position_sigma_m[row]),
                course_deg=course,
                speed_ms=speed,
                kind=kind,
                group_size=int(batch.group_size[row]),
                simulated=bool(batch.simulated[row]),
                group_size_range=batch.size_range(row),
            )
            self.publish(track_event(report, self.stale_s))
            self._last[serial] = epoch
            self.sent += 1
