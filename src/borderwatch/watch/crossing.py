"""Crossing detection: a probabilistic side-of-line test with hysteresis.

A track has **crossed** when it was firmly on one side and is now firmly on the other.
"Firmly" is a probability: the track's estimate is Gaussian with its own position error
(``position_sigma_m``, the worst direction of its covariance), so the probability that
the true position is on the side of the estimate is ``Phi(d / sigma)`` for a distance
``d`` from the line. A side is firm when that probability reaches ``probability`` on
``persistence`` consecutive updates, at least ``margin_m`` from the line (issue 18: the
fixed "3 sigma and 10 m, two updates" dwell held a walking group back ~14 s). The
settings were chosen on the tuning seeds only (sim.evaluation.crossing_splits;
docs/tracking.md has the figures). A pickup on Border Road 6.5-28.5 m from the line, whose
estimate a curve or a 30 m sensor can pull across, drives *along* the line: a fast track
whose move from firmly one side to firmly the other runs within 15 degrees of the line is
not crossing (``along_speed_ms``, ``along_angle_deg``).

**A group crosses when its first member does.** The side test is on the group's leading
member (``TrackBatch.front_m``: the member furthest ahead along the group's velocity, with
its own position sigma), not on its centre, which lags the leader by half the group's
length: a file of 9 people 2 m apart crosses 8 m, ~15 s at 0.55 m/s, before its centre.

The incident carries its uncertainty: the probability of the side at the moment it was
raised (``side_probability``), the track's position error (``position_sigma_m``) and what
that makes of the crossing time (``time_sigma_s``, sigma over the speed across the line;
for a group that crossed unseen, found across after a gap, at least the spread of a moment
anywhere in the gap, ``unseen_s`` / sqrt(12), and ``unseen_s`` says how long it was).

The crossing point and time are where the track's estimated path last went from the origin
side to the destination side (the straight move between two consecutive estimates meets the
line), so the reported time is the estimated moment of crossing, not the moment of
detection; the difference is the alert latency. A position exactly on the line is on
neither side (geo.boundary): it neither starts nor finishes a crossing.

**One group, one crossing.** A track that continues a lost group (watch.continuity)
inherits that group's side, its last position and the crossings it raised: a group lost
before the line and found after it raises its crossing (the path from where it was lost to
where it was found met the line), and a crossing in the direction the group last crossed
is the same crossing seen again, never raised twice (``continued_crossings`` counts them).
A track first seen beside a tracked group (it takes that group's identity) takes the
side of the group's track it walks with, the same way: the member seen firmly across
raises the group's crossing when the track that had the side ended short of the line.
A group seen back on its origin side within ``return_s`` of its crossing (a track of it
the group layer split off, or its leader's estimate, wandering over the line) is not
crossing back; after a gap, within ``merge_window_s``.
As a last guard, two tracks not linked by continuity that cross in the same direction
within ``merge_distance_m`` and ``merge_window_s`` make one incident, unless the first is
still being tracked (then they are two groups).

Animals do not raise crossing incidents (``tracking.kind_evidence`` says how a track is
judged an animal); their crossings are counted in ``suppressed_animal_crossings``. Tracks of unknown
kind do alarm: missing a person in the cold costs more than checking on a deer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from borderwatch.domain import Direction, Incident, IncidentType, Side
from borderwatch.geo import Boundary
from borderwatch.tracking import TrackBatch, track_id
from borderwatch.watch.base import (
    BatchGeometry,
    IncidentFactory,
    RecentIncidents,
    SlotMemory,
    extend_rows,
    is_animal,
)

PROBABILITY = 0.95
MARGIN_M = 5.0
PERSISTENCE = 1
"""Chosen on the tuning seeds only (bench/tune_crossings.py; docs/tracking.md, "Choosing
the crossing test"): the lowest probability with no false crossing or duplicate on either
generator's tuning seeds, then one grid step higher for ground not seen. With the guard
against traffic driving along the line (``along_speed_ms``) the lowest is 0.90 (0.85 makes
two field duplicates), so 0.95; before that guard it was 0.98, so 0.99: every false
crossing and duplicate below 0.98 was Border Road traffic. A second update or a 10 m
floor only added delay."""


@dataclass(frozen=True, kw_only=True)
class CrossingSettings:
    probability: float = PROBABILITY
    """Probability that the true position is on the estimate's side, to count as firmly
    on that side ..."""
    margin_m: float = MARGIN_M
    """... at least this far from the line (a floor for tracks that claim to be very
    precise) ..."""
    persistence: int = PERSISTENCE
    """... for this many consecutive updates."""
    merge_distance_m: float = 300.0
    merge_window_s: float = 180.0
    return_s: float = 30.0
    """A group seen back across within this long of raising its crossing is not crossing
    back: the same group's estimate (a track of it the group layer split off, or its
    leader's) wandering over the line. Found back after a gap, ``merge_window_s``."""
    along_speed_ms: float = 4.0
    along_angle_deg: float = 15.0
    """A track at least this fast (no one walks at 4 m/s) whose move from where it was
    last firmly on the origin side to where it is firmly across runs within this angle of
    the line is driving *along* it, not across: a vehicle on a road beside the line whose
    estimate a curve or a long-range sensor's 30 m noise pulled across. A vehicle that
    crosses has to drive across (issue 18: on the field streams' tuning seeds Border Road
    vehicles came within P = 0.95 of the 0.99 side test; none crossed it there)."""


_State = tuple[int, int, float, float, float, float, float, float, float, str]
"""firm side, last sign, last east, north, time, cross east, north, time, direction,
segment: what a track that continues a lost group takes over from it."""


class CrossingRule:
    """Raises a crossing incident when a confirmed track goes from firmly one side of the
    line to firmly the other (see the module docstring for "firmly", continuity and
    merging).

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
        self.inherited = np.zeros(0, bool)  # firm_side is the lost group's, not yet its own
        self.pending_side = np.zeros(0, np.int8)
        self.pending_count = np.zeros(0, np.intp)
        self.last_sign = np.zeros(0, np.int8)  # side of the last estimate off the line
        self.last_pos = np.zeros((0, 3))  # east, north, time of that estimate
        self.cross = np.full((0, 4), np.nan)  # east, north, time, direction(+1/-1)
        self.firm_pos = np.full((0, 2), np.nan)  # east, north where last firm
        self.cross_span = np.zeros(0)  # seconds between the estimates the path crossed
        self.cross_start = np.zeros(0)  # ... and the time of the first of them
        self.cross_segment: dict[int, str] = {}
        self.suppressed_animal_crossings = 0
        self.continued_crossings = 0
        """Crossings of a group that had already raised this crossing (on an earlier track
        of its chain): not raised again."""
        self.raised: dict[int, tuple[int, float, str, float, float]] = {}
        """Group identity -> direction (+1 north), data time, incident id ("" for a repeat
        of another group's) and the leader's position (east, north) of its last crossing."""
        self.updates: list[CrossingUpdate] = []
        """The latest crossings recognised as one already raised (at most 1000)."""
        self.gap_returns = 0
        self.along_the_line = 0
        """Fast tracks found across while driving along the line: not raised
        (``CrossingSettings.along_speed_ms``)."""
        """Groups found back on the side they had crossed from, after a gap: not raised."""
        self.retired: dict[int, _State] = {}
        """Serial -> state of a track whose slot was reused, while a successor may come."""
        self.recent = RecentIncidents(self.settings.merge_distance_m, self.settings.merge_window_s)

    def _state(self, slot: int) -> _State:
        return (
            int(self.firm_side[slot]),
            int(self.last_sign[slot]),
            *(float(x) for x in self.last_pos[slot]),
            *(float(x) for x in self.cross[slot]),
            self.cross_segment.get(slot, ""),
        )  # type: ignore[return-value]

    def _fit(self, batch: TrackBatch, geometry: BatchGeometry) -> np.ndarray:
        fresh = self.memory.fresh_rows(batch)
        size = len(self.memory.serial)
        if size > len(self.firm_side):
            self.firm_side = extend_rows(self.firm_side, size, 0)
            self.inherited = extend_rows(self.inherited, size, False)
            self.pending_side = extend_rows(self.pending_side, size, 0)
            self.pending_count = extend_rows(self.pending_count, size, 0)
            self.last_sign = extend_rows(self.last_sign, size, 0)
            self.last_pos = extend_rows(self.last_pos, size, np.nan)
            self.cross = extend_rows(self.cross, size, np.nan)
            self.firm_pos = extend_rows(self.firm_pos, size, np.nan)
            self.cross_span = extend_rows(self.cross_span, size, 0.0)
            self.cross_start = extend_rows(self.cross_start, size, 0.0)
        self._inherit_late(batch, geometry, fresh, size)
        if len(fresh) == 0:
            return batch.slot
        slots = batch.slot[fresh]
        # What the continued groups left, read before their slots may be reset.
        inherit: dict[int, _State] = {}
        if geometry.predecessor is not None and geometry.predecessor_slot is not None:
            for row in fresh[geometry.predecessor[fresh] >= 0].tolist():
                before = int(geometry.predecessor[row])
                old_slot = int(geometry.predecessor_slot[row])
                if 0 <= old_slot < size and int(self.memory.serial[old_slot]) == before:
                    inherit[row] = self._state(old_slot)
                elif before in self.retired:
                    inherit[row] = self.retired[before]
        if geometry.beside is not None and geometry.beside_slot is not None:
            # A track first seen beside a tracked group (a member out of the dead ground,
            # or one the group layer had not joined yet) is of that group: it takes the
            # group's side of the line, so that the group's crossing is raised when it is
            # the one seen firmly across (the track that had the side may end short of it).
            for row in fresh[geometry.beside[fresh] >= 0].tolist():
                if row in inherit:
                    continue
                companion = int(geometry.beside_slot[row])
                if (
                    0 <= companion < size
                    and int(self.memory.serial[companion]) == int(geometry.beside[row])
                    and self.firm_side[companion] != 0
                ):
                    inherit[row] = self._state(companion)
        for slot in slots[self.memory.serial[slots] > 0].tolist():
            self.retired[int(self.memory.serial[slot])] = self._state(slot)
        if len(self.retired) > 256:
            now = float(batch.epoch_s.max())
            window = 2 * self.settings.merge_window_s + 600.0
            self.retired = {k: v for k, v in self.retired.items() if now - v[4] <= window}
        self.memory.serial[slots] = batch.serial[fresh]
        self.firm_side[slots] = 0
        self.inherited[slots] = False
        self.pending_side[slots] = 0
        self.pending_count[slots] = 0
        self.last_sign[slots] = 0
        self.last_pos[slots] = np.nan
        self.cross[slots] = np.nan
        self.firm_pos[slots] = np.nan
        self.cross_span[slots] = 0.0
        self.cross_start[slots] = 0.0
        for row, state in inherit.items():
            slot = int(batch.slot[row])
            self.firm_side[slot], self.last_sign[slot] = state[0], state[1]
            self.inherited[slot] = state[0] != 0
            self.last_pos[slot] = state[2:5]
            self.cross[slot] = state[5:9]
            self.cross_segment[slot] = state[9]
        return batch.slot

    def _inherit_late(
        self, batch: TrackBatch, geometry: BatchGeometry, fresh: np.ndarray, size: int
    ) -> None:
        """A young track found to continue a lost group after its first update
        (``ContinuitySettings.settle_s``) takes the group's side and last position now, so
        that this update's side test raises the crossing made in the gap (its point where
        the path from where the group was lost to here meets the line). One that already
        raised a crossing of its own keeps it: it is the group's."""
        if geometry.predecessor is None or geometry.predecessor_slot is None:
            return
        late = np.flatnonzero(geometry.predecessor >= 0)
        late = late[~np.isin(late, fresh)]
        for row in late.tolist():
            before = int(geometry.predecessor[row])
            old_slot = int(geometry.predecessor_slot[row])
            own = self.raised.pop(int(batch.serial[row]), None)
            if own is not None:
                self.raised.setdefault(geometry.identity_of(batch, row), own)
                continue
            if 0 <= old_slot < size and int(self.memory.serial[old_slot]) == before:
                state = self._state(old_slot)
            elif before in self.retired:
                state = self.retired[before]
            else:
                continue
            if state[0] == 0:
                continue
            slot = int(batch.slot[row])
            self.firm_side[slot], self.last_sign[slot] = state[0], state[1]
            self.inherited[slot] = True
            self.pending_side[slot] = 0
            self.pending_count[slot] = 0
            self.last_pos[slot] = state[2:5]
            self.cross[slot] = state[5:9]
            self.cross_segment[slot] = state[9]

    def observe(self, batch: TrackBatch, geometry: BatchGeometry) -> list[Incident]:
        """Take one batch of updated tracks; return the crossings it completed.

        The reported point and time are where the estimated path met the line; a track
        that jumped across without a remembered move gets the nearest point of the line
        and the time of this update. Tentative tracks, a group's crossing it already
        raised on an earlier track, and repeats of a recent crossing raise nothing.
        """
        slots = self._fit(batch, geometry)
        s = self.settings
        lead_east, lead_north, signed, lead_sigma = self._leader(batch, geometry)
        sign = np.sign(signed).astype(np.int8)
        # 1. Path estimate went across the line since the last estimate: remember where.
        flipped = np.flatnonzero(
            (sign != 0) & (self.last_sign[slots] != 0) & (sign != self.last_sign[slots])
        )
        for row in flipped.tolist():
            slot = int(slots[row])
            start = (float(self.last_pos[slot, 0]), float(self.last_pos[slot, 1]))
            end = (float(lead_east[row]), float(lead_north[row]))
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
            self.cross_span[slot] = t1 - t0
            self.cross_start[slot] = t0
            self.cross_segment[slot] = segment
        on_side = sign != 0
        self.last_sign[slots[on_side]] = sign[on_side]
        self.last_pos[slots[on_side]] = np.column_stack(
            [lead_east[on_side], lead_north[on_side], batch.epoch_s[on_side]]
        )
        # 2. Firmly on a side now? P(true position on the estimate's side) = Phi(|d|/sigma).
        sigma = np.maximum(lead_sigma, 1e-3)
        lead_ahead = np.zeros(len(batch)) if batch.front_m is None else batch.front_m
        probability = ndtr(np.abs(signed) / sigma)
        firm_now = (probability >= s.probability) & (np.abs(signed) >= s.margin_m)
        beyond = np.where(firm_now, sign, 0).astype(np.int8)
        same = (beyond != 0) & (beyond == self.pending_side[slots])
        self.pending_count[slots] = np.where(
            beyond == 0, 0, np.where(same, self.pending_count[slots] + 1, 1)
        )
        self.pending_side[slots] = beyond
        firm = np.where(self.pending_count[slots] >= s.persistence, beyond, 0).astype(np.int8)
        previous = self.firm_side[slots]
        crossed = np.flatnonzero((firm != 0) & (previous != 0) & (firm != previous))
        was_inherited = self.inherited[slots].copy()
        has_firm = firm != 0
        firm_before = self.firm_pos[slots].copy()
        self.firm_pos[slots[has_firm]] = np.column_stack(
            [lead_east[has_firm], lead_north[has_firm]]
        )
        self.firm_side[slots[has_firm]] = firm[has_firm]
        self.inherited[slots[has_firm]] = False
        self.recent.observe(batch)
        incidents: list[Incident] = []
        for row in crossed.tolist():
            slot = int(slots[row])
            if not batch.confirmed[row]:
                continue
            if is_animal(batch, row):
                self.suppressed_animal_crossings += 1
                continue
            if self._along_the_line(
                geometry,
                row,
                firm_before[row],
                (float(lead_east[row]), float(lead_north[row])),
                float(signed[row]),
            ):
                self.along_the_line += 1
                continue
            now = float(batch.epoch_s[row])
            group = geometry.identity_of(batch, row)
            last = self.raised.get(group)
            if last is not None and math.hypot(
                float(lead_east[row]) - last[3], float(lead_north[row]) - last[4]
            ) > s.merge_distance_m:
                # Its chain raised elsewhere: more than a group's length and a gap's walk
                # away, so a link of the chain was wrong (two groups that met in dead
                # ground), or the group crossed back unseen and now crosses again. Either
                # way this crossing is its own (the repeat test below still applies).
                last = None
            if last is not None and last[0] == int(firm[row]):
                # This group raised this crossing already, on an earlier track of its chain.
                self.continued_crossings += 1
                self._note_update(last[2], batch, row, now)
                continue
            if last is not None and now - last[1] <= (
                s.merge_window_s if was_inherited[row] else s.return_s
            ):
                # Found back on the side it had just crossed from, after a gap (the crossing
                # was raised early, or it turned back unseen): not a crossing of its own;
                # when it crosses again, that is the crossing already raised.
                self.gap_returns += 1
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
                    float(lead_east[row]), float(lead_north[row])
                )
                time_s = now
                unseen = 0.0
                gap = (now, now)
            else:
                segment = self.cross_segment[slot]
                unseen = float(self.cross_span[slot])
                gap = (float(self.cross_start[slot]), float(self.cross_start[slot]) + unseen)
            here = (
                float(batch.east_m[row]),
                float(batch.north_m[row]),
                float(batch.velocity_east_ms[row]),
                float(batch.velocity_north_ms[row]),
            )
            if self.recent.is_repeat(
                float(east),
                float(north),
                float(time_s),
                int(firm[row]),
                now=now,
                here=here,
                born_s=(
                    np.inf if geometry.first_seen_s is None else float(geometry.first_seen_s[row])
                ),
                gap=gap,
            ):
                self.raised[group] = (int(firm[row]), now, "", *_at(lead_east, lead_north, row))
                continue
            across_ms = abs(float(geometry.toward_line_ms[row]))
            time_sigma = sigma[row] / across_ms if across_ms > 0.05 else None
            if unseen > 5.0:  # crossed unseen: the moment is interpolated over the gap
                time_sigma = max(time_sigma or 0.0, unseen / np.sqrt(12.0))
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
                extra={
                    "side_probability": round(float(probability[row]), 6),
                    "position_sigma_m": round(float(sigma[row]), 2),
                    "leader_ahead_m": round(float(lead_ahead[row]), 1),
                    "time_sigma_s": None if time_sigma is None else round(float(time_sigma), 1),
                    "unseen_s": round(unseen, 1) if unseen > 5.0 else None,
                },
            )
            self.raised[group] = (
                int(firm[row]), now, incident.incident_id, *_at(lead_east, lead_north, row)
            )
            self.recent.add(
                float(east),
                float(north),
                float(time_s),
                int(firm[row]),
                int(batch.serial[row]),
                now=now,
                here=here,
                gap=gap,
            )
            incidents.append(incident)
        if len(self.raised) > 1024:
            self.raised = {k: v for k, v in self.raised.items() if now_of(batch) - v[1] <= 86_400.0}
        return incidents

    def _along_the_line(
        self,
        geometry: BatchGeometry,
        row: int,
        before: np.ndarray,
        here: tuple[float, float],
        signed: float,
    ) -> bool:
        """Whether the track in ``row``, now firmly across at ``here``, drove along the
        line rather than across it since it was last firmly on the other side
        (``before``; NaN: not known, e.g. inherited from a lost group)."""
        s = self.settings
        if float(geometry.speed_ms[row]) < s.along_speed_ms or np.isnan(before[0]):
            return False
        moved = float(np.hypot(here[0] - before[0], here[1] - before[1]))
        if moved <= 0.0:
            return False
        before_signed, _ = self.boundary.signed_distance_local(
            np.array([before[0]]), np.array([before[1]])
        )
        across = abs(signed - float(before_signed[0]))
        return bool(across < moved * np.sin(np.radians(s.along_angle_deg)))

    def _leader(
        self, batch: TrackBatch, geometry: BatchGeometry
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Where each group's leading member is (east, north), its signed distance to the
        line and its own position sigma: the side test is on the leader, since a group has
        crossed when its first member has (the truth of a crossing is the first member's
        moment). A group's centre lags its leader by half its length (a file of 9 people
        2 m apart: 8 m, 15 s at 0.55 m/s across), and the centre's sigma is an average's,
        smaller than the leader's own. Without a group front (single tracks), the centre."""
        front = batch.front_m
        if front is None or batch.front_sigma_m is None or not np.any(front > 0):
            return batch.east_m, batch.north_m, geometry.signed_m, batch.position_sigma_m
        speed = np.maximum(geometry.speed_ms, 1e-9)
        east = batch.east_m + front * batch.velocity_east_ms / speed
        north = batch.north_m + front * batch.velocity_north_ms / speed
        signed, _ = self.boundary.signed_distance_local(east, north)
        sigma = np.where(
            front > 0,
            np.maximum(batch.front_sigma_m, batch.position_sigma_m),
            batch.position_sigma_m,
        )
        return east, north, signed, sigma

    def _note_update(self, incident_id: str, batch: TrackBatch, row: int, now: float) -> None:
        self.updates.append(CrossingUpdate(incident_id, track_id(int(batch.serial[row])), now))
        if len(self.updates) > 1000:
            del self.updates[:-1000]


@dataclass(frozen=True)
class CrossingUpdate:
    """A crossing seen again on a later track of the same group: the incident it updates,
    the track now following the group, and when (data time)."""

    incident_id: str
    current_track_id: str
    epoch_s: float


def now_of(batch: TrackBatch) -> float:
    return float(batch.epoch_s.max()) if len(batch) else -np.inf


def _at(east: np.ndarray, north: np.ndarray, row: int) -> tuple[float, float]:
    return float(east[row]), float(north[row])
