"""Group continuity: a group whose track was lost and found again is the same group.

Terrain, a sensor dropout or a gap in coverage hides a walking group for 20-120 s; its track
coasts for at most 30 s (tracking.track_lifecycle) and ends, and when the group is seen
again the tracker starts a new track with a new id. Left alone, the watch rules would treat
it as a stranger: the approach warning raised again, the crossing raised twice (issue 18:
a pair on the Saskatchewan line raised two crossings four minutes apart), or never raised
at all when the new track begins already across the line.

So the watch stage gives every group track an **identity**: the id of the first track of
its chain. A track seen for the first time continues a **lost** group (not updated for
``lost_after_s``, last seen at most ``window_s`` ago, never continued before, followed
for at least ``min_seen_s``: a fragment of a group that lived a few seconds is no
evidence of where the group went) when:

* the lost group was moving like people (at most ``max_speed_ms``), and so is the new one
  (at most ``max_new_speed_ms``: a track a few seconds old has a rough velocity, but a
  vehicle's is still well above it);
* the new track is where the lost group could have walked: within ``reach_m`` plus
  ``drift_ms`` per second lost of the stretch between where it was last seen and where it
  would be at its last velocity (it may have paused, slowed, turned);
* its heading is not the opposite (the angle between the two velocities is under 120
  degrees when both move at 0.4 m/s or more: a track a few seconds old has a velocity
  off by a metre a second or more);
* its head count is within a factor ``size_ratio`` (plus one) of the lost group's. A
  group out of dead ground often comes out as several tracks of one member each (a group
  of 10 as seven singles, on the field streams' diagnostic seed 3108): the lost group's
  count is tested against the young tracks within ``together_m`` of it together
  (:class:`Emerging`), the new track's own count against the lost group's alone. Those
  tracks are one group: once one of them continued a lost group by their count together,
  the young tracks within ``together_m`` of that place continue one by their own count
  only, for ``settle_s``.

**Settling.** The first member out of the dead ground is tracked first: a count of 1 and
the velocity of two scans, which the test above refuses for a group of 9, or for a
heading off by a metre a second. So a track that started a group of its own is tested
again at each update for ``settle_s`` (against the groups lost before it began); found
to continue one, it takes its identity from then on, with the tracks that joined it, and
the crossing rule raises the crossing made in the gap on that update (measured on the
field streams' tuning seeds: docs/accuracy.md). The tracks that joined a young group are
tested too: the first member out may stay a track of one while another counts the group.

**Head count through a gap.** A track a few seconds old has seen a few members in a few
scans: it undercounts (a fragment, or the first member out of the dead ground). A track
that continues a lost group, or walks beside a tracked one, *carries* that group's count:
its count is the larger of its own and the carried one, and so is the top of its range; the
bottom of its range is the larger of the two bottoms (the group's count was established
over at least ``min_seen_s``; the new track's is not yet). Carried counts pass down a chain.
A group that truly split in the gap is then over-counted until the parts are apart:
measured on the field streams, fragments are far more common (docs/tracking.md).

Among several lost groups the nearest (relative to its reach) wins, and each lost group is
continued at most once. This is the lost-track re-identification of track-stitching
(Zhang, Li & Nevatia, "Global data association for multi-object tracking using network
flows", CVPR 2008, stitches tracklets by motion, time gap and appearance; here the
appearance is the head count), done online and greedily.

Edge cases, kept on purpose:

* A group still being tracked is never continued by another track: two groups crossing
  close together, both tracked, stay two groups and make two incidents. This holds for
  the group, not the track: a part of a group lost while another track of the group goes
  on (the group layer split it) is not a lost group.
* A group lost for longer than ``window_s`` is a new group when seen again: a crossing it
  then completes is raised as a new incident (better twice than never).
* A track that splits off a live group is a new group (its parent is not lost).

Pure: the state is the last sighting of each recent group, pruned after ``window_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from borderwatch.tracking import TrackBatch
from borderwatch.tracking.base import IntArray


@dataclass(frozen=True, kw_only=True)
class ContinuitySettings:
    lost_after_s: float = 5.0
    """A group not updated for this long is lost (a track coasting through a gap)."""
    window_s: float = 240.0
    """... and may be found again for this long after it was last seen."""
    min_seen_s: float = 10.0
    reach_m: float = 50.0
    drift_ms: float = 0.6
    """Reach around the lost group's predicted stretch, and its growth per second lost."""
    max_speed_ms: float = 3.0
    """Faster tracks (vehicles) are not continued: a walker's gap is not a driver's ..."""
    max_new_speed_ms: float = 5.0
    """... nor continued by a new track faster than this."""
    size_ratio: float = 3.0
    settle_s: float = 10.0
    """A track that started a group of its own is tested again at each update for this
    long: its first velocity and head count come from a few scans of the first members out
    of the dead ground (a fragment of a big group counts 1, its heading is off by a metre a
    second), so the first test alone refuses the very groups it is for."""
    together_m: float = 30.0
    together_ms: float = 3.0
    """A new track this close to a group being tracked, at a velocity this close (loose:
    a new track's velocity is rough), is part of that group (a member the group layer has
    not joined yet): it takes the group's identity."""


