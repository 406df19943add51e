"""Watch stage: rules that look at track updates and raise incidents.

:class:`Watch` computes where each updated track stands relative to the boundary once per
batch (:class:`BatchGeometry`) and hands it to every rule. Rules keep their per-track memory
in arrays indexed by the tracker's slot, and notice a reused slot by its new serial.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from borderwatch.domain import Direction, Incident, IncidentType, Kind
from borderwatch.domain.time import epoch_to_datetime
from borderwatch.geo import Boundary
from borderwatch.tracking import TrackBatch, track_id
from borderwatch.tracking.base import FloatArray, IntArray
from borderwatch.tracking.kind_evidence import kind_of
from borderwatch.watch.continuity import GroupContinuity
from borderwatch.watch.risk import RiskModel


@dataclass(frozen=True)
class BatchGeometry:
    signed_m: FloatArray
    """Signed distance to the line, metres, positive on the north side."""
    piece: IntArray
    north_normal: FloatArray
    """(n, 2) unit vector toward the north side at the nearest point of the line."""
    speed_ms: FloatArray
    toward_line_ms: FloatArray
    """Speed component toward the line (negative when moving away)."""
    identity: IntArray | None = None
    """The group each row belongs to: the serial of the first track of its chain
    (watch.continuity); None: each track is its own group."""
    predecessor: IntArray | None = None
    """For a track seen for the first time that continues a lost group, that group's
    serial (else -1); None: none does."""
    predecessor_slot: IntArray | None = None
    """... and the slot that group's track last had (else -1)."""
    beside_slot: IntArray | None = None
    """For a track seen for the first time beside a tracked group (it takes that group's
    identity: watch.continuity), the slot of the group's track it walks with (else -1)."""
    beside: IntArray | None = None
    """... and that track's serial (else -1)."""
    first_seen_s: FloatArray | None = None
    """When each row's group was first seen by the watch (data time): the first track of
    its chain (``Sighting.chain_first_s``). A group followed through a gap is not one
    that began after another went quiet (RecentIncidents)."""

    def identity_of(self, batch: TrackBatch, row: int) -> int:
        return int(batch.serial[row] if self.identity is None else self.identity[row])


@dataclass(frozen=True)
class Prepared:
    """A batch as the watch rules see it (Watch.prepare); ``geometry`` None: empty."""

    batch: TrackBatch
    geometry: BatchGeometry | None


class WatchRule(Protocol):
    def observe(self, batch: TrackBatch, geometry: BatchGeometry) -> list[Incident]: ...


class Revisions(Protocol):
    """Revises raised incidents as their groups' head counts firm up
    (watch/revision.py ``CountRevisions``)."""

    def observe(self, batch: TrackBatch, geometry: BatchGeometry) -> list[Incident]: ...
    def follow(self, incidents: list[Incident]) -> None: ...


class SlotMemory:
    """Per-track memory in arrays indexed by tracker slot; reset when a slot is reused."""

    def __init__(self) -> None:
        self.serial = np.zeros(0, np.intp)

    def fresh_rows(self, batch: TrackBatch) -> IntArray:
        """Grow to fit the batch's slots; return the batch rows whose slot holds a new track."""
        needed = int(batch.slot.max()) + 1 if len(batch) else 0
        if needed > len(self.serial):
            self.grow(max(needed, 2 * len(self.serial), 64))
        return np.flatnonzero(self.serial[batch.slot] != batch.serial)

    def grow(self, size: int) -> None:
        self.serial = extend_rows(self.serial, size, 0)


def extend_rows(array: np.ndarray, size: int, fill: object) -> np.ndarray:
    """A copy of ``array`` with ``size`` rows, the new rows set to ``fill``."""
    out = np.full((size, *array.shape[1:]), fill, dtype=array.dtype)
    out[: len(array)] = array
    return out


