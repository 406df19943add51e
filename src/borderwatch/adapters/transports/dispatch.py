"""The dispatcher: drains the outbox through the transports, one queue per destination.

It runs inline (``deliver_due``, used by a replay and by `borderwatch alerts deliver`) or
on background threads (``start``): one thread per destination that has pending messages,
so a receiver that stalls delays only its own messages, never CoT behind a webhook. Each
is woken as soon as something is enqueued, so a fresh alert does not wait for a polling
period. A transport that raises (or misses its deadline) is a failed try: the outbox
schedules the next one with backoff, or dead-letters the message.

Within one process a destination is drained by one thread at a time; between processes
on a shared outbox, the outbox's claims keep two dispatchers from sending one message
(adapters/postgres/outbox.py). A queue claims up to ``claim_batch`` messages at a time and
starts sending one only while its claim is fresh (``claim_fresh_s``, the lease less one
attempt's deadline: app/bootstrap.py); past that it claims again, which renews the claims
it still holds, so no claim runs out while its message is being sent.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from borderwatch.alerts.base import DeliveryError, Transport
from borderwatch.alerts.outbox import Message, MessageStatus, Outbox, StoredMessage

Listener = Callable[[Message], None]
log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """Messages tried: sent, or failed (to be retried, or dead-lettered)."""
        return self.sent + self.retrying + self.dead


class FolderTransport:
    """Writes each message to a file in a folder (CAP files for an agency's inbox).
    Written to a temporary name and renamed, so a reader never sees half a message."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def send(self, message: Message) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        suffix = ".xml" if "xml" in message.content_type else ".json"
        # Named by the dedup key without its ":channel:destination" tail: one file per
        # message, and the same name when a message is sent again (the file is replaced).
        stem = message.dedup_key.removesuffix(f":{message.channel}:{message.destination}")
        name = re.sub(r"[^A-Za-z0-9._-]", "_", stem) + suffix
        final = self.folder / name
        temporary = self.folder / f".{name}.tmp"
        with temporary.open("wb") as out:
            out.write(message.body)
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(final)


class Dispatcher:
    """Delivers the outbox's due messages through the transport for each destination,
    inline (:meth:`deliver_due`) or on threads of its own, one per destination
    (:meth:`start`, :meth:`wake`, :meth:`stop`); see the module docstring."""

    def __init__(
        self,
        outbox: Outbox,
        transports: Mapping[str, Transport],
        *,
        on_sent: Listener | None = None,
        poll_s: float = 1.0,
        claim_batch: int = 100,
        claim_fresh_s: float | None = None,
    ) -> None:
        """``transports`` maps a destination (exactly as stored in messages) or, failing
        that, a channel name to the transport that serves it. ``poll_s``: the longest
        a thread sleeps between looks at the outbox; what this process enqueues wakes
        it at once, what other processes enqueue (a cluster's shared outbox) waits for
        the next look. ``claim_batch``: how many due messages a queue takes at once.
        ``claim_fresh_s``: how long after claiming them a send may still start (None: no
        limit, for an outbox without claims)."""
        if claim_batch < 1:
            raise ValueError(f"claim_batch must be at least 1, got {claim_batch}")
        self.outbox = outbox
        self.transports = dict(transports)
        self.on_sent = on_sent
        self.poll_s = poll_s
        self.claim_batch = claim_batch
        self.claim_fresh_s = claim_fresh_s
        self.store_errors = 0
        self.last_store_error = ""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._queues: dict[str, _Queue] = {}
        self._destination_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()  # the two dicts above, the error counters, on_sent

    def transport_for(self, message: Message) -> Transport | None:
        return self.transports.get(message.destination) or self.transports.get(message.channel)

    def deliver_due(self, limit: int = 500, *, destination: str | None = None) -> DeliveryReport:
        """Send every message due now (up to ``limit``; to ``destination`` only, when
        given) in this thread, one destination after another; return what happened."""
        report = DeliveryReport()
        where = [destination] if destination is not None else self.outbox.pending_destinations()
        for one in where:
            self._drain(one, limit, report)
        return report

    def queues(self) -> list[str]:
        """The destinations that have a queue (a thread) of their own."""
        with self._lock:
            return list(self._queues)

    def _drain(self, destination: str, limit: int, report: DeliveryReport) -> None:
        """Send what is due to ``destination`` until ``report`` holds ``limit`` tries."""
        with self._destination_lock(destination):
            while report.handled < limit:
                batch = self.outbox.due(min(self.claim_batch, limit - report.handled),
                                        destination=destination)
                claimed_at = self.outbox.clock()  # the clock claims are judged by
                if not batch:
                    return
                for n, stored in enumerate(batch):
                    if n and self._stale(claimed_at):
                        break  # claim again: renews the claims on the rest before sending
                    self._send(stored, report)

    def _stale(self, claimed_at: float) -> bool:
        fresh = self.claim_fresh_s
        return fresh is not None and self.outbox.clock() - claimed_at > fresh

    def _send(self, stored: StoredMessage, report: DeliveryReport) -> None:
        message = stored.message
        transport = self.transport_for(message)
        try:
            if transport is None:
                raise DeliveryError(
                    f"no transport configured for {message.channel} -> {message.destination}")
            transport.send(message)
        except Exception as err:
            status = self.outbox.mark_failed(stored.id, f"{type(err).__name__}: {err}")
            report.errors.append(f"{message.dedup_key}: {err}")
            if status is MessageStatus.DEAD:
                report.dead += 1
            else:
                report.retrying += 1
            return
        self.outbox.mark_sent(stored.id)
        report.sent += 1
        if self.on_sent is not None:
            with self._lock:  # listeners are called one at a time, whatever the thread
                self.on_sent(message)

    def _destination_lock(self, destination: str) -> threading.Lock:
        with self._lock:
            return self._destination_locks.setdefault(destination, threading.Lock())

    def wake(self) -> None:
        self._wake.set()
        with self._lock:
            for queue in self._queues.values():
                queue.wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="outbox-dispatcher",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop every thread; one in the middle of a send finishes it first (a transport's
        deadline bounds the wait)."""
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            queues, self._queues = list(self._queues.values()), {}
        for queue in queues:
            queue.thread.join()

    def _watch(self) -> None:
        """Start a queue for every destination with pending messages, and look again
        every ``poll_s`` (other processes enqueue into a shared outbox)."""
        while not self._stop.is_set():
            self._wake.clear()
            try:
                destinations = self.outbox.pending_destinations()
            except Exception as err:  # the store is away (a database restart): look again
                self._store_error(err)
                destinations = []
            for destination in destinations:
                self._queue_for(destination)
            self._wake.wait(self.poll_s)

    def _queue_for(self, destination: str) -> None:
        with self._lock:
            if destination in self._queues or self._stop.is_set():
                return
            wake = threading.Event()
            queue = _Queue(wake, threading.Thread(
                target=self._run, name=f"outbox-queue-{len(self._queues) + 1}", daemon=True,
                args=(destination, wake)))
            self._queues[destination] = queue
        queue.thread.start()

    def _run(self, destination: str, wake: threading.Event) -> None:
        while not self._stop.is_set():
            wake.clear()
            try:
                self._drain(destination, self.claim_batch, DeliveryReport())
                next_at = self.outbox.next_due_at(destination=destination)
            except Exception as err:  # the store is away (a database restart): look again
                self._store_error(err)
                next_at = None
            wait = (self.poll_s if next_at is None
                    else max(0.0, min(self.poll_s, next_at - self.outbox.clock())))
            if wait > 0:
                wake.wait(wait)

    def _store_error(self, err: Exception) -> None:
        with self._lock:
            self.store_errors += 1
            self.last_store_error = f"{type(err).__name__}: {err}"[:300]
        log.warning("dispatcher: the outbox cannot be read: %s", self.last_store_error)


@dataclass(frozen=True)
class _Queue:
    """One destination's thread, and what wakes it."""

    wake: threading.Event
    thread: threading.Thread
