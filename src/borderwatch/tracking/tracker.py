"""The first Borderwatch tracker: constant-velocity Kalman filters, chi-square gates, global
nearest neighbour assignment, hit-counter confirmation, and a head count per track.

All tracks live in arrays (one row per track) so a scan costs a few vectorised operations,
not a Python loop over tracks. Prediction is lazy: a track is only brought forward to the
time of a scan that could concern it (its predicted position is near the scan's detections).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from borderwatch.domain import Detection, Kind
from borderwatch.tracking.association import GlobalNearestNeighbour
from borderwatch.tracking.base import (
    Associator,
    Deleter,
    FloatArray,
    Gate,
    Initiator,
    IntArray,
    MotionFilter,
    Scan,
    TrackTable,
)
from borderwatch.tracking.classify import PRIOR_LOG, decide, label_evidence, label_penalty
from borderwatch.tracking.gating import MahalanobisGate
from borderwatch.tracking.kalman import ConstantVelocity
from borderwatch.tracking.lifecycle import (
    CONFIRMED,
    TENTATIVE,
    HitCounterInitiator,
    LifecycleDeleter,
    LifecycleRules,
)

FREE = 0
_COUNT_WINDOW = 20
"""How many recent detection counts the head count is estimated from."""
_HEAD_COUNT_QUANTILE = 0.8
"""Sensors miss hidden members more often than they invent extra ones, so the estimate
leans high: the 80th percentile of recent counts, not the mean."""
EVIDENCE_MEMORY = 0.9
"""Each update keeps this share of the class evidence so far: about the last 10 labels
count. Labels of one object in successive frames are far from independent, so naive Bayes
over all of them would be absurdly confident (and blind to a track that swapped objects)."""
_MAX_SPEED_MS = 60.0
"""Bound used only to decide which tracks a scan could concern."""


@dataclass(frozen=True)
class TrackBatch:
    """Tracks changed by one scan, as arrays (row i is one track)."""

    slot: IntArray
    """Row of the track in the tracker's tables; reused after a track ends (see serial)."""
    serial: IntArray
    epoch_s: FloatArray
    east_m: FloatArray
    north_m: FloatArray
    velocity_east_ms: FloatArray
    velocity_north_ms: FloatArray
    position_sigma_m: FloatArray
    group_size: IntArray
    group_size_sigma: FloatArray
    children: IntArray
    """-1 where no sensor judged ages."""
    kind_code: IntArray
    kind_probability: FloatArray
    confirmed: IntArray
    hits: IntArray
    simulated: IntArray
    ended: IntArray = field(default_factory=lambda: np.empty(0, np.intp))
    """Serials of tracks ended during this scan."""
    cues: tuple[Detection, ...] = ()

    def __len__(self) -> int:
        return len(self.serial)


def track_id(serial: int) -> str:
    return f"trk-{serial:06d}"