class RecentIncidents:
    """Incidents raised lately, so that one group does not raise the same one twice: same
    direction, within ``distance_m`` and ``window_s`` is a repeat when

    * the track that raised the earlier one is no longer updated (for ``alive_s``) and
      the new group began after it went quiet: the group's track broke and restarted,
      seen again (a group followed since before then, through gaps its continuity
      bridged too, is another group); or
    * that track is still updated, but is within ``together_m`` of the new one now: one
      group the group layer saw as two (a radar resolving its members while a long-range
      sensor reports it as one; parts of a group found again after a gap). Velocities are
      not compared: a track a few seconds old has a velocity off by metres a second; or
    * the two crossings were within ``together_m`` and ``together_s`` of each other,
      whatever their tracks: parts of one group in file cross at one place within
      seconds, and the group layer may follow them as two groups, each with its own
      identity through a gap (field streams, groups of up to 12); or
    * either crossing was inferred across a gap of more than ``unseen_s`` (its group lost
      on one side, found on the other: ``unseen_s`` of the crossing incident) and the
      other one's moment falls in that gap (give or take ``together_s``): one group the
      group layer followed as two chains, one seen across and one found across later (or
      both found across), each continued through the gap on its own. A crossing no
      sensor saw could have been at any moment of its gap, so nothing tells the two
      apart; one incident is raised (on the field streams' diagnostic seeds this was 5 of
      its 7 duplicates, docs/accuracy.md).

    Otherwise it is another group: two groups crossing 150 m and 30 s apart are two
    incidents (the crossing suite has them), and so are two groups crossing side by side
    more than ``together_m`` apart.
    """

    def __init__(
        self,
        distance_m: float,
        window_s: float,
        alive_s: float = 5.0,
        together_m: float = 30.0,
        together_s: float = 30.0,
        unseen_s: float = 5.0,
        memory_s: float = 240.0,
    ) -> None:
        """``memory_s``: how long before the update that raises it a crossing's moment
        may lie (a group found across after a gap, up to the continuity window,
        ``ContinuitySettings.window_s``): incidents are kept that much longer than
        ``window_s`` in data time, not pruned by the moment of the latest query."""
        self.memory_s = memory_s
        self.distance_m = distance_m
        self.unseen_s = unseen_s
        self.window_s = window_s
        self.alive_s = alive_s
        self.together_m = together_m
        self.together_s = together_s
        self._seen: list[tuple[float, float, float, int, int, float, float]] = []
        """east, north, time, direction, serial, and the start and end of the gap the
        moment was interpolated over (``time`` itself when seen across)."""
        self._last_update: dict[int, tuple[float, float, float, float, float]] = {}
        """Serial -> time, east, north, velocity east and north of its last update."""

    def observe(self, batch: TrackBatch) -> None:
        """Note when and where the tracks behind recent incidents were last updated."""
        if not self._last_update or len(batch) == 0:
            return
        watched = np.fromiter(self._last_update, np.intp, len(self._last_update))
        rows = np.flatnonzero(np.isin(batch.serial, watched))
        for row in rows.tolist():
            serial = int(batch.serial[row])
            if float(batch.epoch_s[row]) >= self._last_update[serial][0]:
                self._last_update[serial] = (
                    float(batch.epoch_s[row]),
                    float(batch.east_m[row]),
                    float(batch.north_m[row]),
                    float(batch.velocity_east_ms[row]),
                    float(batch.velocity_north_ms[row]),
                )

    def is_repeat(
        self,
        east: float,
        north: float,
        time_s: float,
        direction: int,
        now: float | None = None,
        here: tuple[float, float, float, float] | None = None,
        born_s: float = np.inf,
        gap: tuple[float, float] | None = None,
    ) -> bool:
        """``time_s`` is the incident's own time (for a crossing, the estimated moment of
        crossing); ``now`` is the data time of the update that raises it; ``here`` is the
        raising track's position and velocity now (east, north, v east, v north), and
        ``born_s`` when it was first seen (unknown: a new track); ``gap`` the times of the
        two estimates the moment was interpolated between (None: seen across)."""
        now = time_s if now is None else now
        start, end = gap if gap is not None else (time_s, time_s)
        # Pruned by data time: a crossing raised now may have a moment up to ``memory_s``
        # back (found across after a gap), and must still meet those raised around it.
        self._seen = [r for r in self._seen if now - r[2] <= self.window_s + self.memory_s]
        live = {r[4] for r in self._seen}
        self._last_update = {k: v for k, v in self._last_update.items() if k in live}
        for e, n, t, d, serial, t_start, t_end in self._seen:
            if not (
                d == direction
                and abs(time_s - t) <= self.window_s
                and (east - e) ** 2 + (north - n) ** 2 <= self.distance_m**2
            ):
                continue
            if (
                abs(time_s - t) <= self.together_s
                and (east - e) ** 2 + (north - n) ** 2 <= self.together_m**2
            ):
                return True  # the same place at the same moment: parts of one group
            slack = self.together_s  # parts of a group in file cross this far apart
            if (end - start > self.unseen_s and start - slack <= t <= end + slack) or (
                t_end - t_start > self.unseen_s and t_start - slack <= time_s <= t_end + slack
            ):
                return True  # either crossed unseen while the other crossed: one group
            last = self._last_update.get(serial)
            if last is None:
                return True
            if now - last[0] > self.alive_s:
                if born_s >= last[0] - self.alive_s:
                    return True
                continue
            if here is not None:
                lag = now - last[0]
                de = here[0] - (last[1] + last[3] * lag)
                dn = here[1] - (last[2] + last[4] * lag)
                if math.hypot(de, dn) <= self.together_m:
                    return True
        return False

    def add(
        self,
        east: float,
        north: float,
        time_s: float,
        direction: int,
        serial: int = -1,
        now: float | None = None,
        here: tuple[float, float, float, float] | None = None,
        gap: tuple[float, float] | None = None,
    ) -> None:
        start, end = gap if gap is not None else (time_s, time_s)
        self._seen.append((east, north, time_s, direction, serial, start, end))
        if serial >= 0:
            when = time_s if now is None else now
            e, n, ve, vn = here if here is not None else (east, north, 0.0, 0.0)
            self._last_update[serial] = (when, e, n, ve, vn)