@dataclass
class Sighting:
    """The last update of one group track, and the chain it belongs to."""

    identity: int
    slot: int
    time_s: float
    east_m: float
    north_m: float
    velocity_east_ms: float
    velocity_north_ms: float
    size: int
    first_s: float
    continued: bool = False
    size_range: tuple[int, int] = (1, 1)
    """The track's own head count range (TrackBatch.size_range)."""
    carried: tuple[int, int, int] | None = None
    """(count, low, high) carried from the group it continues or walks beside; None: own."""
    chain_first_s: float = math.nan
    """When the group (its identity) was first seen: the first track's ``first_s``, passed
    on to the tracks that continue it or walk beside it (NaN: this track's own)."""

    def __post_init__(self) -> None:
        if math.isnan(self.chain_first_s):
            self.chain_first_s = self.first_s

    def head_count(self) -> tuple[int, int, int]:
        """(count, low, high): its own, raised by what it carries (module docstring)."""
        low, high = self.size_range
        if self.carried is None:
            return self.size, low, high
        count = max(self.size, self.carried[0])
        return count, min(max(low, self.carried[1]), count), max(high, self.carried[2], count)


class GroupContinuity:
    """Gives each group track of a batch its identity (see the module docstring)."""

    def __init__(self, settings: ContinuitySettings | None = None) -> None:
        self.settings = settings or ContinuitySettings()
        self.seen: dict[int, Sighting] = {}
        """Serial -> last sighting, for the groups seen in the last ``window_s``."""
        self.continued = 0
        """How many new tracks were found to continue a lost group."""
        self.joined = 0
        """How many new tracks were found to be part of a group being tracked."""
        self.beside: dict[int, int] = {}
        """Serial of each track first seen in the last batch beside a tracked group ->
        the serial of that group's track it walks with (the crossing rule takes that
        track's side of the line for it)."""
        self._pruned_at = -math.inf
        self.emerged: list[tuple[float, float, float]] = []
        """(time, east, north) of each recent continuation by the count of the young
        tracks around (:class:`Emerging`): they have been spent."""

    def observe(self, batch: TrackBatch) -> tuple[IntArray, IntArray]:
        """The identity of each row of ``batch`` and, for a track seen for the first time
        that continues a lost group, that group's serial (else -1)."""
        n = len(batch)
        identity = batch.serial.copy()
        predecessor = np.full(n, -1, np.intp)
        if n == 0:
            return identity, predecessor
        now = float(batch.epoch_s.max())
        s = self.settings
        fresh = [row for row in range(n) if int(batch.serial[row]) not in self.seen]
        self.beside = {}
        joined: set[int] = set()
        carried: dict[int, tuple[int, int, int]] = {}
        chain_first: dict[int, float] = {}
        if fresh:
            alive_serials = [
                serial for serial, seen in self.seen.items() if now - seen.time_s < s.lost_after_s
            ]
            alive = [self.seen[serial] for serial in alive_serials]
            alive_at = np.array(
                [
                    (a.time_s, a.east_m, a.north_m, a.velocity_east_ms, a.velocity_north_ms)
                    for a in alive
                ]
            ).reshape(-1, 5)
            for row in fresh:
                near = self._beside(batch, row, alive, alive_at) if alive else None
                if near is not None:
                    beside = alive[near]
                    self.beside[int(batch.serial[row])] = alive_serials[near]
                    identity[row] = beside.identity
                    self.joined += 1
                    joined.add(row)
                    carried[row] = beside.head_count()
                    chain_first[row] = beside.chain_first_s
            lost = self._lost(now, now)
            fresh_rows = set(fresh)
            emerging = self._emerging(
                batch, [r for r in range(n) if r in fresh_rows or self._young(batch, r)]
                if lost else [], now
            )
            for row in fresh:
                if row in joined:  # part of a tracked group: continues nothing of its own
                    continue
                found = self._continues(batch, row, lost, emerging) if lost else None
                if found is not None:
                    predecessor[row] = found
                    identity[row] = lost[found].identity
                    carried[row] = lost[found].head_count()
                    chain_first[row] = lost[found].chain_first_s
                    lost.pop(found).continued = True
                    self.continued += 1
        self._settle(batch, identity, predecessor, carried, now, set(fresh))
        columns = zip(
            batch.serial.tolist(),
            batch.slot.tolist(),
            batch.epoch_s.tolist(),
            batch.east_m.tolist(),
            batch.north_m.tolist(),
            batch.velocity_east_ms.tolist(),
            batch.velocity_north_ms.tolist(),
            batch.group_size.tolist(),
            strict=True,
        )
        for row, (serial, slot, t, e, nn, ve, vn, size) in enumerate(columns):
            seen = self.seen.get(serial)
            if seen is None:
                seen = self.seen[serial] = Sighting(
                    int(identity[row]),
                    slot,
                    t,
                    e,
                    nn,
                    ve,
                    vn,
                    max(1, size),
                    t,
                    carried=carried.get(row),
                    chain_first_s=chain_first.get(row, t),
                )
            else:
                seen.slot, seen.time_s, seen.east_m, seen.north_m = slot, t, e, nn
                seen.velocity_east_ms, seen.velocity_north_ms = ve, vn
                seen.size = max(1, size)
                identity[row] = seen.identity
            seen.size_range = batch.size_range(row)
        if now - self._pruned_at > 30.0:
            self._pruned_at = now
            self.seen = {k: v for k, v in self.seen.items() if now - v.time_s <= s.window_s}
        return identity, predecessor

    def _settle(
        self,
        batch: TrackBatch,
        identity: IntArray,
        predecessor: IntArray,
        carried: dict[int, tuple[int, int, int]],
        now: float,
        fresh: set[int],
    ) -> None:
        """Test again the young tracks that started a group of their own (``settle_s``):
        one found to continue a lost group takes its identity from now on, and so do the
        tracks that joined it meanwhile. Only groups lost before the young track began
        are candidates, as at its first sight."""
        s = self.settings
        young = [row for row in range(len(batch)) if row not in fresh and self._young(batch, row)]
        pool = self._lost(now, now) if young else {}
        emerging = self._emerging(batch, sorted(fresh) + young if pool else [], now)
        for row in young:
            if not self._young(batch, row):  # its chain continued a group on an earlier row
                continue
            mine = self.seen[int(batch.serial[row])]
            began = self.seen[mine.identity].first_s
            lost = {
                serial: seen
                for serial, seen in pool.items()
                if not seen.continued and s.lost_after_s <= began - seen.time_s
            }
            found = self._continues(batch, row, lost, emerging) if lost else None
            if found is None:
                continue
            before = mine.identity
            predecessor[row] = found
            identity[row] = lost[found].identity
            carried[row] = lost[found].head_count()
            mine.carried = carried[row]
            mine.chain_first_s = lost[found].chain_first_s
            lost[found].continued = True
            self.continued += 1
            for other in self.seen.values():  # what joined it is of that group too
                if other.identity == before:
                    other.identity = int(identity[row])
                    other.chain_first_s = mine.chain_first_s

    def _young(self, batch: TrackBatch, row: int) -> bool:
        """Whether the track in ``row`` is of a young group that started on its own (not
        continuing nor beside another), within ``settle_s`` of its first track: the first
        track, or one that joined it. A member that joined may be the one that counts the
        group (the first track out of the dead ground is a single member, and stays one)."""
        seen = self.seen.get(int(batch.serial[row]))
        if seen is None:
            return False
        first = self.seen.get(seen.identity)
        return (
            first is not None
            and first.identity == seen.identity
            and first.carried is None
            and float(batch.epoch_s[row]) - first.first_s <= self.settings.settle_s
        )

    def _lost(self, now: float, lost_by: float) -> dict[int, Sighting]:
        """The lost groups a new track may continue: not updated since ``lost_by`` -
        ``lost_after_s`` (for a young track, since before it began), seen within
        ``window_s`` and followed for ``min_seen_s``, at walking speed, not continued
        yet, and of a group no track follows now: a track of a group that goes on
        elsewhere (a fragment the group layer split off) is not a lost group."""
        s = self.settings
        followed = {
            seen.identity for seen in self.seen.values() if now - seen.time_s < s.lost_after_s
        }
        return {
            serial: seen
            for serial, seen in self.seen.items()
            if not seen.continued
            and seen.identity not in followed
            and s.lost_after_s <= lost_by - seen.time_s
            and now - seen.time_s <= s.window_s
            and seen.time_s - seen.first_s >= s.min_seen_s
            and math.hypot(seen.velocity_east_ms, seen.velocity_north_ms) <= s.max_speed_ms
        }

    def _beside(
        self, batch: TrackBatch, row: int, alive: list[Sighting], columns: np.ndarray
    ) -> int | None:
        """The index in ``alive`` of the tracked group (``columns``: their time, east,
        north, velocity east and north) that the new track in ``row`` walks with, if any:
        the nearest."""
        s = self.settings
        lag = float(batch.epoch_s[row]) - columns[:, 0]
        off = np.hypot(
            float(batch.east_m[row]) - columns[:, 1] - columns[:, 3] * lag,
            float(batch.north_m[row]) - columns[:, 2] - columns[:, 4] * lag,
        )
        dv = np.hypot(
            float(batch.velocity_east_ms[row]) - columns[:, 3],
            float(batch.velocity_north_ms[row]) - columns[:, 4],
        )
        near = np.flatnonzero((off <= s.together_m) & (dv <= s.together_ms))
        return int(near[np.argmin(off[near])]) if len(near) else None

    def _continues(
        self,
        batch: TrackBatch,
        row: int,
        lost: dict[int, Sighting],
        emerging: Emerging | None = None,
    ) -> int | None:
        """The serial of the lost group the new track in ``row`` continues, if any (the
        tests of the module docstring; ``emerging``: the young tracks around it)."""
        s = self.settings
        t = float(batch.epoch_s[row])
        east, north = float(batch.east_m[row]), float(batch.north_m[row])
        ve, vn = float(batch.velocity_east_ms[row]), float(batch.velocity_north_ms[row])
        if math.hypot(ve, vn) > s.max_new_speed_ms:
            return None
        size = max(1, int(batch.group_size[row]))
        around = max(size, emerging.count(row) if emerging is not None else 0)
        best: tuple[float, int, bool] | None = None
        for serial, seen in lost.items():
            dt = t - seen.time_s
            if dt <= 0:
                continue
            if not (
                size <= s.size_ratio * seen.size + 1 and seen.size <= s.size_ratio * around + 1
            ):
                continue
            together = seen.size > s.size_ratio * size + 1  # passed by the count around it
            if (
                math.hypot(ve, vn) >= 0.4
                and math.hypot(seen.velocity_east_ms, seen.velocity_north_ms) >= 0.4
                and ve * seen.velocity_east_ms + vn * seen.velocity_north_ms
                < -0.5
                * math.hypot(ve, vn)
                * math.hypot(seen.velocity_east_ms, seen.velocity_north_ms)
            ):
                continue
            # Distance from the new track to the stretch the lost group could have walked.
            ae, an = seen.east_m, seen.north_m
            de, dn = seen.velocity_east_ms * dt, seen.velocity_north_ms * dt
            length2 = de * de + dn * dn
            u = (
                0.0
                if length2 == 0
                else min(1.0, max(0.0, ((east - ae) * de + (north - an) * dn) / length2))
            )
            off = math.hypot(east - ae - u * de, north - an - u * dn)
            reach = s.reach_m + s.drift_ms * dt
            if off <= reach and (best is None or off / reach < best[0]):
                best = (off / reach, serial, together)
        if best is None:
            return None
        if best[2] and emerging is not None:
            emerging.spend(row)
            self.emerged.append((t, east, north))
        return best[1]

    def _emerging(self, batch: TrackBatch, rows: list[int], now: float) -> Emerging:
        """The young tracks of ``rows`` that may count together: not near a place where
        young tracks counted together already in the last ``settle_s``."""
        s = self.settings
        self.emerged = [e for e in self.emerged if now - e[0] <= s.settle_s]
        if self.emerged and rows:
            at = np.asarray(self.emerged)[:, 1:]
            rows = [
                r for r in rows
                if np.hypot(at[:, 0] - float(batch.east_m[r]),
                            at[:, 1] - float(batch.north_m[r])).min() > s.together_m
            ]
        return Emerging(batch, rows, s.together_m)


