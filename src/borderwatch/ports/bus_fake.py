"""The official bus fake: one in-memory stream with pull consumers, deterministic and
single-threaded. Time comes from an injected clock (by default a ``ManualClock`` that stands
still), so ack deadlines, nak delays and the de-duplication window move only when a test
says so. The in-process bus (adapters/bus/local.py) runs this engine under its lock."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from types import MappingProxyType

from borderwatch.ports.bus import (
    DEFAULT_ACK_WAIT_S,
    DEFAULT_DUPLICATE_WINDOW_S,
    DEFAULT_MAX_MSGS,
    BusClosedError,
    Clock,
    DeliverPolicy,
    Message,
    PublishAck,
    check_fetch,
    check_publish,
    check_subscribe,
    tokens_match,
)

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class ManualClock:
    """A clock that moves only when told to: ``clock.advance(31.0)``."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward (never back: deadlines assume a monotonic clock)."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward, got {seconds} s")
        self.now += seconds


@dataclass(frozen=True, slots=True)
class _Stored:
    subject: str
    tokens: tuple[str, ...]
    data: bytes
    msg_id: str | None
    headers: Mapping[str, str]


@dataclass(slots=True)
class _Pending:
    """A delivered, unsettled message (JetStream's consumer "pending" list)."""

    deliveries: int
    due: float
    """When it may be delivered again: the ack deadline (AckWait), or the end of a nak delay."""
    holder: object
    """The subscription it was last delivered to."""


@dataclass(eq=False, slots=True)
class _Consumer:
    """JetStream consumer state, shared by every subscription bound to one durable name."""

    subject_filter: str
    tokens: tuple[str, ...]
    durable: str | None
    ack_wait_s: float
    max_deliver: int | None
    next_seq: int
    """The next stream sequence to look at for new messages (the "delivered" cursor)."""
    pending: dict[int, _Pending] = field(default_factory=dict)
    due_heap: list[tuple[float, int, int]] = field(default_factory=list)
    """(due, seq, deliveries) of pending entries; stale tuples are skipped when met."""
    dropped: int = 0
    skipped: int = 0

    def schedule(self, seq: int, entry: _Pending) -> None:
        heapq.heappush(self.due_heap, (entry.due, seq, entry.deliveries))
        if len(self.due_heap) > 2 * len(self.pending) + 64:  # bound the stale tuples
            self.due_heap = [(p.due, s, p.deliveries) for s, p in self.pending.items()]
            heapq.heapify(self.due_heap)

    def next_due(self) -> float | None:
        """When the earliest pending message may be delivered again."""
        heap = self.due_heap
        while heap:
            due, seq, deliveries = heap[0]
            entry = self.pending.get(seq)
            if entry is not None and entry.due == due and entry.deliveries == deliveries:
                return due
            heapq.heappop(heap)
        return None

    def take(
        self, stream: _Stream, batch: int, now: float, holder: object
    ) -> list[tuple[int, _Stored, int]]:
        """Up to ``batch`` (seq, message, deliveries): redeliveries first, as JetStream does,
        then new messages in stream order."""
        out: list[tuple[int, _Stored, int]] = []
        while len(out) < batch:
            due = self.next_due()
            if due is None or due > now:
                break
            _, seq, _ = heapq.heappop(self.due_heap)
            entry = self.pending[seq]
            stored = stream.messages.get(seq)
            if stored is None:  # discarded by the retention limit while pending
                del self.pending[seq]
                self.skipped += 1
                continue
            if self.max_deliver is not None and entry.deliveries >= self.max_deliver:
                del self.pending[seq]  # JetStream MaxDeliver: stop trying
                self.dropped += 1
                continue
            entry.deliveries += 1
            entry.due = now + self.ack_wait_s
            entry.holder = holder
            self.schedule(seq, entry)
            out.append((seq, stored, entry.deliveries))
        while len(out) < batch and self.next_seq <= stream.last_seq:
            seq = self.next_seq
            self.next_seq += 1
            stored = stream.messages[seq]
            if tokens_match(self.tokens, stored.tokens):
                entry = _Pending(deliveries=1, due=now + self.ack_wait_s, holder=holder)
                self.pending[seq] = entry
                self.schedule(seq, entry)
                out.append((seq, stored, 1))
        return out

    def release(self, holder: object, now: float) -> None:
        """Make the messages ``holder`` has not settled deliverable again at once."""
        for seq, entry in self.pending.items():
            if entry.holder is holder and entry.due > now:
                entry.due = now
                self.schedule(seq, entry)


