"""The coordination port: what tracker workers share besides the bus. Who owns which
segment, who is alive, and how far each segment's stream has been processed (its
*position*).

The position is committed in the same transaction as everything the worker wrote for
those messages (the detections, alert states, outbox messages): after a crash the next
owner neither loses nor repeats an effect. ``advance`` is a compare-and-set from the
position the worker started from, so a worker that lost its segment without knowing it
(a stalled process whose lease went to another) cannot commit over the new owner: it
gets :class:`LostSegment` and stops that segment.

Implementations: ``ports/coordination_fake.py`` (one process, stepped by a test) and
``adapters/postgres/coordination.py`` (advisory locks and tables: a deployment). Standard
library only.
"""

from __future__ import annotations

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

    def check(self) -> set[str]:
        """The segments still held, as the lock's keeper says (after a lost connection to
        it: none, though nobody released them here)."""
        ...

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
