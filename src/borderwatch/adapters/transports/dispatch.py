"""The dispatcher: drains the outbox through the transports, one message at a time.

It runs inline (``deliver_due``, used by a replay and by `borderwatch alerts deliver`) or
on a background thread (``start``), woken as soon as something is enqueued so a fresh
alert does not wait for a polling period. A transport that raises is a failed try: the
outbox schedules the next one with backoff, or dead-letters the message.
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
from borderwatch.alerts.outbox import Message, MessageStatus, Outbox

Listener = Callable[[Message], None]
log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


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
    inline (:meth:`deliver_due`) or on its own thread (:meth:`start`, :meth:`wake`,
    :meth:`stop`); see the module docstring for retries."""

    def __init__(
        self,
        outbox: Outbox,
        transports: Mapping[str, Transport],
        *,
        on_sent: Listener | None = None,
        poll_s: float = 1.0,
    ) -> None:
        """``transports`` maps a destination (exactly as stored in messages) or, failing
        that, a channel name to the transport that serves it. ``poll_s``: the longest
        the thread sleeps between looks at the outbox; what this process enqueues wakes
        it at once, what other processes enqueue (a cluster's shared outbox) waits for
        the next look."""
        self.outbox = outbox
        self.transports = dict(transports)
        self.on_sent = on_sent
        self.poll_s = poll_s
        self.store_errors = 0
        self.last_store_error = ""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drain_lock = threading.Lock()

    def transport_for(self, message: Message) -> Transport | None:
        return self.transports.get(message.destination) or self.transports.get(message.channel)

    def deliver_due(self, limit: int = 500) -> DeliveryReport:
        """Send every message due now (up to ``limit``); return what happened."""
        report = DeliveryReport()
        with self._drain_lock:
            for stored in self.outbox.due(limit):
                message = stored.message
                transport = self.transport_for(message)
                try:
                    if transport is None:
                        raise DeliveryError(
                            f"no transport configured for {message.channel} -> "
                            f"{message.destination}"
                        )
                    transport.send(message)
                except Exception as err:
                    status = self.outbox.mark_failed(stored.id, f"{type(err).__name__}: {err}")
                    report.errors.append(f"{message.dedup_key}: {err}")
                    if status is MessageStatus.DEAD:
                        report.dead += 1
                    else:
                        report.retrying += 1
                    continue
                self.outbox.mark_sent(stored.id)
                report.sent += 1
                if self.on_sent is not None:
                    self.on_sent(message)
        return report

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="outbox-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.deliver_due()
                next_at = self.outbox.next_due_at()
            except Exception as err:  # the store is away (a database restart): look again
                self.store_errors += 1
                self.last_store_error = f"{type(err).__name__}: {err}"[:300]
                log.warning("dispatcher: the outbox cannot be read: %s", self.last_store_error)
                next_at = None
            wait = (self.poll_s if next_at is None
                    else max(0.0, min(self.poll_s, next_at - self.outbox.clock())))
            if wait > 0:
                self._wake.wait(wait)
