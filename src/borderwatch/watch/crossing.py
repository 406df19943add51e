"""Crossing detection with hysteresis.

A track has **crossed** when it was firmly on one side and is now firmly on the other.
"Firmly" means at least ``margin_m`` from the line *and* at least ``sigma_factor`` times its
own position uncertainty: a pickup on Border Road 5-30 m from the line, whose estimate
wobbles by a few metres, never gets firmly onto the other side, so it never alarms, while a
group walking across does, seconds after the line (figures: docs/performance.md).

The crossing point and time are where the track's estimated path last went from the origin
side to the destination side (the straight move between two consecutive estimates meets the
line), so the reported time is the estimated moment of crossing, not the moment of
detection; the difference is the alert latency. A position exactly on the line is on
neither side (geo.boundary): it neither starts nor finishes a crossing.

Animals do not raise crossing incidents (``tracking.kind_evidence`` says how a track is
judged an animal); their crossings are counted in ``suppressed_animal_crossings``. Tracks of unknown
kind do alarm: missing a person in the cold costs more than checking on a deer.

Two tracks of the same group (a track that broke and restarted) that cross in the same
direction within ``merge_distance_m`` and ``merge_window_s`` make one incident, not two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from borderwatch.domain import Direction, Incident, IncidentType, Side
from borderwatch.geo import Boundary
from borderwatch.tracking import TrackBatch
from borderwatch.watch.base import (
    BatchGeometry,
    IncidentFactory,
    RecentIncidents,
    SlotMemory,
    extend_rows,
    is_animal,
)


@dataclass(frozen=True, kw_only=True)
class CrossingSettings:
    margin_m: float = 10.0
    """Minimum distance from the line to count as firmly on a side: a floor under the
    sigma test for tracks that claim to be very precise. A larger floor delays every
    crossing and removed no false one (measured: docs/performance.md)."""
    sigma_factor: float = 3.0
    """... and at least this many sigmas of the track's own position error ..."""
    persistence: int = 2
    """... for this many consecutive updates."""
    merge_distance_m: float = 300.0
    merge_window_s: float = 180.0


