"""Group tracks: people walking together are one group with a head count.

Border incidents are about groups, and individual tracks of people 2 m apart swap
identities all the time: reliable to count, fragile to follow one by one. This layer, on
top of the tracker, joins confirmed tracks that are near each other and move alike into
group tracks with a stable id (the lead track's), a smoothed head count, and reported
splits and merges; it returns a ``TrackBatch`` of groups, so the watch rules run on groups.
The rules in detail: docs/tracking.md ("Group tracks").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from borderwatch.tracking.base import FloatArray, IntArray
from borderwatch.tracking.components import components
from borderwatch.tracking.head_count import (
    head_count_range,
    recent_quantile,
    stated_range,
    widen_to_stated,
)
from borderwatch.tracking.kind_evidence import PRIOR_LOG, decide
from borderwatch.tracking.track_lifecycle import CONFIRMED
from borderwatch.tracking.tracker import TrackBatch, Tracker

_EMPTY = np.empty(0, np.intp)


@dataclass(frozen=True, kw_only=True)
class GroupRules:
    link_m: float = 10.0
    """Tracks this close (centre to centre) may join one group: people in file walk about
    2 m apart and each track is off by a few metres (measured: docs/performance.md)."""
    velocity_ms: float = 1.0
    """... if their velocities differ by less than this (m/s, vector difference)."""
    stay_link_m: float = 20.0
    """Tracks already in one group stay together up to this distance ..."""
    stay_velocity_ms: float = 2.0
    """... and this velocity difference: hysteresis, so that a noisy scan does not split a
    group only for the next one to merge it again."""
    head_count_window: int = 20
    """Updates over which the head count is smoothed."""
    head_count_quantile: float = 0.8
    per_sensor_count: bool = True
    """A scan's count of a group is the largest of its sensors' counts, each sensor's
    being the sum over the members of that sensor's latest report (see
    :func:`sensor_head_count`), not the sum of the members' own counts: a radar that
    reports each person and a camera that reports the group with a count, on one group,
    would otherwise count the people twice."""
    count_fresh_s: float = 5.0
    """A sensor's latest report of a group counts for this long (longer report periods
    and dropouts fall back to the members' own counts)."""


@dataclass(frozen=True)
class GroupEvent:
    kind: str
    """``split`` (``group`` left ``other``) or ``merged`` (``other`` joined ``group``)."""
    epoch_s: float
    group: int
    other: int


