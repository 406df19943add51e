"""The picture's past: each track's states over time, so that the dashboard's timeline can
show the tracks as they were at any moment since the first stored detection.

Track states are not stored; detections are. After a restart the tracker replays the
stored detections through the same pipeline (live.py), so the history is rebuilt from
the store with the picture. Pure: the caller holds the lock (picture.Picture).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SAMPLE_S = 5.0
"""Kept states of a track are at least this far apart in data time (its latest state is
always kept as well)."""
TRAIL_S = 120.0
"""A track's trail at a past moment: its positions over the minutes before it (as the
live picture's two minutes of trail)."""
MAX_SAMPLES = 200_000
"""Most states kept in all (about 280 track-hours at one per :data:`SAMPLE_S`); past it,
the tracks that ended first are forgotten first."""


def epoch_of(state: dict[str, Any]) -> float:
    """A track state's data time in seconds since the epoch (its ``time``, as
    ``format_time`` wrote it: not checked again).

    >>> epoch_of({"time": "1970-01-01T00:01:00Z"})
    60.0
    """
    return datetime.fromisoformat(state["time"]).timestamp()


@dataclass
class _Track:
    epochs: list[float] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False


@dataclass
class TrackHistory:
    """Each track's states by data time, thinned to one per :data:`SAMPLE_S`."""

    max_samples: int = MAX_SAMPLES
    tracks: dict[str, _Track] = field(default_factory=dict)
    ended_order: OrderedDict[str, None] = field(default_factory=OrderedDict)
    samples: int = 0
    first: float | None = None
    last: float | None = None

    def record(self, state: dict[str, Any], epoch: float) -> None:
        """A track's new state at ``epoch``. While the latest kept state is less than
        :data:`SAMPLE_S` after the one before it, a new state replaces it (so the kept
        states are that far apart, and the newest is always kept):

        >>> h = TrackHistory()
        >>> for e in (0.0, 1.0, 2.0, 6.0):
        ...     h.record({"track_id": "T1", "lat": e, "lon": 0.0}, e)
        >>> h.tracks["T1"].epochs
        [0.0, 6.0]
        """
        track = self.tracks.get(state["track_id"])
        if track is None:
            track = self.tracks[state["track_id"]] = _Track()
        if track.epochs and epoch < track.epochs[-1]:
            return  # out of order (a state already superseded): the past is not rewritten
        if len(track.epochs) >= 2 and track.epochs[-1] - track.epochs[-2] < SAMPLE_S:
            track.epochs[-1], track.states[-1] = epoch, state
        else:
            track.epochs.append(epoch)
            track.states.append(state)
            self.samples += 1
        self.first = epoch if self.first is None else min(self.first, epoch)
        self.last = epoch if self.last is None else max(self.last, epoch)
        self._trim()

    def end(self, track_id: str) -> None:
        """The track ended: it is not shown after its last state."""
        track = self.tracks.get(track_id)
        if track is not None and not track.ended:
            track.ended = True
            self.ended_order[track_id] = None

    def at(self, epoch: float) -> list[dict[str, Any]]:
        """The tracks as they were at ``epoch``: each one's latest state up to then, with
        ``trail`` (``[lon, lat]`` pairs over the :data:`TRAIL_S` before, oldest first).
        A track is not there before its first state, nor after its last if it ended:

        >>> h = TrackHistory()
        >>> h.record({"track_id": "T1", "lat": 1.0, "lon": 2.0}, 10.0)
        >>> h.record({"track_id": "T1", "lat": 1.5, "lon": 2.5}, 20.0)
        >>> h.end("T1")
        >>> [h.at(e) != [] for e in (9.9, 10.0, 20.0, 20.1)]
        [False, True, True, False]
        >>> h.at(15.0)[0]["trail"]
        [[2.0, 1.0]]
        """
        shown = []
        for track in self.tracks.values():
            n = bisect_right(track.epochs, epoch)
            if n == 0 or (track.ended and epoch > track.epochs[-1]):
                continue
            start = bisect_right(track.epochs, epoch - TRAIL_S, 0, n)
            trail = [[s["lon"], s["lat"]] for s in track.states[start:n]]
            shown.append({**track.states[n - 1], "trail": trail})
        return shown

    def span(self) -> tuple[float, float] | None:
        """The data times of the first and the latest state kept (None: none yet)."""
        if self.first is None or self.last is None:
            return None
        return self.first, self.last

    def _trim(self) -> None:
        evicted = False
        while self.samples > self.max_samples and self.ended_order:
            track_id, _ = self.ended_order.popitem(last=False)
            self.samples -= len(self.tracks.pop(track_id).epochs)
            evicted = True
        if evicted:  # the timeline now starts where what is kept starts
            self.first = min((t.epochs[0] for t in self.tracks.values() if t.epochs),
                             default=None)