class Tracker:
    """Multi-target tracker in a local metric frame (metres east/north, seconds)."""

    def __init__(
        self,
        *,
        motion: MotionFilter | None = None,
        gate: Gate | None = None,
        associator: Associator | None = None,
        rules: LifecycleRules | None = None,
        initiator: Initiator | None = None,
        deleter: Deleter | None = None,
        capacity: int = 1024,
    ) -> None:
        self.motion: MotionFilter = motion or ConstantVelocity()
        self.gate: Gate = gate or MahalanobisGate()
        self.associator: Associator = associator or GlobalNearestNeighbour()
        self.rules = rules or LifecycleRules()
        self.initiator: Initiator = initiator or HitCounterInitiator(self.rules)
        self.deleter: Deleter = deleter or LifecycleDeleter(self.rules)
        self._next_serial = 1
        self._last_housekeeping = -np.inf
        self._sensors: dict[int, set[str]] = {}
        self._allocate(capacity)

    # ---- storage --------------------------------------------------------------------------
    def _allocate(self, capacity: int) -> None:
        self.status = np.zeros(capacity, np.int8)
        self.state = np.zeros((capacity, 4))
        self.covariance = np.zeros((capacity, 4, 4))
        self.time = np.zeros(capacity)
        self.last_hit = np.zeros(capacity)
        self.hits = np.zeros(capacity, np.intp)
        self.serial = np.zeros(capacity, np.intp)
        self.counts = np.full((capacity, _COUNT_WINDOW), np.nan)
        self.count_cursor = np.zeros(capacity, np.intp)
        self.children = np.full(capacity, -1, np.intp)
        self.evidence = np.tile(PRIOR_LOG, (capacity, 1))
        self.simulated = np.zeros(capacity, np.intp)

    def _grow(self) -> None:
        old = len(self.status)
        arrays = {
            name: getattr(self, name)
            for name in (
                "status",
                "state",
                "covariance",
                "time",
                "last_hit",
                "hits",
                "serial",
                "counts",
                "count_cursor",
                "children",
                "evidence",
                "simulated",
            )
        }
        self._allocate(old * 2)
        for name, values in arrays.items():
            getattr(self, name)[:old] = values

    def _free_slots(self, n: int) -> IntArray:
        free = np.flatnonzero(self.status == FREE)
        while len(free) < n:
            self._grow()
            free = np.flatnonzero(self.status == FREE)
        return free[:n]

    @property
    def tracks_started(self) -> int:
        return self._next_serial - 1

    @property
    def active_count(self) -> int:
        return int(np.count_nonzero(self.status))

    @property
    def confirmed_count(self) -> int:
        return int(np.count_nonzero(self.status == CONFIRMED))

    def sensors_of(self, serial: int) -> tuple[str, ...]:
        return tuple(sorted(self._sensors.get(serial, ())))

    # ---- one scan -------------------------------------------------------------------------
    def process(self, scan: Scan) -> TrackBatch:
        """Fuse one sensor's scan. Returns the tracks it changed and those that ended."""
        return self.process_window([scan])

    def process_window(self, scans: list[Scan]) -> TrackBatch:
        """Fuse several sensors' scans of one time window, one after the other, and report
        every track they changed once, in its final state."""
        changed: list[IntArray] = []
        cues: list[Detection] = []
        for scan in scans:
            slots, scan_cues = self._fuse(scan)
            changed.append(slots)
            cues.extend(scan_cues)
        touched = np.unique(np.concatenate(changed)) if changed else np.empty(0, np.intp)
        touched = touched[self.status[touched] != FREE]
        now = max(float(scan.epoch_s.max()) for scan in scans) if scans else -np.inf
        ended = self._housekeeping(now)
        touched = touched[self.status[touched] != FREE]
        return self._batch(touched, ended, tuple(cues))

    def _fuse(self, scan: Scan) -> tuple[IntArray, tuple[Detection, ...]]:
        usable = self.initiator.starts_tracks(scan.sigma_m)
        cues = tuple(d for d, ok in zip(scan.detections, usable, strict=True) if not ok)
        det_idx = np.flatnonzero(usable)
        positions = np.column_stack([scan.east_m[det_idx], scan.north_m[det_idx]])
        sigma = scan.sigma_m[det_idx]
        times = scan.epoch_s[det_idx]
        scan_time = float(scan.epoch_s.max())
        matched_t = np.empty(0, np.intp)
        matched_d = np.empty(0, np.intp)
        if len(det_idx):
            candidates = self._near(positions, scan_time)
            if len(candidates):
                dt = scan_time - self.time[candidates]
                pred_state, pred_cov = self.motion.predict(
                    self.state[candidates], self.covariance[candidates], dt
                )
                labels = [scan.detections[i].kind for i in det_idx]
                evidence = self.evidence[candidates]

                def penalty(t: IntArray, d: IntArray) -> FloatArray:
                    return label_penalty(evidence[t], [labels[i] for i in d])

                t_local, d_local, cost = self.gate.pairs(
                    pred_state[:, :2], pred_cov[:, :2, :2], positions, sigma, penalty
                )
                t_sel, matched_d = self.associator.assign(t_local, d_local, cost)
                matched_t = candidates[t_sel]
        if len(matched_t):
            self._update(matched_t, positions[matched_d], sigma[matched_d], times[matched_d])
            self._absorb(matched_t, [scan.detections[i] for i in det_idx[matched_d]])
        taken = np.zeros(len(det_idx), bool)
        taken[matched_d] = True
        unmatched = np.flatnonzero(~taken)
        born = self._initiate(positions[unmatched], sigma[unmatched], times[unmatched])
        if len(born):
            self._absorb(born, [scan.detections[i] for i in det_idx[unmatched]])
        changed = np.concatenate([matched_t, born])
        # Confirmation (hit counter).
        promote = changed[
            (self.status[changed] == TENTATIVE) & self.initiator.confirmed(self.hits[changed])
        ]
        self.status[promote] = CONFIRMED
        return changed, cues

    def _near(self, positions: FloatArray, scan_time: float) -> IntArray:
        """Active tracks whose prediction could fall inside the scan's area."""
        active: IntArray = np.flatnonzero(self.status)
        if len(active) == 0:
            return active
        dt = np.abs(scan_time - self.time[active])
        margin = self.gate_margin + _MAX_SPEED_MS * np.minimum(dt, 5.0)
        east, north = self.state[active, 0], self.state[active, 1]
        (e_min, n_min), (e_max, n_max) = positions.min(axis=0), positions.max(axis=0)
        inside = (
            (east >= e_min - margin)
            & (east <= e_max + margin)
            & (north >= n_min - margin)
            & (north <= n_max + margin)
        )
        near: IntArray = active[inside]
        return near

    @property
    def gate_margin(self) -> float:
        return float(getattr(self.gate, "max_radius_m", 500.0))

    def _update(
        self, slots: IntArray, positions: FloatArray, sigma: FloatArray, times: FloatArray
    ) -> None:
        dt = times - self.time[slots]
        state, cov = self.motion.predict(self.state[slots], self.covariance[slots], dt)
        state, cov = self.motion.update(state, cov, positions, sigma)
        self.state[slots] = state
        self.covariance[slots] = cov
        self.time[slots] = np.maximum(times, self.time[slots])
        self.last_hit[slots] = np.maximum(times, self.last_hit[slots])
        self.hits[slots] += 1

    def _initiate(self, positions: FloatArray, sigma: FloatArray, times: FloatArray) -> IntArray:
        n = len(positions)
        if n == 0:
            return np.empty(0, np.intp)
        slots = self._free_slots(n)
        self.status[slots] = TENTATIVE
        self.state[slots], self.covariance[slots] = self.initiator.initial_state(positions, sigma)
        self.time[slots] = times
        self.last_hit[slots] = times
        self.hits[slots] = 1
        self.serial[slots] = np.arange(self._next_serial, self._next_serial + n)
        self._next_serial += n
        self.counts[slots] = np.nan
        self.count_cursor[slots] = 0
        self.children[slots] = -1
        self.evidence[slots] = PRIOR_LOG
        self.simulated[slots] = 0
        return slots

    def _absorb(self, slots: IntArray, detections: list[Detection]) -> None:
        """Head count, class evidence, ages and provenance from the detections taken."""
        counts = np.fromiter((d.count for d in detections), float, len(detections))
        self.counts[slots, self.count_cursor[slots] % _COUNT_WINDOW] = counts
        self.count_cursor[slots] += 1
        # Older labels fade (EVIDENCE_MEMORY): hundreds of correlated labels must not make a
        # track so sure of itself that it could never notice it now follows something else.
        self.evidence[slots] = (
            PRIOR_LOG
            + EVIDENCE_MEMORY * (self.evidence[slots] - PRIOR_LOG)
            + label_evidence([d.kind for d in detections])
        )
        children = np.fromiter(
            (-1 if d.children is None else d.children for d in detections), np.intp, len(slots)
        )
        self.children[slots] = np.maximum(self.children[slots], children)
        self.simulated[slots] |= np.fromiter((d.simulated for d in detections), np.intp, len(slots))
        for slot, det in zip(self.serial[slots].tolist(), detections, strict=True):
            self._sensors.setdefault(slot, set()).add(det.sensor_id)

    def _housekeeping(self, now: float) -> IntArray:
        """End tracks by the lifecycle rules; at most once per second of data time."""
        if now - self._last_housekeeping < 1.0:
            return np.empty(0, np.intp)
        self._last_housekeeping = now
        table = TrackTable(self.status, self.serial, self.state, self.covariance, self.last_hit)
        slots = self.deleter.ended(table, now)
        serials = self.serial[slots].copy()
        self.status[slots] = FREE
        for serial in serials.tolist():
            self._sensors.pop(serial, None)
        return serials

    def _batch(self, slots: IntArray, ended: IntArray, cues: tuple[Detection, ...]) -> TrackBatch:
        cov = self.covariance[slots]
        a, b, c = cov[:, 0, 0], cov[:, 1, 1], cov[:, 0, 1]
        largest = (a + b) / 2 + np.sqrt(((a - b) / 2) ** 2 + c**2)
        counts = self.counts[slots]
        if len(slots):
            seen = ~np.isnan(counts)
            filled = np.where(seen, counts, -np.inf)
            ordered = np.sort(filled, axis=1)
            n_seen = seen.sum(axis=1)
            pick = (
                _COUNT_WINDOW
                - n_seen
                + np.floor(_HEAD_COUNT_QUANTILE * (n_seen - 1)).astype(np.intp)
            )
            head = ordered[np.arange(len(slots)), pick]
            mean = np.where(seen, counts, 0).sum(axis=1) / n_seen
            spread = np.sqrt(np.where(seen, (counts - mean[:, None]) ** 2, 0).sum(axis=1) / n_seen)
        else:
            head = spread = np.empty(0)
        kind_code, kind_p = decide(self.evidence[slots])
        return TrackBatch(
            slot=slots.copy(),
            serial=self.serial[slots].copy(),
            epoch_s=self.time[slots].copy(),
            east_m=self.state[slots, 0].copy(),
            north_m=self.state[slots, 1].copy(),
            velocity_east_ms=self.state[slots, 2].copy(),
            velocity_north_ms=self.state[slots, 3].copy(),
            position_sigma_m=np.sqrt(largest),
            group_size=np.rint(head).astype(np.intp),
            group_size_sigma=spread,
            children=self.children[slots].copy(),
            kind_code=kind_code,
            kind_probability=kind_p,
            confirmed=(self.status[slots] == CONFIRMED).astype(np.intp),
            hits=self.hits[slots].copy(),
            simulated=self.simulated[slots].copy(),
            ended=ended,
            cues=cues,
        )


def kinds_for(codes: IntArray) -> list[Kind]:
    from borderwatch.tracking.classify import kind_of

    return [kind_of(int(c)) for c in codes]