@dataclass
class GroupTracker:
    """Forms group tracks from a tracker's confirmed tracks after each scan."""

    rules: GroupRules = field(default_factory=GroupRules)
    groups_started: int = 0
    splits: int = 0
    merges: int = 0
    events: list[GroupEvent] = field(default_factory=list)
    keep_events: int = 1000
    """Only the latest events are kept (memory stays flat on a long run)."""

    def __post_init__(self) -> None:
        self._capacity = 0
        self._allocate_groups(256)
        # Per tracker slot: the group (slot and serial) its track belonged to, and which
        # track that was (a slot is reused after its track ends).
        self._member_track = np.zeros(0, np.intp)
        self._member_gslot = np.zeros(0, np.intp)
        self._member_gserial = np.zeros(0, np.intp)

    # ---- storage --------------------------------------------------------------------------
    def _allocate_groups(self, capacity: int) -> None:
        old = self._capacity
        w = self.rules.head_count_window
        serial = np.zeros(capacity, np.intp)
        active = np.zeros(capacity, bool)
        counts = np.full((capacity, w), np.nan)
        cursor = np.zeros(capacity, np.intp)
        stated_low, stated_high = np.full((capacity, w), np.nan), np.full((capacity, w), np.nan)
        if old:
            serial[:old] = self.g_serial
            active[:old] = self.g_active
            counts[:old] = self.g_counts
            cursor[:old] = self.g_cursor
            stated_low[:old], stated_high[:old] = self.g_stated_low, self.g_stated_high
        self.g_serial: IntArray = serial
        """Group id (its lead track's serial) per group slot."""
        self.g_active: NDArray[np.bool_] = active
        self.g_counts: FloatArray = counts
        """Recent raw head counts per group slot (a ring of ``head_count_window``)."""
        self.g_cursor: IntArray = cursor
        self.g_stated_low: FloatArray = stated_low
        self.g_stated_high: FloatArray = stated_high
        """Beside ``g_counts``: the range the members' sensors stated, per scan (NaN: none;
        :meth:`_note_stated`)."""
        self._capacity = capacity

    def _fit_members(self, size: int) -> None:
        if size > len(self._member_track):
            pad = size - len(self._member_track)
            self._member_track = np.concatenate([self._member_track, np.zeros(pad, np.intp)])
            self._member_gslot = np.concatenate([self._member_gslot, np.zeros(pad, np.intp)])
            self._member_gserial = np.concatenate([self._member_gserial, np.zeros(pad, np.intp)])

    def _new_groups(self, lead_serials: IntArray) -> IntArray:
        n = len(lead_serials)
        free = np.flatnonzero(~self.g_active)
        while len(free) < n:
            self._allocate_groups(self._capacity * 2)
            free = np.flatnonzero(~self.g_active)
        slots = free[:n]
        self.g_active[slots] = True
        self.g_serial[slots] = lead_serials
        self.g_counts[slots] = np.nan
        self.g_cursor[slots] = 0
        self.g_stated_low[slots] = np.nan
        self.g_stated_high[slots] = np.nan
        self.groups_started += n
        return slots

    @property
    def active_count(self) -> int:
        return int(np.count_nonzero(self.g_active))

    # ---- one scan -------------------------------------------------------------------------
    def update(self, batch: TrackBatch, tracker: Tracker) -> TrackBatch:
        """Group the tracker's confirmed tracks after the scan that produced ``batch``;
        returns the groups that scan moved (and those that ended) as a ``TrackBatch``."""
        rules = self.rules
        slots = np.flatnonzero(tracker.status == CONFIRMED)
        self._fit_members(len(tracker.status))
        n = len(slots)
        position = tracker.state[slots, :2]
        velocity = tracker.state[slots, 2:]
        # Components of "near and moving alike", on positions brought to a common time.
        if n:
            now = float(tracker.time[slots].max())
            at_now = position + velocity * (now - tracker.time[slots])[:, None]
            reach = max(rules.link_m, rules.stay_link_m)
            pairs = cKDTree(at_now).query_pairs(reach, output_type="ndarray")
            if len(pairs):
                a, b = slots[pairs[:, 0]], slots[pairs[:, 1]]
                dp = at_now[pairs[:, 0]] - at_now[pairs[:, 1]]
                dv = velocity[pairs[:, 0]] - velocity[pairs[:, 1]]
                d2, v2 = np.einsum("ij,ij->i", dp, dp), np.einsum("ij,ij->i", dv, dv)
                together = (
                    (self._member_track[a] == tracker.serial[a])
                    & (self._member_track[b] == tracker.serial[b])
                    & (self._member_gserial[a] == self._member_gserial[b])
                )
                join = (d2 <= rules.link_m**2) & (v2 < rules.velocity_ms**2)
                stay = together & (d2 <= rules.stay_link_m**2) & (v2 < rules.stay_velocity_ms**2)
                pairs = pairs[join | stay]
            n_groups, label = components(n, pairs[:, 0], pairs[:, 1])
        else:
            n_groups, label = 0, _EMPTY
        head, _ = tracker.head_count(slots)
        head = np.maximum(head, 1.0)
        gslot = self._identify(slots, tracker, n_groups, label, head)
        # Remember membership for the next scan.
        self._member_track[slots] = tracker.serial[slots]
        self._member_gslot[slots] = gslot[label]
        self._member_gserial[slots] = self.g_serial[gslot[label]]
        # Groups ended: active before, claimed by no component now.
        claimed = np.zeros(self._capacity, bool)
        claimed[gslot] = True
        gone = np.flatnonzero(self.g_active & ~claimed)
        ended = self.g_serial[gone].copy()
        self.g_active[gone] = False
        # Head count: this scan's raw count into each group's window.
        raw: FloatArray = np.bincount(label, weights=head, minlength=n_groups).astype(float)
        if rules.per_sensor_count and n:
            raw = sensor_head_count(
                label, n_groups, tracker.sensor_count[slots], tracker.sensor_count_time[slots],
                now=now, fresh_s=rules.count_fresh_s, fallback=raw,
            )
        at = self.g_cursor[gslot] % rules.head_count_window
        self.g_counts[gslot, at] = raw
        if n and tracker.any_stated:
            self._note_stated(tracker, slots, label, gslot, at, raw, np.rint(head))
        self.g_cursor[gslot] += 1
        # Report groups with a member updated by this scan.
        touched = np.zeros(len(tracker.status), bool)
        touched[batch.slot] = True
        moved_labels = np.unique(label[touched[slots]]) if n else _EMPTY
        return self._report(
            tracker, slots, label, gslot, moved_labels, ended, batch, head, position, velocity
        )

    def _note_stated(self, tracker: Tracker, slots: IntArray, label: IntArray, gslot: IntArray,
                     at: IntArray, raw: FloatArray, head: FloatArray) -> None:
        """This scan's stated range of each group beside its count ``raw``: each member
        whose sensors stated a range (``Tracker.stated_range``) widens the group's by as
        much as it widens its own head count ``head``, below and above; NaN for a group
        no member's sensor stated one."""
        n_groups = len(gslot)
        low, high = tracker.stated_range(slots)
        for window, member_stated, sign in ((self.g_stated_low, low, -1.0),
                                            (self.g_stated_high, high, 1.0)):
            given = ~np.isnan(member_stated)
            reach = np.where(given, np.maximum(sign * (member_stated - head), 0.0), 0.0)
            some = np.bincount(label, weights=given, minlength=n_groups) > 0
            widened = raw + sign * np.bincount(label, weights=reach, minlength=n_groups)
            window[gslot, at] = np.where(some, widened, np.nan)

    def _identify(
        self, slots: IntArray, tracker: Tracker, n_groups: int, label: IntArray, head: FloatArray
    ) -> IntArray:
        """Group slot of each component: continued by majority of head count, or new."""
        gslot = np.full(n_groups, -1, np.intp)
        if n_groups == 0:
            return gslot
        was = self._member_gslot[slots]
        known = (
            (self._member_track[slots] == tracker.serial[slots])
            & self.g_active[was]
            & (self.g_serial[was] == self._member_gserial[slots])
        )
        votes_label, votes_group = label[known], was[known]
        # The component holding a group's lead track keeps the group (hence its id).
        lead = self.g_serial[votes_group] == tracker.serial[slots[known]]
        vote_weight = head[known] + np.where(lead, 1e9, 0.0)
        split_parent = np.full(n_groups, -1, np.intp)
        if len(votes_label):
            # Weight of each (component, previous group) pair.
            key = votes_label.astype(np.int64) * self._capacity + votes_group
            keys, inverse = np.unique(key, return_inverse=True)
            weight = np.bincount(inverse, weights=vote_weight)
            k_label, k_group = keys // self._capacity, keys % self._capacity
            # Each component's best previous group (heaviest; ties to the lower slot).
            order = np.lexsort((k_group, -weight, k_label))
            first = np.ones(len(order), bool)
            first[1:] = k_label[order][1:] != k_label[order][:-1]
            best = order[first]
            cand_label, cand_group, cand_weight = k_label[best], k_group[best], weight[best]
            # Each previous group continues in the heaviest component that chose it.
            order2 = np.lexsort((cand_label, -cand_weight, cand_group))
            first2 = np.ones(len(order2), bool)
            first2[1:] = cand_group[order2][1:] != cand_group[order2][:-1]
            winners = order2[first2]
            gslot[cand_label[winners]] = cand_group[winners]
            losers = order2[~first2]
            split_parent[cand_label[losers]] = cand_group[losers]
            # Previous groups that chose no component's lead were merged into another.
            continued = np.zeros(self._capacity, bool)
            continued[cand_group[winners]] = True
            merged = ~continued[k_group]
            merged_group, merged_label = k_group[merged], k_label[merged]
        else:
            merged_group = merged_label = _EMPTY
        new = np.flatnonzero(gslot < 0)
        # A part that split off starts a new group with a fresh head count window: the
        # parent's window counted the whole group.
        oldest = np.full(n_groups, np.iinfo(np.intp).max, np.intp)
        np.minimum.at(oldest, label, tracker.serial[slots])
        gslot[new] = self._new_groups(oldest[new])
        now = float(tracker.time[slots].max())
        for comp in np.flatnonzero(split_parent >= 0).tolist():
            parent = int(split_parent[comp])
            self._event("split", now, int(self.g_serial[gslot[comp]]), int(self.g_serial[parent]))
            self.splits += 1
        seen: set[int] = set()
        for group, comp in zip(merged_group.tolist(), merged_label.tolist(), strict=True):
            if group in seen:
                continue
            seen.add(group)
            self._event("merged", now, int(self.g_serial[gslot[comp]]), int(self.g_serial[group]))
            self.merges += 1
        return gslot

    def _event(self, kind: str, epoch_s: float, group: int, other: int) -> None:
        self.events.append(GroupEvent(kind, epoch_s, group, other))
        if len(self.events) > self.keep_events:
            del self.events[: len(self.events) - self.keep_events]

    def _report(
        self,
        tracker: Tracker,
        slots: IntArray,
        label: IntArray,
        gslot: IntArray,
        moved: IntArray,
        ended: IntArray,
        batch: TrackBatch,
        head: FloatArray,
        position: FloatArray,
        velocity: FloatArray,
    ) -> TrackBatch:
        m = len(moved)
        if m == 0:
            return _empty_batch(ended, batch)
        # Members of the moved components, brought to their group's latest time.
        index = np.full(int(label.max()) + 1 if len(label) else 0, -1, np.intp)
        index[moved] = np.arange(m)
        row = index[label]
        member = np.flatnonzero(row >= 0)
        row = row[member]
        t = tracker.time[slots[member]]
        group_time = np.full(m, -np.inf)
        np.maximum.at(group_time, row, t)
        at = position[member] + velocity[member] * (group_time[row] - t)[:, None]
        size = np.bincount(row, minlength=m)
        east = np.bincount(row, weights=at[:, 0], minlength=m) / size
        north = np.bincount(row, weights=at[:, 1], minlength=m) / size
        v_east = np.bincount(row, weights=velocity[member, 0], minlength=m) / size
        v_north = np.bincount(row, weights=velocity[member, 1], minlength=m) / size
        sigma = tracker.position_sigma(slots[member])
        # Spread of the members about the centre adds to the centre's own uncertainty.
        spread2 = np.bincount(
            row, weights=(at[:, 0] - east[row]) ** 2 + (at[:, 1] - north[row]) ** 2, minlength=m
        ) / size
        own = np.bincount(row, weights=sigma**2, minlength=m) / size**2
        pos_sigma = np.sqrt(own + spread2 / size)
        front, front_sigma = _front(row, at - np.column_stack([east, north])[row], sigma,
                                    np.column_stack([v_east, v_north]), m)
        # Head count over the window.
        g = gslot[moved]
        group_size, size_sigma = recent_quantile(self.g_counts[g], self.rules.head_count_quantile)
        size = np.rint(group_size).astype(np.intp)
        size_low, size_high = head_count_range(self.g_counts[g], size)
        if tracker.any_stated:
            size_low, size_high = widen_to_stated(
                size_low, size_high, *stated_range(self.g_stated_low[g], self.g_stated_high[g]))
        # Class: the members' evidence together; ages: children summed where judged.
        evidence = np.zeros((m, tracker.evidence.shape[1]))
        np.add.at(evidence, row, tracker.evidence[slots[member]] - PRIOR_LOG)
        kind_code, kind_p = decide(evidence + PRIOR_LOG)
        member_children = tracker.children[slots[member]]
        judged = np.bincount(row, weights=member_children >= 0, minlength=m) > 0
        children = np.where(
            judged,
            np.bincount(row, weights=np.maximum(member_children, 0), minlength=m),
            -1,
        ).astype(np.intp)
        hits = np.bincount(row, weights=tracker.hits[slots[member]], minlength=m)
        simulated = np.zeros(m, np.intp)
        np.maximum.at(simulated, row, tracker.simulated[slots[member]])
        return TrackBatch(
            slot=g.astype(np.intp),
            serial=self.g_serial[g].copy(),
            epoch_s=group_time,
            east_m=east,
            north_m=north,
            velocity_east_ms=v_east,
            velocity_north_ms=v_north,
            position_sigma_m=pos_sigma,
            group_size=size,
            group_size_sigma=size_sigma,
            children=children,
            kind_code=kind_code,
            kind_probability=kind_p,
            confirmed=np.ones(m, np.intp),
            hits=hits.astype(np.intp),
            simulated=simulated,
            ended=ended,
            cues=batch.cues,
            group_size_low=size_low,
            group_size_high=size_high,
            front_m=front,
            front_sigma_m=front_sigma,
        )


