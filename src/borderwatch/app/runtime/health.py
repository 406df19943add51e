"""Whether the service is healthy, decided from its counters and a clock: pure (no I/O,
no clock of its own, not thread-safe: the service serialises it), so it is tested with
made-up times. ``/healthz`` only renders :meth:`HealthMonitor.assess`.

Degraded when, over the recent window, too large a share of the detections received
was refused or arrived too late to be tracked; when the tracker's backlog is near the
point where ingest answers 429; when work has waited and nothing was tracked for a
while (the tracker is stalled); or when a declared sensor was silent for longer than
its expected interval.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

OK = "ok"
DEGRADED = "degraded"
SILENT_LISTED = 10
"""Silent sensors named in the reasons; the rest are counted."""


@dataclass(frozen=True, kw_only=True)
class HealthLimits:
    """Where each signal crosses into degraded."""

    window_s: float = 300.0
    """The recent window the shares are measured over (wall seconds)."""
    max_bad_share: float = 0.2
    """Largest share of refused or late detections among those received in the window."""
    min_received: int = 20
    """Fewer received in the window than this: no share is judged (too few to say)."""
    max_backlog_share: float = 0.5
    """Largest backlog as a share of the most the tracker may hold (beyond it: 429)."""
    stall_s: float = 30.0
    """Work waiting and nothing tracked for this long: the tracker is stalled."""


@dataclass(frozen=True)
class Reading:
    """The service's cumulative counters at one moment (they only grow)."""

    accepted: int
    refused: int
    late: int
    processed: int
    pending: int


@dataclass(frozen=True)
class Health:
    status: str
    """``ok`` or ``degraded``."""
    reasons: tuple[str, ...] = ()


class HealthMonitor:
    """Counts by second over the recent window, when the tracker last made progress, and
    when each watched sensor was last heard (module docstring)."""

    def __init__(self, started: float, *, expected: Mapping[str, float] | None = None,
                 limits: HealthLimits | None = None) -> None:
        """``started``: the clock at start (a sensor is silent from then until heard);
        ``expected``: each watched sensor's longest expected silence, seconds."""
        self.limits = limits or HealthLimits()
        self.started = started
        self.expected = dict(expected or {})
        self._heard: dict[str, float] = {}
        self._buckets: deque[list[float]] = deque()
        """[second, received, bad] for each second with something counted."""
        self._last: Reading | None = None
        self._progress_at = started
        """When the tracker last had nothing waiting or tracked something."""

    def heard(self, now: float, sensor_ids: Iterable[str]) -> None:
        """These sensors reported now (only watched ones are kept)."""
        expected = self.expected
        for sensor_id in sensor_ids:
            if sensor_id in expected:
                self._heard[sensor_id] = now

    def observe(self, now: float, reading: Reading) -> None:
        """Fold the counters' growth since the last reading into the current second."""
        last = self._last
        self._last = reading
        if reading.pending == 0 or last is None or reading.processed != last.processed:
            self._progress_at = now
        if last is None:
            return
        # A counter that went down was restarted (a new tracker): count from it afresh.
        received = _growth(reading.accepted, last.accepted) + _growth(reading.refused,
                                                                      last.refused)
        bad = _growth(reading.refused, last.refused) + _growth(reading.late, last.late)
        if received or bad:
            second = float(int(now))
            if self._buckets and self._buckets[-1][0] == second:
                self._buckets[-1][1] += received
                self._buckets[-1][2] += bad
            else:
                self._buckets.append([second, received, bad])

    def assess(self, now: float, reading: Reading, *, max_pending: int) -> Health:
        """The status and every reason for it, with the counters as they are now."""
        self.observe(now, reading)
        limits = self.limits
        buckets = self._buckets
        while buckets and buckets[0][0] <= now - limits.window_s:
            buckets.popleft()
        reasons: list[str] = []
        received = sum(b[1] for b in buckets)
        bad = sum(b[2] for b in buckets)
        if received >= limits.min_received and bad > limits.max_bad_share * received:
            reasons.append(
                f"{bad / received:.0%} of the {received:g} detections received in the last "
                f"{limits.window_s:g} s were refused or late (limit "
                f"{limits.max_bad_share:.0%})")
        if max_pending > 0 and reading.pending > limits.max_backlog_share * max_pending:
            reasons.append(f"tracker backlog {reading.pending} of the {max_pending} it may "
                           f"hold (limit {limits.max_backlog_share:.0%})")
        waited = now - self._progress_at
        if reading.pending > 0 and waited >= limits.stall_s:
            reasons.append(f"tracker stalled: {reading.pending} detections waiting and "
                           f"nothing tracked for {waited:.0f} s (limit {limits.stall_s:g} s)")
        silent = [(sensor_id, now - self._heard.get(sensor_id, self.started), interval)
                  for sensor_id, interval in self.expected.items()
                  if now - self._heard.get(sensor_id, self.started) > interval]
        if silent:
            silent.sort()
            named = ", ".join(f"{s} for {q:.0f} s (expected every {i:g} s)"
                              for s, q, i in silent[:SILENT_LISTED])
            more = len(silent) - SILENT_LISTED
            reasons.append(f"{len(silent)} declared sensor(s) silent: {named}"
                           + (f" and {more} more" if more > 0 else ""))
        return Health(DEGRADED if reasons else OK, tuple(reasons))


def _growth(now: int, before: int) -> int:
    return now - before if now >= before else now
