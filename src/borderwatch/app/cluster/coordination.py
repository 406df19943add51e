"""What tracker workers share besides the bus: who owns which segment, who is alive, and
how far each segment's stream has been processed (its *position*).

The position is committed in the same transaction as everything the worker wrote for
those messages (the detections, alert states, outbox messages): after a crash the next
owner neither loses nor repeats an effect. ``advance`` is a compare-and-set from the
position the worker started from, so a worker that lost its segment without knowing it
(a stalled process whose lease went to another) cannot commit over the new owner: it
gets :class:`LostSegment` and stops that segment.

Implementations: :class:`MemoryCoordination` here (threads of one process: unit tests)
and adapters/postgres/segments.py (advisory locks and tables: a deployment).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class LostSegment(RuntimeError):
    """The segment's position moved under this worker: another worker owns it now."""


@dataclass(frozen=True)
class Member:
    worker_id: str
    segments: tuple[str, ...]
    last_seen: float


class SegmentLeases(Protocol):
    """Exclusive ownership of segments, lost at once when the holder dies."""

    def try_acquire(self, segment: str) -> bool: ...

    def release(self, segment: str) -> None: ...

    def held(self) -> set[str]: ...

    def close(self) -> None: ...


class Membership(Protocol):
    """Which workers of a kind are alive (a heartbeat each) and what each holds."""

    def beat(self, worker_id: str, kind: str, segments: Sequence[str]) -> None: ...

    def live(self, kind: str, within_s: float) -> list[Member]: ...

    def leave(self, worker_id: str) -> None: ...


class SegmentProgress(Protocol):
    """Per segment: its position, and which detection ids it has already tracked."""

    def position(self, segment: str) -> int: ...

    def advance(self, segment: str, expected: int, seq: int) -> None:
        """Set the position to ``seq`` if it is still ``expected`` (joins the storage's
        transaction), else raise :class:`LostSegment`."""
        ...

    def first_seen(self, segment: str, ids: Sequence[str]) -> list[bool]:
        """For each id, whether this segment sees it for the first time (joins the
        transaction). A client's retry of a batch, or the same detection sent again
        after the bus's de-duplication window, is tracked once."""
        ...


def fair_share(segments: int, members: int) -> int:
    """Segments one worker should hold: all of them split evenly, rounded up.

    >>> fair_share(8, 2), fair_share(8, 3), fair_share(8, 0)
    (4, 3, 8)
    """
    return segments if members <= 0 else -(-segments // members)


class MemoryCoordination:
    """Leases, membership and progress for workers that are threads of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[str, str] = {}
        self._beats: dict[str, tuple[str, tuple[str, ...], float]] = {}
        self._positions: dict[str, int] = {}
        self._seen: dict[str, set[str]] = {}

    def leases(self, worker_id: str) -> _MemoryLeases:
        return _MemoryLeases(self, worker_id)

    # membership
    def beat(self, worker_id: str, kind: str, segments: Sequence[str]) -> None:
        with self._lock:
            self._beats[worker_id] = (kind, tuple(segments), time.monotonic())

    def live(self, kind: str, within_s: float) -> list[Member]:
        now = time.monotonic()
        with self._lock:
            return sorted((Member(w, segs, seen) for w, (k, segs, seen) in self._beats.items()
                           if k == kind and now - seen <= within_s),
                          key=lambda m: m.worker_id)

    def leave(self, worker_id: str) -> None:
        with self._lock:
            self._beats.pop(worker_id, None)

    # progress
    def position(self, segment: str) -> int:
        with self._lock:
            return self._positions.get(segment, 0)

    def advance(self, segment: str, expected: int, seq: int) -> None:
        with self._lock:
            if self._positions.get(segment, 0) != expected:
                raise LostSegment(f"segment {segment} moved past {expected}")
            self._positions[segment] = seq

    def first_seen(self, segment: str, ids: Sequence[str]) -> list[bool]:
        with self._lock:
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
        with self.shared._lock:
            owner = self.shared._owners.setdefault(segment, self.worker_id)
            return owner == self.worker_id

    def release(self, segment: str) -> None:
        with self.shared._lock:
            if self.shared._owners.get(segment) == self.worker_id:
                del self.shared._owners[segment]

    def held(self) -> set[str]:
        with self.shared._lock:
            return {s for s, w in self.shared._owners.items() if w == self.worker_id}

    def close(self) -> None:
        """What a dead worker's connection does: every lease goes at once."""
        for segment in self.held():
            self.release(segment)
