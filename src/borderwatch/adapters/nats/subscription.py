"""A pull subscription of the JetStream bus: one consumer on the bus's stream.

Fetching sends JetStream pull requests to ``$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>``
with a reply subject of its own per request, so the server's end-of-request statuses (404
no messages, 408 expired, 409) are told apart from stale ones. ``fetch(timeout=0)`` is one
``no_wait`` request: what is deliverable now, in a round trip. A longer timeout waits for
one message with ``expires`` and then takes what else is ready, so nothing is left waiting
on the server for this subscription (a lingering batch would hold messages no one fetches).

Settling (ack, nak, term) is sent at once and confirmed by the server in the background;
the next fetch, and ``close``, wait for those confirmations first. So what one thread
settled is settled before its next fetch (a nak redelivers at once, as the port says),
while a consumer acking a batch pays one round trip, not one per message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

import nats.errors
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription

from borderwatch.adapters.nats.consumers import BusLink, bind_durable, create_consumer
from borderwatch.adapters.nats.errors import JetStreamApiError
from borderwatch.ports.bus import BusClosedError, DeliverPolicy, Message, check_fetch

log = logging.getLogger(__name__)

T = TypeVar("T")

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_RESERVED = "Nats-"
_MSG_ID = "Nats-Msg-Id"
_END_OF_REQUEST = frozenset({"404", "408", "409", "503"})
_MAX_TRACKED = 100_000
"""Unsettled deliveries remembered per subscription (the oldest are forgotten beyond it:
settling one of those is a no-op and the server redelivers it after ``ack_wait_s``)."""
_NS = 1_000_000_000


@dataclass(slots=True)
class _Pull:
    """One outstanding pull request."""

    done: bool = False
    status: str = ""
    description: str = ""


def _ack_info(reply: str) -> tuple[int, int, int]:
    """(deliveries, stream seq, consumer seq) from a JetStream ack subject:
    ``$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>``, or with
    ``<domain>.<account hash>`` after ``$JS.ACK`` (and a trailing token) in the v2 form."""
    tokens = reply.split(".")
    at = 4 if len(tokens) == 9 else 6
    return int(tokens[at]), int(tokens[at + 1]), int(tokens[at + 2])


class JetStreamSubscription:
    """A pull consumer of ``JetStreamBus`` and the acknowledger of what it delivers.

    What JetStream does differently from the in-process bus (docs/bus.md):

    - ``skipped`` is inferred: JetStream does not tell a consumer about messages that
      retention discarded before it got to them. The subscription watches the stream
      sequences of first deliveries; a jump between two consecutive deliveries of the
      consumer (consumer sequences n and n+1) that reaches below the stream's first
      sequence counts as skipped. Exact for a filter that matches every subject of the
      stream; for a narrower filter an upper bound (discarded messages on other subjects
      count too). Deliveries that went to another member of a shared durable hide the gap
      behind them, so a member may count less than was skipped; unsettled messages that
      retention discarded are not counted.
    - ``dropped`` counts the server's max-deliveries advisories for the consumer while
      this subscription is bound (every member of a durable counts them all), and at once
      each nak of this subscription that gave a message its last delivery; the larger of
      the two. Messages whose last ack wait ran out are counted when the advisory comes.
    - A nak from a superseded delivery is ignored when this subscription holds the newer
      delivery; one held by another process would be honoured by the server.
    """

    def __init__(
        self,
        bus: BusLink,
        subject_filter: str,
        *,
        durable: str | None,
        consumer: str,
        ack_wait_s: float,
        max_deliver: int | None,
        delivered_stream_seq: int,
        delivered_consumer_seq: int,
        config: Mapping[str, Any],
    ) -> None:
        self._bus = bus
        self._config = dict(config)
        self._subject_filter = subject_filter
        self._durable = durable
        self.consumer = consumer
        self.ack_wait_s = ack_wait_s
        self.max_deliver = max_deliver
        self._whole_stream = subject_filter == ">"
        self._lock = threading.Lock()  # _delivered and the counters, from any thread
        self._delivered: dict[int, tuple[int, str]] = {}  # seq -> (deliveries, ack subject)
        self._buffer: deque[Msg] = deque()  # arrived, not yet handed out
        self._pulls: dict[str, _Pull] = {}
        self._rids = itertools.count(1)
        self._changed = asyncio.Event()
        self._unconfirmed: set[asyncio.Future[Msg]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._gone = False  # the server no longer has the consumer
        self._advised_drops = 0
        self._local_drops = 0
        self._skipped = 0
        self._gaps: list[tuple[int, int]] = []  # (last seq seen, next seq seen), unresolved
        self._last_sseq = delivered_stream_seq
        self._last_dseq = delivered_consumer_seq
        self._inbox = ""
        self._nats_subs: list[NatsSubscription] = []
        self._next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{bus.stream}.{consumer}"

    @classmethod
    async def open(
        cls,
        bus: BusLink,
        subject_filter: str,
        *,
        durable: str | None,
        deliver: DeliverPolicy,
        ack_wait_s: float,
        max_deliver: int | None,
    ) -> JetStreamSubscription:
        """Create (or bind) the consumer and subscribe to its deliveries and advisories."""
        nats_filter = bus.nats_subject(subject_filter)
        config: dict[str, Any] = {
            "deliver_policy": deliver,
            "ack_policy": "explicit",
            "ack_wait": round(ack_wait_s * _NS),
            "max_deliver": max_deliver if max_deliver is not None else -1,
            "filter_subject": nats_filter,
            "max_ack_pending": -1,  # the port has no such limit; fetch sizes bound the work
            "replay_policy": "instant",
        }
        if durable is not None:
            name = durable
            config.update(name=durable, durable_name=durable)
            info = await bind_durable(bus, durable, config, subject_filter)
        else:
            name = f"bw_{secrets.token_hex(8)}"
            # As many replicas as the stream, so that it outlives the loss of a node
            # (JetStream makes ephemeral consumers R1 unless told).
            config.update(
                name=name,
                inactive_threshold=round(bus.ephemeral_idle_s * _NS),
                num_replicas=bus.replicas,
            )
            info = await create_consumer(bus, name, config)
        delivered = info.get("delivered", {})
        subscription = cls(
            bus,
            subject_filter,
            durable=durable,
            consumer=name,
            ack_wait_s=ack_wait_s,
            max_deliver=max_deliver,
            delivered_stream_seq=int(delivered.get("stream_seq", 0)),
            delivered_consumer_seq=int(delivered.get("consumer_seq", 0)),
            config=config,
        )
        await subscription._listen()
        bus.subscriptions.add(subscription)
        return subscription

    # the port

    @property
    def subject_filter(self) -> str:
        return self._subject_filter

    @property
    def durable(self) -> str | None:
        return self._durable

    @property
    def dropped(self) -> int:
        """Messages given up after ``max_deliver`` deliveries (see the class docstring)."""
        with self._lock:
            return max(self._advised_drops, self._local_drops)

    @property
    def skipped(self) -> int:
        """Messages retention discarded before this consumer got to them (inferred: see the
        class docstring)."""
        if self._gaps and not self._closed and not self._bus.closed:
            self._bus.call(self._resolve_gaps(), f"count what {self._subject_filter!r} skipped")
        with self._lock:
            return self._skipped

    def fetch(self, batch: int = 1, timeout: float = 0.0) -> list[Message]:
        """Up to ``batch`` messages: as soon as one is deliverable, or ``[]`` after
        ``timeout`` seconds (``0``: what is deliverable now, one round trip)."""
        check_fetch(batch, timeout)
        self._check_usable()
        return self._bus.call(self._fetch(batch, timeout), f"fetch from {self._subject_filter!r}")

    def close(self) -> None:
        """Unbind. A durable's unsettled messages are nak'd for redelivery at once and the
        consumer stays; an ephemeral consumer is deleted."""
        if self._closed:
            return
        if self._bus.closed:
            self._closed = True
            return
        try:
            self._bus.call(self.close_async(), f"close the subscription {self!r}")
        except BusClosedError:
            self._closed = True

    # Acknowledger

    def ack(self, message: Message) -> None:
        self._settle(message, b"+ACK", "ack")

    def term(self, message: Message) -> None:
        self._settle(message, b"+TERM", "term")

    def nak(self, message: Message, delay_s: float) -> None:
        payload = b"-NAK" if delay_s <= 0 else b'-NAK {"delay": %d}' % round(delay_s * _NS)
        self._settle(message, payload, "nak")

    def __repr__(self) -> str:
        kind = f"durable {self._durable!r}" if self._durable else f"ephemeral {self.consumer}"
        return f"JetStreamSubscription({self._subject_filter!r}, {kind})"

    # settling

    def _settle(self, message: Message, payload: bytes, how: str) -> None:
        if self._bus.closed:
            raise BusClosedError(f"cannot {how} message {message.seq}: the bus is closed")
        with self._lock:
            held = self._delivered.get(message.seq)
            if held is None:
                return  # settled already, or released by close
            deliveries, ack_subject = held
            if how == "nak":
                if deliveries != message.deliveries:
                    return  # superseded by a later delivery to this subscription
                if self.max_deliver is not None and deliveries >= self.max_deliver:
                    self._local_drops += 1
            del self._delivered[message.seq]
        try:
            self._bus.soon(self._send_settle, ack_subject, payload)
        except BusClosedError as error:  # the bus closed under us
            closed = f"cannot {how} message {message.seq}: the bus is closed"
            raise BusClosedError(closed) from error

    def _send_settle(self, ack_subject: str, payload: bytes) -> None:
        """On the loop: send one ack/nak/term with a reply subject, and remember the
        confirmation to wait for."""
        reply, confirmed = self._bus.new_reply()
        self._unconfirmed.add(confirmed)
        confirmed.add_done_callback(self._unconfirmed.discard)
        task = asyncio.get_running_loop().create_task(
            self._publish_settle(ack_subject, payload, reply)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish_settle(self, ack_subject: str, payload: bytes, reply: str) -> None:
        try:
            await self._bus.nc.publish(ack_subject, payload, reply=reply)
        except nats.errors.Error as error:
            log.debug("settling on %r failed (it will be redelivered): %s", self, error)
            self._bus.forget_reply(reply)

    async def _confirm_settles(self) -> None:
        """Wait until the server confirmed what was settled so far (at most one request
        timeout: an unconfirmed ack is a redelivery later, not an error now)."""
        if not self._unconfirmed:
            return
        waiting = list(self._unconfirmed)
        _, late = await asyncio.wait(waiting, timeout=self._bus.publish_timeout_s)
        for future in late:
            future.cancel()

    # fetching

    async def _listen(self) -> None:
        nc = self._bus.nc
        self._inbox = nc.new_inbox()
        self._nats_subs.append(await nc.subscribe(self._inbox + ".*", cb=self._on_delivery))
        advisory = (
            f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{self._bus.stream}.{self.consumer}"
        )
        self._nats_subs.append(await nc.subscribe(advisory, cb=self._on_max_deliveries))

    async def _on_delivery(self, msg: Msg) -> None:
        headers = msg.headers
        status = headers.get("Status") if headers else None
        if status is None:
            self._buffer.append(msg)
        elif status in _END_OF_REQUEST:
            pull = self._pulls.get(msg.subject.rsplit(".", 1)[-1])
            if pull is not None:
                pull.done = True
                pull.status = status
                pull.description = str(headers.get("Description", "")) if headers else ""
            if status == "409" and headers and "Consumer Deleted" in headers.get("Description", ""):
                self._gone = True
        self._changed.set()  # heartbeats (100) and the rest only wake waiters

    def abandon_pulls(self) -> None:
        """The connection was lost and is back: the pull requests sent before will never be
        answered, so their waits end now (a fetch with time left pulls again)."""
        for pull in self._pulls.values():
            pull.done = True
        self._changed.set()

    async def _on_max_deliveries(self, msg: Msg) -> None:
        with self._lock:
            self._advised_drops += 1

    def _check_usable(self) -> None:
        if self._bus.closed:
            raise BusClosedError(f"cannot fetch from {self._subject_filter!r}: the bus is closed")
        if self._closed:
            name = f" (durable {self._durable!r})" if self._durable else ""
            raise BusClosedError(
                f"cannot fetch: the subscription to {self._subject_filter!r}{name} is closed"
            )
        if self._gone and self._durable is not None:
            raise BusClosedError(
                f"cannot fetch from {self._subject_filter!r}: its durable consumer "
                f"{self._durable!r} was deleted from stream {self._bus.stream!r}"
            )

    async def _fetch(self, batch: int, timeout: float) -> list[Message]:
        await self._confirm_settles()
        self._check_usable()
        taken = self._take(batch)
        if not taken:
            await self._pull(batch, expires_s=None)
            self._check_usable()
            taken = self._take(batch)
        if not taken and self._gone:  # an ephemeral consumer: made again by the next pull
            await self._pull(batch, expires_s=None)
            taken = self._take(batch)
        if not taken and timeout > 0:
            loop = asyncio.get_running_loop()
            give_up_at = loop.time() + timeout
            while not taken:
                remaining = give_up_at - loop.time()
                if remaining < 0.001:
                    break
                await self._pull(1, expires_s=remaining)
                self._check_usable()
                taken = self._take(batch)
            if taken and len(taken) < batch:
                await self._pull(batch - len(taken), expires_s=None)
                self._check_usable()
                taken += self._take(batch - len(taken))
        return self._hand_out(taken)

    async def _pull(self, batch: int, *, expires_s: float | None) -> None:
        """One pull request; returns when the server ended it, enough arrived (``batch``
        for ``no_wait``, one for a waiting request), or the wait is over."""
        if self._gone:
            await self._recreate()
        if not self._bus.nc.is_connected:  # reconnecting: nobody would answer
            if expires_s is not None:
                await asyncio.sleep(min(0.1, expires_s))
            return
        rid = str(next(self._rids))
        pull = self._pulls[rid] = _Pull()
        if expires_s is None:
            body: dict[str, Any] = {"batch": batch, "no_wait": True}
            wait_s, need = self._bus.publish_timeout_s, batch
        else:
            body = {"batch": batch, "expires": max(round(expires_s * _NS) - 100_000, 1_000_000)}
            wait_s, need = expires_s, 1
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + wait_s
        try:
            await self._bus.nc.publish(
                self._next_subject, json.dumps(body).encode(), reply=f"{self._inbox}.{rid}"
            )
            while not pull.done and len(self._buffer) < need and not self._stopping():
                remaining = give_up_at - loop.time()
                if remaining <= 0:
                    break
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    break
        except nats.errors.Error as error:  # e.g. reconnecting with a full buffer
            log.debug("pull request on %r not sent: %s", self, error)
        finally:
            del self._pulls[rid]
        if pull.status == "503" and self._bus.nc.is_connected:
            await self._check_consumer()

    async def _check_consumer(self) -> None:
        """After a pull nobody answered: is the consumer gone (or is JetStream electing)?"""
        try:
            await self._bus.api(
                f"CONSUMER.INFO.{self._bus.stream}.{self.consumer}", None, retry=False
            )
        except JetStreamApiError as error:
            self._gone = error.err_code == 10014  # consumer not found
        except Exception as error:  # unavailable: try again at the next fetch
            log.debug("checking consumer %s: %s", self.consumer, error)

    async def _recreate(self) -> None:
        """Make an ephemeral consumer that the server deleted (idle past
        ``ephemeral_idle_s``) again where this subscription was: at its oldest unsettled
        message, else after the last one delivered. The port's ephemeral consumer lives
        until ``close``; what it held unsettled comes again (at least once)."""
        if self._durable is not None:
            return  # a durable is not ours to make again: fetch raises
        with self._lock:
            start = min(self._delivered, default=self._last_sseq + 1)
            self._delivered.clear()  # their ack subjects name the old consumer
            self._last_sseq, self._last_dseq = start - 1, 0
        self._buffer.clear()
        config = {**self._config, "deliver_policy": "by_start_sequence", "opt_start_seq": start}
        try:
            await create_consumer(self._bus, self.consumer, config)
        except JetStreamApiError as error:
            if error.err_code not in (10148, 10013):  # 10148: it exists after all
                raise
        self._gone = False
        log.warning("%r: the server had deleted its consumer; made again at %d", self, start)

    def _stopping(self) -> bool:
        return self._closed or self._bus.closed or self._gone

    def _take(self, batch: int) -> list[Msg]:
        taken: list[Msg] = []
        while self._buffer and len(taken) < batch:
            taken.append(self._buffer.popleft())
        return taken

    def _hand_out(self, taken: list[Msg]) -> list[Message]:
        """Messages of the port, remembering each delivery for settling; notes the gaps in
        first deliveries that may be skipped messages."""
        out: list[Message] = []
        with self._lock:
            for msg in taken:
                deliveries, seq, consumer_seq = _ack_info(msg.reply)
                if deliveries == 1:
                    if consumer_seq == self._last_dseq + 1 and seq > self._last_sseq + 1:
                        if self._whole_stream:
                            self._skipped += seq - self._last_sseq - 1
                        else:
                            self._gaps.append((self._last_sseq, seq))
                    self._last_sseq = max(self._last_sseq, seq)
                self._last_dseq = max(self._last_dseq, consumer_seq)
                self._delivered[seq] = (deliveries, msg.reply)
                msg_id, headers = _split_headers(msg.headers)
                out.append(
                    Message(
                        self._bus.port_subject(msg.subject),
                        msg.data,
                        seq,
                        msg_id,
                        headers,
                        deliveries,
                        acker=self,
                    )
                )
            while len(self._delivered) > _MAX_TRACKED:
                del self._delivered[next(iter(self._delivered))]
        return out

    async def _resolve_gaps(self) -> None:
        """Count the part of each gap below the stream's first sequence (discarded)."""
        if not self._gaps:
            return
        info = await self._bus.api(f"STREAM.INFO.{self._bus.stream}", None)
        first = int(info.get("state", {}).get("first_seq", 0))
        with self._lock:
            for last, seen in self._gaps:
                self._skipped += max(0, min(seen, first) - last - 1)
            self._gaps.clear()

    # closing

    async def close_async(self) -> None:
        """On the loop: release or delete, then stop listening."""
        if self._closed:
            return
        self._closed = True
        self._changed.set()  # wake a fetch waiting in another thread
        try:
            await self._confirm_settles()
            if self._durable is None:
                try:
                    await self._bus.api(
                        f"CONSUMER.DELETE.{self._bus.stream}.{self.consumer}", None, retry=False
                    )
                except Exception as error:  # it expires by itself (ephemeral_idle_s)
                    log.debug("deleting consumer %s: %s", self.consumer, error)
            else:
                with self._lock:
                    held = [ack_subject for _, ack_subject in self._delivered.values()]
                    self._delivered.clear()
                held += [msg.reply for msg in self._buffer]
                self._buffer.clear()
                for ack_subject in held:
                    self._send_settle(ack_subject, b"-NAK")
                await self._confirm_settles()
        finally:
            for nats_sub in self._nats_subs:
                try:
                    await nats_sub.unsubscribe()
                except nats.errors.Error as error:
                    log.debug("unsubscribing %r: %s", self, error)
            self._bus.subscriptions.discard(self)


def _split_headers(
    headers: dict[str, str] | None,
) -> tuple[str | None, Mapping[str, str]]:
    """(msg_id, the publisher's headers) from a delivery's headers."""
    if not headers:
        return None, _NO_HEADERS
    msg_id = headers.get(_MSG_ID)
    own = {k: v for k, v in headers.items() if not k.startswith(_RESERVED)}
    return msg_id, MappingProxyType(own) if own else _NO_HEADERS