class IncidentFactory:
    """Makes incidents with ids, risk and the track's facts; one per Watch."""

    def __init__(self, boundary: Boundary, risk: RiskModel, *, prefix: str = "INC") -> None:
        self.boundary = boundary
        self.risk = risk
        self.prefix = prefix
        self._seq = itertools.count(1)

    def make(
        self,
        kind_of_incident: IncidentType,
        batch: TrackBatch,
        row: int,
        geometry: BatchGeometry,
        *,
        time_s: float,
        east_m: float,
        north_m: float,
        segment: str,
        direction: Direction | None,
        eta_s: float | None = None,
        extra: dict[str, object] | None = None,
    ) -> Incident:
        """An incident of ``kind_of_incident`` for the track in ``row`` of ``batch``, at the
        local point (east_m, north_m) and ``time_s``, with a fresh id, the track's kind,
        head count and motion, and its risk assessed there and then. ``eta_s`` is the time
        to the line, for approach warnings. The incident names the group's identity
        (``geometry.identity``, the first track of its chain); when the track now
        following it is another, ``extra`` says which (``current_track_id``)."""
        lat, lon = self.boundary.frame.point_to_geo(east_m, north_m)
        time = epoch_to_datetime(time_s)
        kind = kind_of(int(batch.kind_code[row]))
        children = int(batch.children[row])
        group_size = max(1, int(batch.group_size[row]))
        size_range = batch.size_range(row)
        risk = self.risk.assess(
            lat=lat,
            lon=lon,
            time=time,
            kind=kind,
            group_size=group_size,
            children=None if children < 0 else children,
        )
        serial = geometry.identity_of(batch, row)
        details: dict[str, object] = dict(extra or {})
        if serial != int(batch.serial[row]):
            details["current_track_id"] = track_id(int(batch.serial[row]))
        return Incident(
            incident_id=f"{self.prefix}-{time:%Y%m%d}-{next(self._seq):04d}",
            type=kind_of_incident,
            time=time,
            lat=lat,
            lon=lon,
            segment=segment,
            track_id=track_id(serial),
            group_size=group_size,
            group_size_range=size_range,
            detected_at=epoch_to_datetime(float(batch.epoch_s[row])),
            risk=risk,
            direction=direction,
            kind=kind,
            speed_ms=float(geometry.speed_ms[row]),
            heading_deg=float(
                np.degrees(np.arctan2(batch.velocity_east_ms[row], batch.velocity_north_ms[row]))
                % 360.0
            ),
            distance_to_line_m=float(abs(geometry.signed_m[row])),
            eta_s=eta_s,
            children=None if children < 0 else children,
            simulated=bool(batch.simulated[row]),
            extra=details,
        )


def is_animal(batch: TrackBatch, row: int) -> bool:
    return kind_of(int(batch.kind_code[row])) is Kind.ANIMAL


