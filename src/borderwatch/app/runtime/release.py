"""When the single-process service's tracker releases what its buffers hold, decided once
and recorded, so that a replay of the log releases at the same places.

The reorder buffer holds each report for the reorder window of *data* time and the scan
builder holds the open second: both are released by later reports. When the stream goes
quiet, nothing later comes, so after ``quiet_s`` of wall time with nothing accepted the
service releases them (else the last seconds of a night never reach the map). That
decision depends on the wall clock, so it cannot be made again on replay: a report of the
same second that arrives after a release is a second scan of that second, and one older
than what was released is late, so the tracks after a release differ from those of a
stream that was never cut there. Here the decision is written to the detection log first
(a release point after the log's latest position, under the service's ``accepting`` lock,
so no batch is stored between the point and the release), then handed to the tracker
through its queue, in order with the detections. A restart replays the points where they
are (adapters/sqlite/detections.py ``replay_runs``), and the tracker, in a thread or in
its own process, makes the same tracks, incidents and alerts (docs/deployment.md,
"Deterministic replay"). The cluster records the same decision as a tick on the segment's
subject (app/cluster/runner.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class ReleasePoints(Protocol):
    """Where release points are recorded: the SQLite detection log."""

    def last(self) -> int: ...
    def last_release(self) -> int: ...
    def mark_release(self, after: int) -> None: ...


class QuietRelease:
    """A thread that releases the tracker's buffers once nothing was accepted for
    ``quiet_s`` (wall seconds) after something was: it records the release point, then
    calls ``release`` (the tracker queues it behind what it was handed before)."""

    def __init__(
        self,
        points: ReleasePoints,
        release: Callable[[], None],
        *,
        accepting: threading.Lock,
        quiet_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not quiet_s > 0:
            raise ValueError(f"quiet_s must be > 0 seconds, got {quiet_s}")
        self.points = points
        self.release = release
        self.accepting = accepting
        self.quiet_s = quiet_s
        self.monotonic = monotonic
        self.released = 0
        """Release points recorded by this run."""
        self._wake = threading.Condition()
        self._unreleased = False
        self._fed_at = 0.0
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="borderwatch-release",
                                        daemon=True)

    def start(self) -> None:
        """Start watching; call under ``accepting``, once the tracker was started from the
        log. A log that ends with detections after its last release point (the service
        stopped before it released) is released after ``quiet_s`` too."""
        self._unreleased = self.points.last() > self.points.last_release()
        self._fed_at = self.monotonic()
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def fed(self) -> None:
        """New detections were stored and handed to the tracker (under ``accepting``)."""
        with self._wake:
            self._fed_at = self.monotonic()
            if not self._unreleased:  # else it waits already, and reads _fed_at on waking
                self._unreleased = True
                self._wake.notify()

    @property
    def waiting(self) -> bool:
        """Something was handed over since the last release point."""
        return self._unreleased

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stop:
                    if not self._unreleased:
                        self._wake.wait()
                        continue
                    left = self._fed_at + self.quiet_s - self.monotonic()
                    if left <= 0:
                        break
                    self._wake.wait(left)
                if self._stop:
                    return
            # ``accepting`` is taken before ``_wake`` here as in ``fed`` (ingest holds it
            # when it calls ``fed``), never the other way round.
            with self.accepting, self._wake:
                if self._stop or self.monotonic() - self._fed_at < self.quiet_s:
                    continue  # stopped, or fed meanwhile
                try:
                    self.points.mark_release(self.points.last())
                except Exception:  # not recorded, so not released: tried again later
                    log.exception("could not record a release point")
                    self._fed_at = self.monotonic()
                    continue
                self.release()
                self._unreleased = False
                self.released += 1
