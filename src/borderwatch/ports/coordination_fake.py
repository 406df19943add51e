"""The coordination port in memory, for workers stepped one after the other by a test
(tests/cluster_helpers.py): no locks, no clock of its own but the one given. Given the
storage fake, positions and seen ids roll back with its transactions, as they do in
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from borderwatch.ports.coordination import LostSegment, Member
from borderwatch.ports.storage_fake import InMemoryStorage


class MemoryCoordination:
    """Leases, membership and progress for workers stepped by one thread."""

    def __init__(self, clock: Callable[[], float] | None = None, *,
                 storage: InMemoryStorage | None = None) -> None:
        self.clock = clock or (lambda: 0.0)
        self._owners: dict[str, str] = {}
        self._beats: dict[str, tuple[str, tuple[str, ...], float]] = {}
        self._positions: dict[str, int] = {}
        self._seen: dict[str, set[str]] = {}
        if storage is not None:
            storage.join(self, "_positions", "_seen")

    def leases(self, worker_id: str) -> _MemoryLeases:
        return _MemoryLeases(self, worker_id)

    # membership
    def beat(self, worker_id: str, kind: str, segments: Sequence[str]) -> None:
        self._beats[worker_id] = (kind, tuple(segments), self.clock())

    def live(self, kind: str, within_s: float) -> list[Member]:
        now = self.clock()
        return sorted((Member(w, segs, seen) for w, (k, segs, seen) in self._beats.items()
                       if k == kind and now - seen <= within_s),
                      key=lambda m: m.worker_id)

    def leave(self, worker_id: str) -> None:
        self._beats.pop(worker_id, None)

    # progress
    def position(self, segment: str) -> int:
        return self._positions.get(segment, 0)

    def advance(self, segment: str, expected: int, seq: int) -> None:
        if self._positions.get(segment, 0) != expected:
            raise LostSegment(f"segment {segment} moved past {expected}")
        self._positions[segment] = seq

    def first_seen(self, segment: str, ids: Sequence[str]) -> list[bool]:
        seen = self._seen.setdefault(segment, set())
        out = []
        for i in ids:
            out.append(i not in seen)
            seen.add(i)
        return out


class _MemoryLeases:
    def __init__(self, shared: MemoryCoordination, worker_id: str) -> None:
        self.shared = shared
        self.worker_id = worker_id

    def try_acquire(self, segment: str) -> bool:
        owner = self.shared._owners.setdefault(segment, self.worker_id)
        return owner == self.worker_id

    def release(self, segment: str) -> None:
        if self.shared._owners.get(segment) == self.worker_id:
            del self.shared._owners[segment]

    def held(self) -> set[str]:
        return {s for s, w in self.shared._owners.items() if w == self.worker_id}

    def check(self) -> set[str]:
        return self.held()

    def close(self) -> None:
        """What a dead worker's connection does: every lease goes at once."""
        for segment in self.held():
            self.release(segment)
