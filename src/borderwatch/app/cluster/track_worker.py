"""A tracker worker (`borderwatch worker track`): it holds a fair share of the boundary
segments and runs a :class:`~borderwatch.app.cluster.runner.SegmentRunner` for each.

Ownership (docs/deployment.md, "Hand-over"). Every ``beat_s`` the worker
* says it is alive (membership) and which segments it holds;
* counts the live workers and takes its share, ``ceil(segments / workers)``: it tries the
  lease of each segment nobody holds, starting at a place of its own in the list so that
  workers starting together do not all try the same one first;
* gives back what it holds beyond its share (a worker joined), after the message run in
  hand is committed;
* drops the segments whose locks died with its database session (a PostgreSQL restart).
A worker that dies loses its leases at once (the lease is a database session's lock);
the others see the segments free at their next beat and take them, each new runner
rebuilding the segment from the stream and its committed position. A worker that only
stalls and comes back finds its position moved (coordination.LostSegment) and drops the
segment, having committed nothing over the new owner.

How it runs. :meth:`TrackWorker.run` gives each held segment a thread of its own that
fetches and processes (a fetch returns as soon as a message is there; ``fetch_wait_s``,
0.25 s, is only how often a quiet segment's thread wakes up to tick or to stop). The
threads wait for their messages together but work one at a time (:class:`Turns`, taken
in the order asked, given way between the messages of a long run): segment threads
tracking at once handed the interpreter lock to each other at every NumPy call and
database wait, which cost a worker holding four segments about 30 % more CPU time for
the same work (bench/README.md, "One segment at a time"). A segment that keeps up waits for one
message of a neighbour's catch-up, not for the whole run. The runners share nothing but
thread-safe adapters; each has its own pipeline, alert centre and subscription.
:meth:`work_once` steps every runner in the calling thread, for tests that want one
order of events.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from borderwatch.app.cluster.runner import SeenBefore, SegmentRunner
from borderwatch.ports.coordination import (
    LostSegment,
    Membership,
    SegmentLeases,
    fair_share,
)

log = logging.getLogger(__name__)
KIND = "track"


class Turns:
    """One runner works at a time, in the order they asked (a ticket lock): what a worker
    gives its runners as their ``work_lock``. A runner in a long run (a catch-up) calls
    :meth:`give_way` between its messages, so a segment that keeps up waits for one
    message of its neighbour's, not for the whole run.

    >>> turns = Turns()
    >>> with turns:
    ...     turns.give_way()  # nobody waits: it goes on at once
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._next = 0
        self._serving = 0

    def __enter__(self) -> Turns:
        with self._changed:
            ticket = self._next
            self._next += 1
            while ticket != self._serving:
                self._changed.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._serving += 1
            self._changed.notify_all()

    @property
    def waiting(self) -> int:
        """Runners waiting for their turn (not the one working)."""
        with self._changed:
            return max(0, self._next - self._serving - 1)

    def give_way(self) -> None:
        """Inside a turn: let the runners waiting go first, then go on."""
        if not self.waiting:
            return
        self.__exit__()
        self.__enter__()


class _SegmentThread:
    """Steps one runner until told to stop; what ended it is kept for the worker's loop."""

    def __init__(self, code: str, runner: SegmentRunner, fetch_wait_s: float) -> None:
        self.runner = runner
        self.fetch_wait_s = fetch_wait_s
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"segment-{code}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.runner.step(timeout=self.fetch_wait_s)
        except Exception as err:  # handed to the worker's loop, which gives it back
            self.error = err

    @property
    def ended(self) -> bool:
        return not self._thread.is_alive()

    def stop(self) -> None:
        """Returns once the run in hand is committed (or failed) and the thread is out."""
        self._stop.set()
        self._thread.join()


@dataclass
class WorkerStatus:
    """What a worker reports (its live status event, `borderwatch cluster status`)."""

    worker_id: str
    segments: list[str] = field(default_factory=list)
    processed: int = 0
    incidents: int = 0
    failures: int = 0
    last_failure: str = ""
    recovering: list[str] = field(default_factory=list)


