"""Approach warning: a track heading for the line, so the team can be there first.

A confirmed track that is not an animal, firmly on one side (see watch.crossing), within
``max_distance_m`` of the line, moving toward it at ``min_speed_ms`` or more with at least
``min_alignment`` of its speed pointed at the line, and due to reach it within ``max_eta_s``,
for ``persistence`` consecutive updates, raises one approach incident. It warns once per
track and side: only after the track has been on the other side may it warn again.
Across tracks, a group (its chain, watch.continuity) is warned of at most once per side
within ``repeat_window_s``: a group lost and found again, or found back on the side it
had crossed from, is not warned of twice, and its crossing (raised on whichever track
follows it then) supersedes the warning under the same group id.
Driving along the line (Border Road) is not approaching it: the alignment test rejects it.
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
class ApproachSettings:
    max_distance_m: float = 1500.0
    min_distance_m: float = 20.0
    min_speed_ms: float = 0.2
    min_alignment: float = 0.6
    """Fraction of the speed that must point at the line (cosine of the angle)."""
    max_eta_s: float = 1800.0
    persistence: int = 5
    repeat_distance_m: float = 500.0
    repeat_window_s: float = 900.0
    """Another track's warning in the same direction this close in space and time is the
    same group seen again (a track that broke and restarted): not warned twice."""


class ApproachRule:
    """Raises an approach warning for a track heading for the line (the conditions are in
    the module docstring); state is kept per track slot, like :class:`CrossingRule`."""

    def __init__(
        self,
        boundary: Boundary,
        factory: IncidentFactory,
        settings: ApproachSettings | None = None,
    ) -> None:
        self.boundary = boundary
        self.factory = factory
        self.settings = settings or ApproachSettings()
        self.memory = SlotMemory()
        self.streak = np.zeros(0, np.intp)
        self.warned = np.zeros(0, bool)
        self.side = np.zeros(0, np.int8)
        self.warned_group: dict[tuple[int, int], float] = {}
        """(group identity, side +1 north) -> data time of its last warning."""
        self.recent = RecentIncidents(
            self.settings.repeat_distance_m, self.settings.repeat_window_s
        )

    def observe(self, batch: TrackBatch, geometry: BatchGeometry) -> list[Incident]:
        """Take one batch of updated tracks; return the approach warnings now due.

        A warning is due after ``persistence`` qualifying updates in a row and at most
        once per track and side; animals are not warned about, and a warning near a
        recent one in place, time and heading is a repeat and dropped.
        """
        fresh = self.memory.fresh_rows(batch)
        size = len(self.memory.serial)
        if size > len(self.streak):
            self.streak = extend_rows(self.streak, size, 0)
            self.warned = extend_rows(self.warned, size, False)
            self.side = extend_rows(self.side, size, 0)
        slots = batch.slot
        self.memory.serial[slots[fresh]] = batch.serial[fresh]
        self.streak[slots[fresh]] = 0
        self.warned[slots[fresh]] = False
        self.side[slots[fresh]] = 0
        s = self.settings
        distance = np.abs(geometry.signed_m)
        toward = geometry.toward_line_ms
        with np.errstate(divide="ignore", invalid="ignore"):
            eta = np.where(toward > 0, distance / toward, np.inf)
            aligned = toward >= s.min_alignment * geometry.speed_ms
        qualifies = (
            (batch.confirmed == 1)
            & (distance >= s.min_distance_m)
            & (distance <= s.max_distance_m)
            & (toward >= s.min_speed_ms)
            & aligned
            & (eta <= s.max_eta_s)
        )
        self.streak[slots] = np.where(qualifies, self.streak[slots] + 1, 0)
        # Once per track and side: reaching the other side re-arms the warning (a track
        # that turns back toward the line after crossing warns again).
        side = np.sign(geometry.signed_m).astype(np.int8)
        moved = (side != 0) & (side != self.side[slots])
        self.warned[slots[moved & (self.side[slots] != 0)]] = False
        self.side[slots[side != 0]] = side[side != 0]
        due = np.flatnonzero(
            qualifies & (self.streak[slots] >= s.persistence) & ~self.warned[slots]
        )
        self.recent.observe(batch)
        incidents = []
        for row in due.tolist():
            self.warned[slots[row]] = True
            if is_animal(batch, row):
                continue
            key = (geometry.identity_of(batch, row), int(side[row]))
            now = float(batch.epoch_s[row])
            if now - self.warned_group.get(key, -np.inf) <= s.repeat_window_s:
                continue  # warned of already, on an earlier track of the group's chain
            self.warned_group[key] = now
            if len(self.warned_group) > 10_000:  # the oldest first: long crossed or gone
                del self.warned_group[next(iter(self.warned_group))]
            origin = Side.NORTH if geometry.signed_m[row] > 0 else Side.SOUTH
            direction = Direction.SOUTHBOUND if origin is Side.NORTH else Direction.NORTHBOUND
            east, north = float(batch.east_m[row]), float(batch.north_m[row])
            time_s = float(batch.epoch_s[row])
            heading = 1 if direction is Direction.NORTHBOUND else -1
            here = (
                east,
                north,
                float(batch.velocity_east_ms[row]),
                float(batch.velocity_north_ms[row]),
            )
            if self.recent.is_repeat(east, north, time_s, heading, here=here):
                continue
            self.recent.add(east, north, time_s, heading, int(batch.serial[row]), here=here)
            segment = self.boundary.segment_at(int(geometry.piece[row])).segment_id
            incidents.append(
                self.factory.make(
                    IncidentType.APPROACH,
                    batch,
                    row,
                    geometry,
                    time_s=float(batch.epoch_s[row]),
                    east_m=east,
                    north_m=north,
                    segment=segment,
                    direction=direction,
                    eta_s=float(eta[row]),
                )
            )
        return incidents
