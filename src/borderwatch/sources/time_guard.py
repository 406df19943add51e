"""A recorded stream's guard against one absurd time (docs/security/admission.md).

A recorded file is replayed in its own data time, so the wall clock says nothing about
it. What one bad time does there is the same as live, though: the reorder window is
measured from the newest report seen, so a report dated ahead makes every report after it
"late" until the data catches up (a 2999 time: the rest of the file). The guard compares
each report with the reports that follow it in the file: one dated more than
``max_ahead_s`` after the median of the next ``lookahead`` is refused, because it is the
odd one out and would make them late. A run of up to ``lookahead // 2`` such reports is
caught; a real jump forward (the next night in the same file) is not refused, because the
reports after it agree with it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from borderwatch.domain import Detection

LOOKAHEAD = 16
MIN_AHEAD_S = 60.0
"""The guard's threshold is the reorder window, but at least this (docs/security/admission.md)."""


@dataclass
class AheadGuard:
    """Pass a stream through :meth:`filter`; what it refused is in ``refused``."""

    max_ahead_s: float = MIN_AHEAD_S
    lookahead: int = LOOKAHEAD
    refused: list[Detection] = field(default_factory=list)

    def filter(self, detections: Iterable[Detection]) -> Iterator[Detection]:
        """The stream, in order, less the reports dated well ahead of those that follow.
        Holds ``lookahead`` reports back (none at the end of the stream)."""
        held: deque[tuple[int, Detection]] = deque()
        # Positions and times of the held reports whose time is below every later one's
        # (a sliding-window minimum): its front is the earliest held report, and the one
        # after it the earliest after that, in O(1) per report.
        lows: deque[tuple[int, float]] = deque()
        for position, det in enumerate(detections):
            t = det.epoch_s
            while lows and lows[-1][1] >= t:
                lows.pop()
            lows.append((position, t))
            held.append((position, det))
            if len(held) > self.lookahead:
                decided = self._decide(held, lows)
                if decided is not None:
                    yield decided
        while held:
            decided = self._decide(held, lows)
            if decided is not None:
                yield decided

    def _decide(self, held: deque[tuple[int, Detection]],
                lows: deque[tuple[int, float]]) -> Detection | None:
        position, det = held.popleft()
        if lows[0][0] == position:
            lows.popleft()
        # Fast path: not ahead of the earliest that follows (so not of their median).
        if not lows or det.epoch_s <= lows[0][1] + self.max_ahead_s:
            return det
        times = sorted(d.epoch_s for _, d in held)
        if det.epoch_s <= times[len(times) // 2] + self.max_ahead_s:
            return det
        self.refused.append(det)
        return None
