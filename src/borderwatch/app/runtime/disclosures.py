"""The live feed's disclosure writer: a thread of its own that writes the feed's disclosure
entries to the log in batches (one transaction, one sync to disk, per batch), so that a
partner subscriber never makes the event loop wait for the disk.

The log is a legal record, so what a partner is sent must be in it first: ``offer``
returns a future that completes once the entries are committed, and the feed sends the
event only then (app/http/feed.py). The queue is bounded; when it is full ``offer``
refuses (None) and the feed does not send that event to the partner: the partner is told
to resync later instead (docs/security/clients.md). Nothing is dropped silently: an
entry is either committed, or its future fails and what it disclosed is never sent.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future
from typing import Any

from borderwatch.ports.storage import DisclosureLog

log = logging.getLogger(__name__)

MAX_PENDING = 10_000
"""Entries waiting to be written at most (one per event and partner subscriber)."""
BATCH = 1_000
"""Entries written in one transaction at most."""


class DisclosureWriterClosed(RuntimeError):
    """The writer was closed: nothing more is written."""


class DisclosureWriter:
    """Writes disclosure entries to ``log`` on a daemon thread, in batches. Thread-safe;
    ``offer`` never blocks."""

    def __init__(self, log: DisclosureLog, *, max_pending: int = MAX_PENDING,
                 batch: int = BATCH) -> None:
        if max_pending < 1 or batch < 1:
            raise ValueError("max_pending and batch must be >= 1")
        self.log = log
        self.max_pending = max_pending
        self.batch = batch
        self.written = 0
        """Entries committed so far."""
        self.refused = 0
        """Offers refused because the queue was full."""
        self._queue: deque[tuple[list[dict[str, Any]], Future[None]]] = deque()
        self._pending = 0
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def pending(self) -> int:
        """Entries offered and not written yet."""
        return self._pending

    def offer(self, entries: list[dict[str, Any]]) -> Future[None] | None:
        """Queue ``entries`` (kept together in one transaction). The future completes when
        they are committed, or fails with the error that kept them out of the log. None:
        the queue is full; nothing was queued."""
        done: Future[None] = Future()
        if not entries:
            done.set_result(None)
            return done
        with self._condition:
            if self._closed:
                done.set_exception(DisclosureWriterClosed("the disclosure writer is closed"))
                return done
            if self._pending + len(entries) > self.max_pending and self._pending:
                self.refused += 1
                return None
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="disclosure-writer",
                                                daemon=True)
                self._thread.start()
            self._queue.append((entries, done))
            self._pending += len(entries)
            self._condition.notify()
        return done

    def close(self, timeout_s: float = 30.0) -> None:
        """Write what is queued, then stop; later offers fail."""
        with self._condition:
            self._closed = True
            self._condition.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _take(self) -> list[tuple[list[dict[str, Any]], Future[None]]] | None:
        with self._condition:
            while not self._queue:
                if self._closed:
                    return None
                self._condition.wait()
            taken = [self._queue.popleft()]
            size = len(taken[0][0])
            while self._queue and size + len(self._queue[0][0]) <= self.batch:
                taken.append(self._queue.popleft())
                size += len(taken[-1][0])
            return taken

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            entries = [entry for group, _ in taken for entry in group]
            try:
                self.log.record_many(entries)
            except Exception as err:  # the store refused: those events are never sent
                log.exception("disclosure log: %d entries not written", len(entries))
                outcome: BaseException | None = err
            else:
                outcome = None
                self.written += len(entries)
            with self._condition:
                self._pending -= len(entries)
            for _, done in taken:
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)