@dataclass(slots=True)
class _Stream:
    """The one stream: messages by sequence, the limit, and the recent message ids."""

    max_msgs: int
    duplicate_window_s: float
    max_bytes: int | None = None
    messages: dict[int, _Stored] = field(default_factory=dict)
    bytes: int = 0
    """Payload bytes held (what ``max_bytes`` limits)."""
    first_seq: int = 1
    last_seq: int = 0
    recent_ids: dict[str, tuple[int, float]] = field(default_factory=dict)
    """msg_id -> (seq, publish time), oldest first (dicts keep insertion order)."""

    def forget_old_ids(self, now: float) -> None:
        """Drop ids older than the window (JetStream `duplicate_window`)."""
        ids = self.recent_ids
        while ids:
            oldest = next(iter(ids))
            if now - ids[oldest][1] < self.duplicate_window_s:
                break
            del ids[oldest]


class FakeBus:
    """In-memory bus: one stream holding every subject, limited to ``max_msgs`` messages
    and, when given, ``max_bytes`` of payload, oldest discarded first (JetStream
    ``max_msgs`` / ``max_bytes`` with ``discard=old``; the newest message is always kept).

    ``lock`` and ``on_change`` exist for the in-process bus: a re-entrant lock held around
    every operation, and a hook called under it whenever a message may have become
    deliverable (publish, nak, a subscription or the bus closing)."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        max_msgs: int = DEFAULT_MAX_MSGS,
        duplicate_window_s: float = DEFAULT_DUPLICATE_WINDOW_S,
        max_bytes: int | None = None,
        lock: AbstractContextManager[object] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if max_msgs < 1:
            raise ValueError(f"max_msgs must be >= 1, got {max_msgs}")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1 or None, got {max_bytes}")
        if duplicate_window_s < 0:
            raise ValueError(f"duplicate_window_s must be >= 0, got {duplicate_window_s}")
        self.clock: Clock = clock if clock is not None else ManualClock()
        self._lock: AbstractContextManager[object] = lock if lock is not None else nullcontext()
        self._on_change = on_change if on_change is not None else lambda: None
        self._stream = _Stream(
            max_msgs=max_msgs, duplicate_window_s=duplicate_window_s, max_bytes=max_bytes
        )
        self._consumers: set[_Consumer] = set()
        self._durables: dict[str, _Consumer] = {}
        self._closed = False

    def publish(
        self,
        subject: str,
        data: bytes,
        *,
        msg_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> PublishAck:
        """Store a message; see ``borderwatch.ports.bus.Bus.publish``."""
        tokens = check_publish(subject, data, msg_id)
        stored_headers = MappingProxyType(dict(headers)) if headers else _NO_HEADERS
        with self._lock:
            self._check_open(f"publish to {subject!r}")
            stream = self._stream
            now = self.clock()
            stream.forget_old_ids(now)
            if msg_id is not None and msg_id in stream.recent_ids:
                return PublishAck(seq=stream.recent_ids[msg_id][0], duplicate=True)
            stream.last_seq += 1
            seq = stream.last_seq
            stream.messages[seq] = _Stored(subject, tokens, bytes(data), msg_id, stored_headers)
            stream.bytes += len(data)
            if msg_id is not None:
                stream.recent_ids[msg_id] = (seq, now)
            while len(stream.messages) > stream.max_msgs or (
                stream.max_bytes is not None
                and stream.bytes > stream.max_bytes
                and len(stream.messages) > 1
            ):
                self._discard_oldest()
            self._on_change()
            return PublishAck(seq=seq)

    def _discard_oldest(self) -> None:
        stream = self._stream
        seq = stream.first_seq
        stored = stream.messages.pop(seq)
        stream.bytes -= len(stored.data)
        stream.first_seq += 1
        for consumer in self._consumers:
            if consumer.next_seq <= seq:  # it had not reached this message: skip ahead
                consumer.next_seq = seq + 1
                if tokens_match(consumer.tokens, stored.tokens):
                    consumer.skipped += 1

    def subscribe(
        self,
        subject_filter: str,
        *,
        durable: str | None = None,
        deliver: DeliverPolicy = "all",
        ack_wait_s: float = DEFAULT_ACK_WAIT_S,
        max_deliver: int | None = None,
    ) -> FakeSubscription:
        """A pull consumer; see ``borderwatch.ports.bus.Bus.subscribe``."""
        tokens = check_subscribe(subject_filter, durable, deliver, ack_wait_s, max_deliver)
        with self._lock:
            self._check_open(f"subscribe to {subject_filter!r}")
            consumer = self._durables.get(durable) if durable is not None else None
            if consumer is None:
                stream = self._stream
                start = stream.first_seq if deliver == "all" else stream.last_seq + 1
                consumer = _Consumer(
                    subject_filter, tokens, durable, ack_wait_s, max_deliver, next_seq=start
                )
                self._consumers.add(consumer)
                if durable is not None:
                    self._durables[durable] = consumer
            else:
                # A JetStream consumer's configuration is fixed once created; `deliver`
                # only matters when it is created.
                wanted = (subject_filter, ack_wait_s, max_deliver)
                existing = (consumer.subject_filter, consumer.ack_wait_s, consumer.max_deliver)
                if wanted != existing:
                    raise ValueError(
                        f"durable {durable!r} exists with (subject_filter, ack_wait_s, "
                        f"max_deliver) = {existing}, cannot bind it with {wanted}"
                    )
            return FakeSubscription(self, consumer)

    def close(self) -> None:
        """Close the bus and every subscription; later use raises ``BusClosedError``."""
        with self._lock:
            self._closed = True
            self._consumers.clear()
            self._durables.clear()
            self._on_change()

    def _check_open(self, doing: str) -> None:
        if self._closed:
            raise BusClosedError(f"cannot {doing}: the bus is closed")


class FakeSubscription:
    """A pull subscription of ``FakeBus``; also the acknowledger of what it delivers."""

    def __init__(self, bus: FakeBus, consumer: _Consumer) -> None:
        self._bus = bus
        self._consumer = consumer
        self._closed = False
        self.subject_filter: str = consumer.subject_filter
        self.durable: str | None = consumer.durable

    @property
    def dropped(self) -> int:
        """Messages given up after ``max_deliver`` deliveries (counted per consumer)."""
        return self._consumer.dropped

    @property
    def skipped(self) -> int:
        """Matching messages discarded by the retention limit before they were acked."""
        return self._consumer.skipped

    def fetch(self, batch: int = 1, timeout: float = 0.0) -> list[Message]:
        """What is deliverable now, up to ``batch``. Never blocks: ``timeout`` is accepted
        for the port's sake and ignored."""
        check_fetch(batch, timeout)
        with self._bus._lock:
            self._bus._check_open(f"fetch from {self.subject_filter!r}")
            if self._closed:
                name = f" (durable {self.durable!r})" if self.durable else ""
                raise BusClosedError(
                    f"cannot fetch: the subscription to {self.subject_filter!r}{name} is closed"
                )
            taken = self._consumer.take(self._bus._stream, batch, self._bus.clock(), self)
            return [
                Message(s.subject, s.data, seq, s.msg_id, s.headers, deliveries, acker=self)
                for seq, s, deliveries in taken
            ]

    def next_due(self) -> float | None:
        """Clock time at which a pending message becomes deliverable again, if any."""
        with self._bus._lock:
            return self._consumer.next_due()

    def close(self) -> None:
        """Unbind; unsettled messages it holds become deliverable again at once."""
        with self._bus._lock:
            if self._closed or self._bus._closed:
                self._closed = True
                return
            self._closed = True
            consumer = self._consumer
            if consumer.durable is None:  # an ephemeral consumer ends with its subscription
                self._bus._consumers.discard(consumer)
                consumer.pending.clear()
                consumer.due_heap.clear()
            else:
                consumer.release(self, self._bus.clock())
            self._bus._on_change()

    # Acknowledger: settle by stream sequence on the consumer, like a JetStream ack reply.

    def ack(self, message: Message) -> None:
        self._forget(message, "ack")

    def term(self, message: Message) -> None:
        self._forget(message, "term")  # to the consumer, the same as an ack

    def _forget(self, message: Message, how: str) -> None:
        with self._bus._lock:
            self._bus._check_open(f"{how} message {message.seq}")
            self._consumer.pending.pop(message.seq, None)

    def nak(self, message: Message, delay_s: float) -> None:
        with self._bus._lock:
            self._bus._check_open(f"nak message {message.seq}")
            entry = self._consumer.pending.get(message.seq)
            if entry is None or entry.deliveries != message.deliveries:
                return  # settled already, or since redelivered: this delivery is superseded
            entry.due = self._bus.clock() + delay_s
            self._consumer.schedule(message.seq, entry)
            self._bus._on_change()