def _front(row: IntArray, offset: FloatArray, sigma: FloatArray, velocity: FloatArray,
           m: int, moving_ms: float = 0.3) -> tuple[FloatArray, FloatArray]:
    """Each group's leading member: how far ahead of the centre along the group's velocity
    (``offset``: each member's position less its group's centre; 0 for a group slower than
    ``moving_ms``, whose heading means nothing) and that member's own position sigma (the
    group's centre sigma is the average's, far smaller than one member's)."""
    speed = np.hypot(velocity[:, 0], velocity[:, 1])
    unit = velocity / np.maximum(speed, 1e-9)[:, None]
    ahead = offset[:, 0] * unit[row, 0] + offset[:, 1] * unit[row, 1]
    order = np.lexsort((ahead, row))  # by group, then by how far ahead
    last = np.flatnonzero(np.r_[row[order][1:] != row[order][:-1], True])
    lead = order[last]
    front = np.zeros(m)
    front_sigma = np.zeros(m)
    front[row[lead]] = np.maximum(ahead[lead], 0.0)
    front_sigma[row[lead]] = sigma[lead]
    still = speed < moving_ms
    front[still] = 0.0
    return front, front_sigma


def sensor_head_count(
    label: IntArray,
    n_groups: int,
    count: FloatArray,
    count_time: FloatArray,
    *,
    now: float,
    fresh_s: float,
    fallback: FloatArray,
) -> FloatArray:
    """Each group's count from its members' latest reports, sensor by sensor.

    ``label``: each member's group; ``count`` and ``count_time``: (members, sensor columns)
    latest count of each member from each sensor, and its time (-inf: none). For each group
    and sensor, the members reported in that sensor's *latest* report of the group (within
    0.5 s of it: one scan) are summed: a camera's group count moves from member to member
    as the association picks the nearest, and only its latest one counts. The group's count
    is the largest over its sensors whose latest report is at most ``fresh_s`` old: each
    sensor misses people far more often than it invents them. A group no sensor reported
    within ``fresh_s`` keeps ``fallback`` (the sum of its members' counts).
    """
    columns = count.shape[1]
    latest = np.full((n_groups, columns), -np.inf)
    np.maximum.at(latest, label, count_time)
    in_latest = np.isfinite(count_time) & (count_time >= latest[label] - 0.5)
    summed = np.zeros((n_groups, columns))
    np.add.at(summed, label, np.where(in_latest, count, 0.0))
    fresh = latest >= now - fresh_s
    best = np.where(fresh, summed, 0.0).max(axis=1)
    return np.where(fresh.any(axis=1), best, fallback)


def _empty_batch(ended: IntArray, batch: TrackBatch) -> TrackBatch:
    none_f, none_i = np.empty(0), np.empty(0, np.intp)
    return TrackBatch(
        slot=none_i,
        serial=none_i,
        epoch_s=none_f,
        east_m=none_f,
        north_m=none_f,
        velocity_east_ms=none_f,
        velocity_north_ms=none_f,
        position_sigma_m=none_f,
        group_size=none_i,
        group_size_sigma=none_f,
        children=none_i,
        kind_code=none_i,
        kind_probability=none_f,
        confirmed=none_i,
        hits=none_i,
        simulated=none_i,
        ended=ended,
        cues=batch.cues,
    )