class Emerging:
    """The young tracks of one batch (first seen now, or settling) and the head count of
    those within ``together_m`` of each: the members of a group coming out of dead ground
    as tracks of their own before the group layer joins them. Once some of them continued
    a lost group by their count together (:meth:`spend`), they count no more."""

    def __init__(self, batch: TrackBatch, rows: list[int], together_m: float) -> None:
        self.index = {row: k for k, row in enumerate(rows)}
        self._at = np.asarray(rows, np.intp)
        self._batch = batch
        self._together_m = together_m
        self._near: np.ndarray | None = None
        self.spent = np.zeros(len(rows), bool)

    @property
    def near(self) -> np.ndarray:
        """Which young tracks are within ``together_m`` of which: computed when first
        asked (most batches continue no lost group, and never ask)."""
        if self._near is None:
            east, north = self._batch.east_m[self._at], self._batch.north_m[self._at]
            self._near = (
                np.hypot(east[:, None] - east[None, :], north[:, None] - north[None, :])
                <= self._together_m
            )
        return self._near

    def count(self, row: int) -> int:
        """The head count of the young tracks around ``row``, itself included (0: not a
        young track of this batch)."""
        k = self.index.get(row)
        if k is None:
            return 0
        sizes = np.maximum(1, self._batch.group_size[self._at])
        return int(sizes[self.near[k] & ~self.spent].sum())

    def spend(self, row: int) -> None:
        k = self.index.get(row)
        if k is not None:
            self.spent |= self.near[k]
