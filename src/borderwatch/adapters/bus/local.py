"""The in-process bus: the bus port for one process and many threads, with no broker.

It runs the fake's stream engine (``borderwatch.ports.bus_fake``) under one re-entrant lock;
its condition variable lets ``fetch`` block until a message arrives, a nak delay or an ack
deadline ends, or the timeout passes. ``listen`` adds push-style consumers for in-process
wiring. The broker-backed twin is a NATS JetStream adapter; docs/bus.md maps one onto the
other."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from borderwatch.ports.bus import (
    DEFAULT_ACK_WAIT_S,
    DEFAULT_DUPLICATE_WINDOW_S,
    DEFAULT_MAX_MSGS,
    BusClosedError,
    Clock,
    DeliverPolicy,
    Message,
    PublishAck,
)
from borderwatch.ports.bus_fake import FakeBus, FakeSubscription

log = logging.getLogger(__name__)

_LISTEN_BATCH = 64
_LISTEN_POLL_S = 1.0  # how often an idle listener re-checks that it was not stopped


class LocalBus:
    """Thread-safe in-memory bus. ``clock`` drives ack deadlines, nak delays and the
    de-duplication window (``time.monotonic`` unless given); ``fetch`` timeouts are always
    real seconds."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        max_msgs: int = DEFAULT_MAX_MSGS,
        duplicate_window_s: float = DEFAULT_DUPLICATE_WINDOW_S,
        max_bytes: int | None = None,
    ) -> None:
        self._clock: Clock = clock if clock is not None else time.monotonic
        # Re-entrant: a blocking fetch holds the lock while the engine takes it again.
        self._condition = threading.Condition(threading.RLock())
        self._engine = FakeBus(
            clock=self._clock,
            max_msgs=max_msgs,
            duplicate_window_s=duplicate_window_s,
            max_bytes=max_bytes,
            lock=self._condition,
            on_change=self._condition.notify_all,
        )

    def publish(
        self,
        subject: str,
        data: bytes,
        *,
        msg_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> PublishAck:
        """Store a message; see ``borderwatch.ports.bus.Bus.publish``."""
        return self._engine.publish(subject, data, msg_id=msg_id, headers=headers)

    def subscribe(
        self,
        subject_filter: str,
        *,
        durable: str | None = None,
        deliver: DeliverPolicy = "all",
        ack_wait_s: float = DEFAULT_ACK_WAIT_S,
        max_deliver: int | None = None,
    ) -> LocalSubscription:
        """A pull consumer; see ``borderwatch.ports.bus.Bus.subscribe``."""
        engine_subscription = self._engine.subscribe(
            subject_filter,
            durable=durable,
            deliver=deliver,
            ack_wait_s=ack_wait_s,
            max_deliver=max_deliver,
        )
        return LocalSubscription(engine_subscription, self._condition, self._clock)

    def listen(
        self,
        subject_filter: str,
        callback: Callable[[Message], None],
        *,
        deliver: DeliverPolicy = "new",
    ) -> Listener:
        """Call ``callback`` on a daemon thread for each message on ``subject_filter`` (an
        ephemeral consumer), acking it afterwards. A callback that raises is logged and its
        message terminated, so one bad message cannot loop. Not part of the port."""
        subscription = self.subscribe(subject_filter, deliver=deliver)
        return Listener(subscription, callback)

    def close(self) -> None:
        """Close the bus and every subscription; blocked fetches raise ``BusClosedError``."""
        self._engine.close()


class LocalSubscription:
    """A pull subscription of ``LocalBus``; ``fetch`` may block up to ``timeout``."""

    def __init__(
        self, engine: FakeSubscription, condition: threading.Condition, clock: Clock
    ) -> None:
        self._engine = engine
        self._condition = condition
        self._clock = clock

    @property
    def subject_filter(self) -> str:
        return self._engine.subject_filter

    @property
    def durable(self) -> str | None:
        return self._engine.durable

    @property
    def dropped(self) -> int:
        """Messages given up after ``max_deliver`` deliveries (counted per consumer)."""
        return self._engine.dropped

    @property
    def skipped(self) -> int:
        """Matching messages discarded by the retention limit before they were acked."""
        return self._engine.skipped

    def fetch(self, batch: int = 1, timeout: float = 0.0) -> list[Message]:
        """Up to ``batch`` messages, as soon as one is deliverable; ``[]`` after ``timeout``
        real seconds (JetStream pull ``fetch`` with ``expires``)."""
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout}")
        give_up_at = time.monotonic() + timeout
        with self._condition:
            while True:
                messages = self._engine.fetch(batch)
                if messages:
                    return messages
                wait_s = give_up_at - time.monotonic()
                if wait_s <= 0:
                    return []
                due = self._engine.next_due()
                if due is not None:  # wake when a nak delay or an ack deadline ends
                    wait_s = min(wait_s, max(due - self._clock(), 0.0) + 0.001)
                self._condition.wait(wait_s)

    def close(self) -> None:
        """Unbind; unsettled messages it holds become deliverable again at once."""
        self._engine.close()


class Listener:
    """A push-style consumer thread started by ``LocalBus.listen``; ``stop()`` ends it."""

    def __init__(
        self, subscription: LocalSubscription, callback: Callable[[Message], None]
    ) -> None:
        self._subscription = subscription
        self._callback = callback
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"bus-listen {subscription.subject_filter}", daemon=True
        )
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop fetching, close the subscription and wait up to ``timeout`` for the thread
        (unless called from the callback itself)."""
        self._stopping.set()
        self._subscription.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                for message in self._subscription.fetch(_LISTEN_BATCH, _LISTEN_POLL_S):
                    if self._stopping.is_set():
                        return
                    try:
                        self._callback(message)
                    except Exception:
                        log.exception(
                            "bus listener on %r failed on message %d (%s); terminated it",
                            self._subscription.subject_filter,
                            message.seq,
                            message.subject,
                        )
                        message.term()
                    else:
                        message.ack()
        except BusClosedError:
            return  # the bus or the subscription closed: the listener ends with it