class CrossingRule:
    """Raises a crossing incident when a confirmed track goes from firmly one side of the
    line to firmly the other (see the module docstring for "firmly" and for merging).

    State is kept per track slot in arrays, so a scan of many tracks is one vectorised
    step; animals' crossings are counted in ``suppressed_animal_crossings``, not raised.
    """

    def __init__(
        self,
        boundary: Boundary,
        factory: IncidentFactory,
        settings: CrossingSettings | None = None,
    ) -> None:
        self.boundary = boundary
        self.factory = factory
        self.settings = settings or CrossingSettings()
        self.memory = SlotMemory()
        self.firm_side = np.zeros(0, np.int8)  # +1 north, -1 south, 0 not yet
        self.pending_side = np.zeros(0, np.int8)
        self.pending_count = np.zeros(0, np.intp)
        self.last_sign = np.zeros(0, np.int8)  # side of the last estimate off the line
        self.last_pos = np.zeros((0, 3))  # east, north, time of that estimate
        self.cross = np.full((0, 4), np.nan)  # east, north, time, direction(+1/-1)
        self.cross_segment: dict[int, str] = {}
        self.suppressed_animal_crossings = 0
        self.recent = RecentIncidents(self.settings.merge_distance_m, self.settings.merge_window_s)

    def _fit(self, batch: TrackBatch) -> np.ndarray:
        fresh = self.memory.fresh_rows(batch)
        size = len(self.memory.serial)
        if size > len(self.firm_side):
            self.firm_side = extend_rows(self.firm_side, size, 0)
            self.pending_side = extend_rows(self.pending_side, size, 0)
            self.pending_count = extend_rows(self.pending_count, size, 0)
            self.last_sign = extend_rows(self.last_sign, size, 0)
            self.last_pos = extend_rows(self.last_pos, size, np.nan)
            self.cross = extend_rows(self.cross, size, np.nan)
        slots = batch.slot[fresh]
        self.memory.serial[slots] = batch.serial[fresh]
        self.firm_side[slots] = 0
        self.pending_side[slots] = 0
        self.pending_count[slots] = 0
        self.last_sign[slots] = 0
        self.last_pos[slots] = np.nan
        self.cross[slots] = np.nan
        return batch.slot

    def observe(self, batch: TrackBatch, geometry: BatchGeometry) -> list[Incident]:
        """Take one batch of updated tracks; return the crossings it completed.

        The reported point and time are where the estimated path met the line; a track
        that jumped across without a remembered move gets the nearest point of the line
        and the time of this update. Tentative tracks and repeats of a recent crossing
        (a broken and restarted track of the same group) raise nothing.
        """
        slots = self._fit(batch)
        s = self.settings
        signed = geometry.signed_m
        sign = np.sign(signed).astype(np.int8)
        # 1. Path estimate went across the line since the last estimate: remember where.
        flipped = np.flatnonzero(
            (sign != 0) & (self.last_sign[slots] != 0) & (sign != self.last_sign[slots])
        )
        for row in flipped.tolist():
            slot = int(slots[row])
            start = (float(self.last_pos[slot, 0]), float(self.last_pos[slot, 1]))
            end = (float(batch.east_m[row]), float(batch.north_m[row]))
            point = self.boundary.crossing_local(start, end)
            if point is None:  # the move skirted an end of the line
                east, north, segment = self.boundary.nearest_point_local(*end)
                fraction = 1.0
            else:
                east, north, segment, fraction = (
                    point.east_m,
                    point.north_m,
                    point.segment_id,
                    point.fraction,
                )
            t0, t1 = float(self.last_pos[slot, 2]), float(batch.epoch_s[row])
            self.cross[slot] = (east, north, t0 + fraction * (t1 - t0), float(sign[row]))
            self.cross_segment[slot] = segment
        on_side = sign != 0
        self.last_sign[slots[on_side]] = sign[on_side]
        self.last_pos[slots[on_side]] = np.column_stack(
            [batch.east_m[on_side], batch.north_m[on_side], batch.epoch_s[on_side]]
        )
        # 2. Firmly on a side now?
        needed = np.maximum(s.margin_m, s.sigma_factor * batch.position_sigma_m)
        beyond = np.where(np.abs(signed) >= needed, sign, 0).astype(np.int8)
        same = (beyond != 0) & (beyond == self.pending_side[slots])
        self.pending_count[slots] = np.where(
            beyond == 0, 0, np.where(same, self.pending_count[slots] + 1, 1)
        )
        self.pending_side[slots] = beyond
        firm = np.where(self.pending_count[slots] >= s.persistence, beyond, 0).astype(np.int8)
        previous = self.firm_side[slots]
        crossed = np.flatnonzero((firm != 0) & (previous != 0) & (firm != previous))
        has_firm = firm != 0
        self.firm_side[slots[has_firm]] = firm[has_firm]
        self.recent.observe(batch)
        incidents: list[Incident] = []
        for row in crossed.tolist():
            slot = int(slots[row])
            if not batch.confirmed[row]:
                continue
            if is_animal(batch, row):
                self.suppressed_animal_crossings += 1
                continue
            direction = Direction.between(
                Side.NORTH if previous[row] > 0 else Side.SOUTH,
                Side.NORTH if firm[row] > 0 else Side.SOUTH,
            )
            east, north, time_s, cross_dir = self.cross[slot]
            if np.isnan(east) or cross_dir != firm[row]:
                # No remembered move across the line (the track jumped): use the nearest
                # point of the line and the time of this update.
                east, north, segment = self.boundary.nearest_point_local(
                    float(batch.east_m[row]), float(batch.north_m[row])
                )
                time_s = float(batch.epoch_s[row])
            else:
                segment = self.cross_segment[slot]
            now = float(batch.epoch_s[row])
            if self.recent.is_repeat(
                float(east), float(north), float(time_s), int(firm[row]), now=now
            ):
                continue
            incident = self.factory.make(
                IncidentType.CROSSING,
                batch,
                row,
                geometry,
                time_s=float(time_s),
                east_m=float(east),
                north_m=float(north),
                segment=segment,
                direction=direction,
            )
            self.recent.add(
                float(east),
                float(north),
                float(time_s),
                int(firm[row]),
                int(batch.serial[row]),
                now=now,
            )
            incidents.append(incident)
        return incidents