class Watch:
    """Runs every rule on every batch of track updates."""

    def __init__(
        self,
        boundary: Boundary,
        rules: Sequence[WatchRule],
        continuity: GroupContinuity | None = None,
        revisions: Revisions | None = None,
    ) -> None:
        """``continuity``: re-identifies lost groups (watch.continuity); the default
        does, pass ``GroupContinuity(ContinuitySettings(window_s=0))`` to turn it off.
        ``revisions``: revises raised crossings whose head count firmed up
        (watch/revision.py); None: incidents keep the count they were raised with."""
        self.boundary = boundary
        self.rules = tuple(rules)
        self.continuity = continuity or GroupContinuity()
        self.revisions = revisions

    def observe(self, batch: TrackBatch) -> list[Incident]:
        """:meth:`prepare` then :meth:`judge`: the incidents ``batch`` raises."""
        return self.judge(self.prepare(batch))

    def prepare(self, batch: TrackBatch) -> Prepared:
        """Each group's identity through gaps (watch.continuity), and the batch with each
        group's head count as its chain knows it (``Sighting.head_count``): what the
        picture shows and what the incidents say are then one count. Call once per
        batch, in order; :meth:`judge` raises the incidents."""
        if len(batch) == 0:
            return Prepared(batch, None)
        identity, predecessor = self.continuity.observe(batch)
        seen = self.continuity.seen
        sightings = [seen[serial] for serial in batch.serial.tolist()]
        if any(s.carried is not None for s in sightings):
            counts = np.array([s.head_count() for s in sightings], np.intp).reshape(-1, 3)
            batch = replace(
                batch,
                group_size=counts[:, 0],
                group_size_low=counts[:, 1],
                group_size_high=counts[:, 2],
            )
        slot_before = np.full(len(batch), -1, np.intp)
        for row in np.flatnonzero(predecessor >= 0).tolist():
            slot_before[row] = seen[int(predecessor[row])].slot
        beside = np.full(len(batch), -1, np.intp)
        beside_slot = np.full(len(batch), -1, np.intp)
        if self.continuity.beside:
            for row, serial in enumerate(batch.serial.tolist()):
                companion = self.continuity.beside.get(serial)
                if companion is not None and companion in seen:
                    beside[row], beside_slot[row] = companion, seen[companion].slot
        signed, piece = self.boundary.signed_distance_local(batch.east_m, batch.north_m)
        normal = self.boundary.north_normal(piece)
        v_north = batch.velocity_east_ms * normal[:, 0] + batch.velocity_north_ms * normal[:, 1]
        geometry = BatchGeometry(
            signed_m=signed,
            piece=piece,
            north_normal=normal,
            speed_ms=np.hypot(batch.velocity_east_ms, batch.velocity_north_ms),
            toward_line_ms=-np.sign(signed) * v_north,
            identity=identity,
            predecessor=predecessor,
            predecessor_slot=slot_before,
            beside=beside,
            beside_slot=beside_slot,
            first_seen_s=np.fromiter((s.chain_first_s for s in sightings), float, len(batch)),
        )
        return Prepared(batch, geometry)

    def judge(self, prepared: Prepared) -> list[Incident]:
        """The incidents of a prepared batch, rule by rule (raised ones only; the
        revisions of earlier ones are :meth:`judge_revised`'s second part)."""
        return self.judge_revised(prepared)[0]

    def judge_revised(self, prepared: Prepared) -> tuple[list[Incident], list[Incident]]:
        """The incidents a prepared batch raises, and the revisions it makes of incidents
        raised before (``revisions``, watch/revision.py: their groups' head counts firmed
        up). Only incidents :meth:`keep` keeps are followed, so a pipeline revises only
        what it raised itself."""
        batch, geometry = prepared.batch, prepared.geometry
        if geometry is None:
            return [], []
        incidents: list[Incident] = []
        for rule in self.rules:
            incidents.extend(rule.observe(batch, geometry))
        incidents = self.keep(incidents)
        if self.revisions is None:
            return incidents, []
        revised = self.revisions.observe(batch, geometry)
        self.revisions.follow(incidents)
        return incidents, revised

    def keep(self, incidents: list[Incident]) -> list[Incident]:
        """The incidents raised here (all of them; PlacedWatch keeps its place's)."""
        return incidents