class TrackWorker:
    """Takes segments, runs them, gives them back; :meth:`run` until :meth:`stop`."""

    def __init__(
        self,
        worker_id: str,
        codes: Sequence[str],
        *,
        leases: SegmentLeases,
        membership: Membership,
        make_runner: Callable[[str], SegmentRunner],
        beat_s: float = 0.5,
        alive_within_s: float = 2.0,
        max_segments: int | None = None,
        on_status: Callable[[WorkerStatus], None] | None = None,
        fetch_wait_s: float = 0.25,
    ) -> None:
        self.worker_id = worker_id
        self.codes = list(codes)
        self.leases = leases
        self.membership = membership
        self.make_runner = make_runner
        self.beat_s = beat_s
        self.alive_within_s = alive_within_s
        self.max_segments = max_segments
        self.on_status = on_status
        self.fetch_wait_s = fetch_wait_s
        self.runners: dict[str, SegmentRunner] = {}
        self._threads: dict[str, _SegmentThread] | None = None
        """Each runner's thread, from :meth:`run` (None: stepped by :meth:`work_once`)."""
        self.errors = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._work_lock = Turns()
        """One runner works at a time (the module docstring, "How it runs")."""
        self._last_beat = -1e18
        self._ended_counts = [0, 0, 0]
        self.rebuilds = 0
        """Segments rebuilt after a run tracked a detection seen before (SeenBefore)."""
        self._check_through: dict[str, int] = {}
        """Per segment dropped on a SeenBefore: its next runner asks before tracking up to
        there (else it would track the repeat again, and be dropped again)."""
        start = int(hashlib.blake2b(worker_id.encode(), digest_size=4).hexdigest(), 16)
        self._order = (
            [self.codes[(start + i) % len(self.codes)] for i in range(len(self.codes))]
            if self.codes
            else []
        )

    # -- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        self._threads = {}
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if now - self._last_beat >= self.beat_s:
                    self._last_beat = now
                    try:
                        self.rebalance()
                    except Exception as err:  # the database or the bus is away: next beat
                        self._note(err, "rebalance")
                self._reap()
                self._stop.wait(min(self.beat_s, 0.05))
        finally:
            for code in list(self.runners):
                self._give_back(code)
            self.membership.leave(self.worker_id)
            self.leases.close()

    def _reap(self) -> None:
        """Give back the segments whose threads ended on an error (see work_once)."""
        assert self._threads is not None
        for code, thread in list(self._threads.items()):
            if thread.ended:
                self._ended(code, thread.error)

    def stop(self) -> None:
        self._stop.set()

    def work_once(self) -> int:
        """One step of every runner; how many messages they took."""
        done = 0
        for code, runner in list(self.runners.items()):
            try:
                done += runner.step()
            except Exception as err:
                self._ended(code, err)
        return done

    def _ended(self, code: str, err: Exception | None) -> None:
        if isinstance(err, LostSegment):
            log.warning("worker %s lost segment %s: %s", self.worker_id, code, err)
        elif isinstance(err, SeenBefore):
            # Not a fault: a detection sent again long after; rebuilt like a failed run.
            log.info("worker %s: %s", self.worker_id, err)
            self.rebuilds += 1
            self._check_through[code] = max(err.through, self._check_through.get(code, 0))
        else:
            # A run that failed half-way (the database restarted, the bus was away) left
            # the tracker ahead of what was committed: the runner is dropped and the
            # segment taken again at the next beat, by a new runner that rebuilds it from
            # the committed position.
            self._note(err or RuntimeError("the segment's thread ended"), f"segment {code}")
        self._give_back(code)

    def _note(self, err: Exception, where: str) -> None:
        self.errors += 1
        self.last_error = f"{where}: {type(err).__name__}: {err}"[:300]
        log.warning("worker %s: %s", self.worker_id, self.last_error)

    def rebalance(self) -> None:
        # Locks die with the database session that held them (a restart of PostgreSQL):
        # a runner whose lock is gone stops at once, or two workers would run its segment
        # and count it in their shares (the position's compare-and-set keeps the records
        # right, but the segment could be left to nobody).
        still = self.leases.check()
        for code in [c for c in self.runners if c not in still]:
            log.warning("worker %s lost the lock of segment %s", self.worker_id, code)
            self._give_back(code)
        held = sorted(self.runners)
        self.membership.beat(self.worker_id, KIND, held)
        members = self.membership.live(KIND, self.alive_within_s)
        share = fair_share(len(self.codes), len(members))
        if self.max_segments is not None:
            share = min(share, self.max_segments)
        for code in held[share:]:  # a worker joined: give the extra back
            self._give_back(code)
        for code in self._order:
            if len(self.runners) >= share:
                break
            if code not in self.runners and self.leases.try_acquire(code):
                runner = self.make_runner(code)
                runner.check_through = self._check_through.pop(code, 0)
                runner.work_lock = self._work_lock
                runner.start()
                self.runners[code] = runner
                if self._threads is not None:
                    self._threads[code] = _SegmentThread(code, runner, self.fetch_wait_s)
                log.info(
                    "worker %s took segment %s from position %d",
                    self.worker_id,
                    code,
                    runner.position,
                )
        if self.on_status is not None:
            self.on_status(self.status())

    def _give_back(self, code: str) -> None:
        thread = self._threads.pop(code, None) if self._threads is not None else None
        if thread is not None:
            thread.stop()  # its run in hand is committed before the lease goes
        runner = self.runners.pop(code)
        self._ended_counts[0] += runner.processed
        self._ended_counts[1] += runner.incidents
        self._ended_counts[2] += runner.failures
        for step in (runner.stop, lambda: self.leases.release(code)):
            try:
                step()
            except Exception as err:  # a dead connection has released the lease already
                self._note(err, f"giving back {code}")

    def status(self) -> WorkerStatus:
        runners = self.runners.values()
        failing = [r.last_failure for r in runners if r.last_failure]
        return WorkerStatus(
            worker_id=self.worker_id,
            segments=sorted(self.runners),
            processed=self._ended_counts[0] + sum(r.processed for r in runners),
            incidents=self._ended_counts[1] + sum(r.incidents for r in runners),
            failures=self._ended_counts[2] + sum(r.failures for r in runners),
            last_failure=failing[-1] if failing else self.last_error,
            recovering=sorted(c for c, r in self.runners.items() if r.recovering),
        )
