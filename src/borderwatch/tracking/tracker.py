"""The first Borderwatch tracker: constant-velocity Kalman filters, chi-square gates, global
nearest neighbour assignment, hit-counter confirmation, and a head count per track.

All tracks live in arrays (one row per track) so a scan costs a few vectorised operations,
not a Python loop over tracks. Prediction is lazy: a track is only brought forward to the
time of a scan that could concern it (its predicted position is near the scan's detections).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from borderwatch.domain import Detection
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
from borderwatch.tracking.gating import MahalanobisGate
from borderwatch.tracking.head_count import (
    head_count_range,
    recent_quantile,
    stated_range,
    widen_to_stated,
)
from borderwatch.tracking.kalman import ConstantVelocity
from borderwatch.tracking.kind_evidence import (
    LOG_LIKELIHOOD_TABLE,
    PRIOR_LOG,
    decide,
    label_penalty,
)
from borderwatch.tracking.track_lifecycle import (
    CONFIRMED,
    TENTATIVE,
    HitCounterInitiator,
    LifecycleDeleter,
    LifecycleRules,
)

FREE = 0
_COUNT_WINDOW = 20
"""How many recent detection counts the head count is estimated from."""
SENSOR_COLUMNS = 8
"""Columns of each track's latest count per sensor (a sensor's code modulo this). Two
sensors sharing a column on one track only lose a little evidence: the later count wins."""
_HEAD_COUNT_QUANTILE = 0.8
"""Sensors miss hidden members more often than they invent extra ones, so the estimate
leans high: the 80th percentile of recent counts, not the mean."""
_CHILDREN_QUANTILE = 0.5
"""Children judged from a camera's frames err both ways: a hidden child is missed, and a far
adult whose range (hence height) is underestimated is taken for a child (docs/thermal.md).
The estimate is the median of the recent judgements, not the largest one ever seen: over
thousands of frames the largest is an outlier."""
EVIDENCE_MEMORY = 0.9
"""Each update keeps this share of the class evidence so far: about the last 10 labels
count. Labels of one object in successive frames are far from independent, so naive Bayes
over all of them would be absurdly confident (and blind to a track that swapped objects)."""
HIT_MEMORY = 5
"""Scan windows for which the tracker remembers which sensors hit each track: two tracks
both hit by one sensor in one of them are two objects (the deleter never merges them)."""
_MAX_SPEED_MS = 40.0
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
    group_size_low: IntArray | None = None
    group_size_high: IntArray | None = None
    """The head count's plausible range (``head_count_range``); None: the count alone."""
    front_m: FloatArray | None = None
    """For a group: how far ahead of its centre, along its velocity, its leading member
    is (metres, >= 0); None or 0: a single track, or a group standing still. The crossing
    rule tests the leader: a group has crossed when its first member has (issue 18)."""
    front_sigma_m: FloatArray | None = None
    """... and that member's own position error (``position_sigma_m`` of its track)."""

    def __len__(self) -> int:
        return len(self.serial)

    def size_range(self, row: int) -> tuple[int, int]:
        """(low, high) head count of ``row``: always ``low <= group_size <= high``, >= 1."""
        size = max(1, int(self.group_size[row]))
        low = size if self.group_size_low is None else int(self.group_size_low[row])
        high = size if self.group_size_high is None else int(self.group_size_high[row])
        return max(1, min(low, size)), max(high, size)


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
        first_serial: int = 1,
    ) -> None:
        """``first_serial``: the serial of the first track (and so of its id, track_id).
        Trackers whose tracks share one picture start at different ones so that no two
        tracks share an id (one tracker per boundary segment: geo/segments.py)."""
        if first_serial < 1:
            raise ValueError(f"first_serial must be >= 1, got {first_serial}")
        self.motion: MotionFilter = motion or ConstantVelocity()
        self.gate: Gate = gate or MahalanobisGate()
        self.associator: Associator = associator or GlobalNearestNeighbour()
        self.rules = rules or LifecycleRules()
        self.initiator: Initiator = initiator or HitCounterInitiator(self.rules)
        self.deleter: Deleter = deleter or LifecycleDeleter(self.rules)
        self._next_serial = first_serial
        self._window_index = 0
        self._last_housekeeping = -np.inf
        self.any_stated = False  # a stated range ever seen: until then none of it costs a thing
        self._sensors: dict[int, set[str]] = {}
        self._sensor_code: dict[str, int] = {}
        self._sensor_names: list[str] = []
        """``_sensor_code`` inverted (code -> name), kept as codes are given: rebuilding it
        per window cost time in the number of sensors ever heard, per window."""
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
        self.stated_low = np.full((capacity, _COUNT_WINDOW), np.nan)
        self.stated_high = np.full((capacity, _COUNT_WINDOW), np.nan)
        self.stated = np.zeros(capacity, bool)  # tracks ever given a stated range
        self.children = np.full(capacity, -1, np.intp)
        self.children_judged = np.full((capacity, _COUNT_WINDOW), np.nan)
        self.children_cursor = np.zeros(capacity, np.intp)
        self.evidence = np.tile(PRIOR_LOG, (capacity, 1))
        self.simulated = np.zeros(capacity, np.intp)
        self.last_sensor = np.full(capacity, -1, np.intp)
        self.hit_window = np.full((capacity, HIT_MEMORY), -1, np.int64)
        self.hit_sensors = np.zeros((capacity, HIT_MEMORY), np.uint64)
        self.sensor_count = np.zeros((capacity, SENSOR_COLUMNS))
        self.sensor_count_time = np.full((capacity, SENSOR_COLUMNS), -np.inf)
        """Each track's latest count from each sensor, and its time (GroupTracker)."""

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
                "stated_low", "stated_high", "stated",
                "children",
                "children_judged",
                "children_cursor",
                "evidence",
                "simulated",
                "last_sensor",
                "hit_window",
                "hit_sensors",
                "sensor_count",
                "sensor_count_time",
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

    def confirmed_positions(self, now: float) -> tuple[IntArray, FloatArray]:
        """Serials and positions (n, 2) of every confirmed track, brought forward to ``now``
        at its estimated velocity: the picture an operator would see at that moment."""
        slots = np.flatnonzero(self.status == CONFIRMED)
        dt = (now - self.time[slots])[:, None]
        position = self.state[slots, :2] + self.state[slots, 2:] * dt
        return self.serial[slots].copy(), position

    def sensors_of(self, serial: int) -> tuple[str, ...]:
        return tuple(sorted(self._sensors.get(serial, ())))

    # ---- one scan -------------------------------------------------------------------------
    def process(self, scan: Scan) -> TrackBatch:
        """Fuse one sensor's scan. Returns the tracks it changed and those that ended."""
        return self.process_window([scan])

    def process_window(self, scans: list[Scan]) -> TrackBatch:
        """Fuse every sensor's scan of one time window together.

        Association is global over the window, with one rule more than for a single scan:
        a track takes at most one detection *per sensor* (a sensor reports each object once
        per scan), so a group seen by a camera and a drone in the same second gets both
        reports, applied in time order. Returns every track the window changed, once, in
        its final state, and the tracks that ended.
        """
        if not scans:
            return self._batch(np.empty(0, np.intp), self._housekeeping(-np.inf), ())
        window = Scan.concat(scans)
        self._window_index += 1
        usable = self.initiator.starts_tracks(window.sigma_m)
        cues = (
            tuple(window.detections[i] for i in np.flatnonzero(~usable).tolist())
            if window.detections
            else ()
        )
        det_idx = np.flatnonzero(usable)
        positions = np.column_stack([window.east_m[det_idx], window.north_m[det_idx]])
        sigma = window.sigma_m[det_idx]
        times = window.epoch_s[det_idx]
        sensor = window.sensor_index[det_idx]
        now = float(window.epoch_s.max())
        matched_t = np.empty(0, np.intp)
        matched_d = np.empty(0, np.intp)
        if len(det_idx):
            candidates = self._near(positions, now)
            if len(candidates):
                dt = now - self.time[candidates]
                pred_pos, pred_cov = self.motion.predict_position(
                    self.state[candidates], self.covariance[candidates], dt
                )
                codes = window.kind_code[det_idx]
                evidence = self.evidence[candidates]
                # A tentative track's gate is narrower (tentative_gate_chi2): clutter must
                # line up more precisely to confirm a false track, and a confirmed track
                # wins a contested detection from a tentative one.
                threshold = float(getattr(self.gate, "threshold", self.rules.tentative_gate_chi2))
                narrower = max(0.0, threshold - self.rules.tentative_gate_chi2)
                extra = np.where(self.status[candidates] == TENTATIVE, narrower, 0.0)

                def penalty(t: IntArray, d: IntArray) -> FloatArray:
                    return label_penalty(evidence[t], codes[d]) + extra[t]

                t_local, d_local, cost = self.gate.pairs(
                    pred_pos, pred_cov, positions, sigma, penalty
                )
                # Rows are (track, sensor) pairs: one detection per track per sensor.
                n_sensors = len(window.sensor_names)
                rows, matched_d = self.associator.assign(
                    t_local * n_sensors + sensor[d_local], d_local, cost
                )
                matched_t = candidates[rows // n_sensors]
        taken = np.zeros(len(det_idx), bool)
        taken[matched_d] = True
        unmatched = np.flatnonzero(~taken)
        leaders, follower_d, follower_leader = _co_reports(
            positions[unmatched], sigma[unmatched], times[unmatched], sensor[unmatched]
        )
        new_d = unmatched[leaders]
        born = self._initiate(positions[new_d], sigma[new_d], times[new_d])
        if len(born):
            self._absorb(born, window, det_idx[new_d])
        # A new object reported by several sensors in this window starts one track; the
        # other reports update it like any matched report.
        slot_of_leader = dict(zip(leaders.tolist(), born.tolist(), strict=True))
        extra_t = np.fromiter(
            (slot_of_leader[int(k)] for k in follower_leader), np.intp, len(follower_leader)
        )
        matched_t = np.concatenate([matched_t, extra_t])
        matched_d = np.concatenate([matched_d, unmatched[follower_d]])
        self._update_in_time_order(matched_t, matched_d, positions, sigma, times, window, det_idx)
        changed = np.unique(np.concatenate([matched_t, born]))
        promote = changed[
            (self.status[changed] == TENTATIVE) & self.initiator.confirmed(self.hits[changed])
        ]
        self.status[promote] = CONFIRMED
        ended = self._housekeeping(now)
        changed = changed[self.status[changed] != FREE]
        return self._batch(changed, ended, cues)

    def _update_in_time_order(
        self,
        slots: IntArray,
        rows: IntArray,
        positions: FloatArray,
        sigma: FloatArray,
        times: FloatArray,
        window: Scan,
        det_idx: IntArray,
    ) -> None:
        """Apply matched reports; a track with several (from several sensors) takes them
        one round at a time, earliest first."""
        order = np.argsort(times[rows], kind="stable")
        slots, rows = slots[order], rows[order]
        while len(slots):
            _, first = np.unique(slots, return_index=True)
            s, r = slots[first], rows[first]
            self._update(s, positions[r], sigma[r], times[r])
            self._absorb(s, window, det_idx[r])
            rest = np.ones(len(slots), bool)
            rest[first] = False
            slots, rows = slots[rest], rows[rest]

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
        self.stated_low[slots] = np.nan
        self.stated_high[slots] = np.nan
        self.stated[slots] = False
        self.children[slots] = -1
        self.children_judged[slots] = np.nan
        self.children_cursor[slots] = 0
        self.evidence[slots] = PRIOR_LOG
        self.simulated[slots] = 0
        self.last_sensor[slots] = -1
        self.hit_window[slots] = -1
        self.hit_sensors[slots] = 0
        self.sensor_count_time[slots] = -np.inf
        return slots

    def _absorb(self, slots: IntArray, scan: Scan, rows: IntArray) -> None:
        """Head count, class evidence, ages and provenance from the detections taken."""
        self.counts[slots, self.count_cursor[slots] % _COUNT_WINDOW] = scan.count[rows]
        if self.any_stated or scan.count_low is not None or scan.count_high is not None:
            self._absorb_stated(slots, scan, rows)
        self.count_cursor[slots] += 1
        # Older labels fade (EVIDENCE_MEMORY): hundreds of correlated labels must not make a
        # track so sure of itself that it could never notice it now follows something else.
        self.evidence[slots] = (
            PRIOR_LOG
            + EVIDENCE_MEMORY * (self.evidence[slots] - PRIOR_LOG)
            + LOG_LIKELIHOOD_TABLE[scan.kind_code[rows]]
        )
        judged = scan.children[rows] >= 0
        if judged.any():
            at = slots[judged]
            self.children_judged[at, self.children_cursor[at] % _COUNT_WINDOW] = scan.children[
                rows[judged]
            ]
            self.children_cursor[at] += 1
            median, _ = recent_quantile(self.children_judged[at], _CHILDREN_QUANTILE)
            self.children[at] = median.astype(np.intp)
        self.simulated[slots] |= scan.simulated[rows]
        # Which sensors fed each track: Python sets, touched only when a track hears from a
        # sensor other than the last one (rare), not for every report.
        codes = np.fromiter(
            (self._code_of(n) for n in scan.sensor_names), np.intp, len(scan.sensor_names)
        )[scan.sensor_index[rows]]
        # Which sensors hit each track in this window (for telling two objects from one).
        column = self._window_index % HIT_MEMORY
        stale = self.hit_window[slots, column] != self._window_index
        self.hit_sensors[slots[stale], column] = 0
        self.hit_window[slots, column] = self._window_index
        own = codes % SENSOR_COLUMNS
        self.sensor_count[slots, own] = scan.count[rows]
        self.sensor_count_time[slots, own] = scan.epoch_s[rows]
        bit = np.left_shift(np.uint64(1), (codes % 64).astype(np.uint64))
        np.bitwise_or.at(self.hit_sensors[:, column], slots, bit)
        new = np.flatnonzero(self.last_sensor[slots] != codes)
        names = self._sensor_names
        for serial, code in zip(self.serial[slots[new]].tolist(), codes[new].tolist(), strict=True):
            self._sensors.setdefault(serial, set()).add(names[code])
        self.last_sensor[slots] = codes

    def _absorb_stated(self, slots: IntArray, scan: Scan, rows: IntArray) -> None:
        """The reports' own count ranges beside their counts (NaN: the report gave none)."""
        at = self.count_cursor[slots] % _COUNT_WINDOW
        for window, column in ((self.stated_low, scan.count_low),
                               (self.stated_high, scan.count_high)):
            given = np.full(len(rows), -1) if column is None else column[rows]
            window[slots, at] = np.where(given > 0, given, np.nan)
            self.stated[slots] |= given > 0
        self.any_stated = True

    def stated_range(self, slots: IntArray) -> tuple[FloatArray, FloatArray]:
        """Per track: median stated low, largest stated high in its window (NaN: none)."""
        on = self.stated[slots]
        low, high = np.full(len(slots), np.nan), np.full(len(slots), np.nan)
        low[on], high[on] = stated_range(self.stated_low[slots[on]], self.stated_high[slots[on]])
        return low, high

    def _code_of(self, name: str) -> int:
        code = self._sensor_code.get(name)
        if code is None:
            code = self._sensor_code[name] = len(self._sensor_names)
            self._sensor_names.append(name)
        return code

    def _housekeeping(self, now: float) -> IntArray:
        """End tracks by the lifecycle rules; at most once per second of data time."""
        if now - self._last_housekeeping < 1.0:
            return np.empty(0, np.intp)
        self._last_housekeeping = now
        table = TrackTable(
            self.status,
            self.serial,
            self.state,
            self.covariance,
            self.last_hit,
            self.hits,
            hit_window=self.hit_window,
            hit_sensors=self.hit_sensors,
            window=self._window_index,
        )
        slots = self.deleter.ended(table, now)
        serials = self.serial[slots].copy()
        self.status[slots] = FREE
        for serial in serials.tolist():
            self._sensors.pop(serial, None)
        return serials

    def head_count(self, slots: IntArray) -> tuple[FloatArray, FloatArray]:
        """Each track's head count (the high quantile of its recent detection counts) and
        the spread of those counts (1 sigma)."""
        return recent_quantile(self.counts[slots], _HEAD_COUNT_QUANTILE)

    def position_sigma(self, slots: IntArray) -> FloatArray:
        """1-sigma of each track's position along its worst direction, metres."""
        cov = self.covariance[slots]
        a, b, c = cov[:, 0, 0], cov[:, 1, 1], cov[:, 0, 1]
        largest: FloatArray = np.sqrt((a + b) / 2 + np.sqrt(((a - b) / 2) ** 2 + c**2))
        return largest

    def _batch(self, slots: IntArray, ended: IntArray, cues: tuple[Detection, ...]) -> TrackBatch:
        head, spread = self.head_count(slots)
        kind_code, kind_p = decide(self.evidence[slots])
        size = np.rint(head).astype(np.intp)
        low, high = head_count_range(self.counts[slots], size)
        if self.any_stated:
            low, high = widen_to_stated(low, high, *self.stated_range(slots))
        return TrackBatch(
            slot=slots.copy(),
            serial=self.serial[slots].copy(),
            epoch_s=self.time[slots].copy(),
            east_m=self.state[slots, 0].copy(),
            north_m=self.state[slots, 1].copy(),
            velocity_east_ms=self.state[slots, 2].copy(),
            velocity_north_ms=self.state[slots, 3].copy(),
            position_sigma_m=self.position_sigma(slots),
            group_size=size,
            group_size_sigma=spread,
            children=self.children[slots].copy(),
            kind_code=kind_code,
            kind_probability=kind_p,
            confirmed=(self.status[slots] == CONFIRMED).astype(np.intp),
            hits=self.hits[slots].copy(),
            simulated=self.simulated[slots].copy(),
            ended=ended,
            cues=cues,
            group_size_low=low,
            group_size_high=high,
        )


_CO_REPORT_CHI2 = 9.21
"""Two new reports from different sensors closer than this (squared Mahalanobis distance,
99% for 2 degrees of freedom) in one window are the same new object."""


def _co_reports(
    positions: FloatArray, sigma: FloatArray, times: FloatArray, sensor: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Among unclaimed reports of one window, which start tracks (leaders) and which are
    the same new object seen by another sensor (followers, with their leader).

    Reports are joined when they come from different sensors and agree within the chi-square
    test; a cluster that holds two reports from one sensor is left apart (two objects close
    together), and every report in it starts its own track.
    """
    n = len(positions)
    everyone = np.arange(n)
    none = np.empty(0, np.intp)
    if n < 2 or len(np.unique(sensor)) < 2:
        return everyone, none, none
    radius = float(np.sqrt(_CO_REPORT_CHI2 * 2.0) * sigma.max())
    pairs = cKDTree(positions).query_pairs(radius, output_type="ndarray")
    if len(pairs) == 0:
        return everyone, none, none
    a, b = pairs[:, 0], pairs[:, 1]
    d2 = np.sum((positions[a] - positions[b]) ** 2, axis=1) / (sigma[a] ** 2 + sigma[b] ** 2)
    keep = (sensor[a] != sensor[b]) & (d2 < _CO_REPORT_CHI2)
    if not keep.any():
        return everyone, none, none
    a, b = a[keep], b[keep]
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    leader_of = everyone.copy()
    for component in np.unique(label[np.concatenate([a, b])]):
        members = np.flatnonzero(label == component)
        if len(np.unique(sensor[members])) < len(members):
            continue  # two reports from one sensor: separate objects, no joining
        leader_of[members] = members[np.argmin(times[members])]
    followers = np.flatnonzero(leader_of != everyone)
    leaders = np.flatnonzero(leader_of == everyone)
    return leaders, followers, leader_of[followers]
