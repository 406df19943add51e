"""The live feed's fan-out: the tracker publishes each live event on the bus, subject
``bw.live.<type>`` (tracks, incident, alert, case), from any thread; on the event loop the
hub reads them (one subscription for all connections) and hands each event, made once,
to every connection's buffer.

Each connection's buffer is bounded in bytes (``client_bytes``). A connection that does
not keep up (a slow or stalled client, or a partner whose disclosures cannot be written
fast enough) has its buffered events dropped when the next one would not fit, and is sent
one ``resync`` event when it reads again: reload the picture, the stream goes on. Nothing
a connection does makes another wait or the publisher block, and the feed's memory is at
most about ``client_bytes`` of recent events however many connections lag (they share
them). docs/security/clients.md states the contract.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import Future
from typing import Any, Protocol

import orjson

from borderwatch.app.http.feed import (
    Delivery,
    message_for,
    partner_message,
    shared_tracks_message,
    sse,
)
from borderwatch.app.http.views import Viewer
from borderwatch.domain.access import Principal, Role
from borderwatch.ports.bus import Bus, BusClosedError, Message, Subscription

Event = dict[str, Any]
RESYNC_TEXT = ("events for this connection were dropped while it was behind; reload the "
               "picture (GET /v1/tracks, /v1/incidents, /v1/alerts); the stream goes on")
SUBJECT_PREFIX = "bw.live."
FEED_FILTER = "bw.live.>"
FEED_RETAINED = 10_000
"""Live events the feed's bus keeps at most (the composition root makes it so)."""
FEED_RETAINED_BYTES = 32 << 20
"""...and bytes of them. The hub reads them as they come, so this only matters when the
event loop itself falls behind: then every connection is resynced."""
FEED_CLIENT_BYTES = 4 << 20
"""Bytes of events buffered for one connection at most (ServiceConfig.feed_client_bytes).
A second's track update of a thousand tracks is some 150-300 kB, so this is some 15 s of
them."""
KEEPALIVE_S = 15.0
_FETCH = 256


def subject_of(event: Event) -> str:
    """The bus subject of a live event: ``bw.live.`` and its type."""
    return SUBJECT_PREFIX + str(event["type"])


def encode(event: Event) -> tuple[bytes, dict[str, str] | None]:
    """A live event as a bus message's body and headers. A ``tracks`` event travels as
    its shared feed message (feed.shared_tracks_message), made once, by the publisher
    (the tracker process makes it itself: ``message``); the rest as JSON."""
    if event["type"] == "tracks":
        message = event.get("message")
        if message is None:
            message = shared_tracks_message(event)
        return message, {"simulated": "1" if event["simulated"] else "0"}
    return orjson.dumps(event), None


def decode(subject: str, data: bytes, headers: Mapping[str, str]) -> Event:
    """The live event of a bus message (:func:`encode` undone; a ``tracks`` event keeps
    its shared message as it is, read only for a partner's view: feed.partner_message)."""
    if subject == SUBJECT_PREFIX + "tracks":
        return {"type": "tracks", "message": data, "simulated": headers.get("simulated") == "1"}
    event: Event = orjson.loads(data)
    return event


class Hub:
    """Publishes live events on the bus (from any thread) and fans them out to a
    :class:`FeedReader` per feed connection (on the event loop)."""

    def __init__(self, bus: Bus, *, client_bytes: int = FEED_CLIENT_BYTES) -> None:
        if client_bytes < 1:
            raise ValueError(f"client_bytes must be >= 1, got {client_bytes}")
        self.bus = bus
        self.client_bytes = client_bytes
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: set[FeedReader] = set()
        self.published = 0
        self._subscription: Subscription | None = None
        self._skipped = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop the feed connections are served on."""
        self.loop = loop

    def publish(self, event: Event) -> None:
        """Thread-safe: called from the tracker's thread (or the process mirror's); never
        waits for a reader. With nobody connected nothing is published."""
        self.published += 1
        loop = self.loop
        if loop is None or not self.subscribers or loop.is_closed():
            return
        data, headers = encode(event)
        try:
            self.bus.publish(subject_of(event), data, headers=headers)
            loop.call_soon_threadsafe(self._pump)
        except (BusClosedError, RuntimeError):  # the service is closing (or its loop)
            return

    def subscribe(self) -> FeedReader:
        """A reader of the events published from now on (event loop only)."""
        if self._subscription is None:
            self._subscription = self.bus.subscribe(FEED_FILTER, deliver="new")
            self._skipped = 0
        reader = FeedReader(self.client_bytes)
        self.subscribers.add(reader)
        return reader

    def unsubscribe(self, reader: FeedReader) -> None:
        """End a reader (event loop only)."""
        self.subscribers.discard(reader)
        reader.drop()

    def queued_bytes(self) -> int:
        """Bytes of events buffered for all connections (each counted once per reader)."""
        return sum(r.queued_bytes for r in self.subscribers)

    def close(self) -> None:
        """Close the bus; readers then wait for ever (the server ends their streams)."""
        self.bus.close()

    def _pump(self) -> None:
        """Hand what the bus holds to every reader (event loop only)."""
        subscription = self._subscription
        if subscription is None:
            return
        while True:
            try:
                messages = subscription.fetch(_FETCH)
                skipped = subscription.skipped
            except BusClosedError:
                return
            if skipped > self._skipped:  # the loop itself fell behind the bus
                self._skipped = skipped
                for reader in self.subscribers:
                    reader.drop()
            for message in messages:
                message.ack()
                delivery = self._delivery(message)
                for reader in self.subscribers:
                    reader.push(delivery)
            if len(messages) < _FETCH:
                return

    @staticmethod
    def _delivery(message: Message) -> Delivery:
        event = decode(message.subject, message.data, message.headers)
        return Delivery(event, size=len(message.data))


class FeedReader:
    """One feed connection's buffer of events, bounded in bytes (event loop only)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.queued_bytes = 0
        self.dropped = 0
        """Events dropped from this buffer (they were followed by a resync)."""
        self.resyncs = 0
        self._queue: deque[Delivery] = deque()
        self._resync = False
        self._ready = asyncio.Event()

    def push(self, delivery: Delivery) -> None:
        """Buffer one event; when it does not fit, drop what is buffered (and the event
        itself, if it alone is over the bound) and owe the reader a resync."""
        if self.queued_bytes + delivery.size > self.limit:
            self.drop()
        if delivery.size > self.limit:
            self.dropped += 1
        else:
            self._queue.append(delivery)
            self.queued_bytes += delivery.size
        self._ready.set()

    def drop(self) -> None:
        """Drop every buffered event; the next :meth:`get` is a resync."""
        self.dropped += len(self._queue)
        self._queue.clear()
        self.queued_bytes = 0
        self._resync = True
        self._ready.set()

    async def get(self) -> Delivery:
        """The next event: a ``resync`` first if events were dropped since the last."""
        while True:
            if self._resync:
                self._resync = False
                self.resyncs += 1
                return Delivery({"type": "resync", "text": RESYNC_TEXT,
                                 "dropped": self.dropped})
            if self._queue:
                delivery = self._queue.popleft()
                self.queued_bytes -= delivery.size
                return delivery
            self._ready.clear()
            await self._ready.wait()


class DisclosureSink(Protocol):
    """Where a partner's feed disclosures go before the event is sent
    (runtime/disclosures.py DisclosureWriter)."""

    def offer(self, entries: list[dict[str, Any]]) -> Future[None] | None: ...


async def feed_stream(hub: Hub, viewer: Viewer, who: Principal, hello: Event,
                      disclosures: DisclosureSink) -> AsyncIterator[bytes]:
    """One connection's Server-Sent Events: ``hello``, then each live event in ``who``'s
    view, a ``resync`` after events were dropped, and a comment line every
    :data:`KEEPALIVE_S` seconds of silence (proxies close idle streams).

    A partner's view of an event is made off the event loop, and its disclosures (one
    entry per event) are handed to ``disclosures``; the event is sent only once they are
    committed. If the writer's queue is full the event is not sent and the partner is
    resynced; if the write failed the stream ends. Other connections never wait for it."""
    reader = hub.subscribe()
    partner = who.role is Role.PARTNER
    try:
        yield sse(hello)
        while True:
            try:
                delivery = await asyncio.wait_for(reader.get(), timeout=KEEPALIVE_S)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if partner and delivery.event["type"] != "resync":
                made, entries = await asyncio.to_thread(partner_message, viewer, who, delivery)
                if made is None:
                    continue
                written = disclosures.offer([{**e, "key_id": who.key_id} for e in entries])
                if written is None:  # the log is behind: send nothing undisclosed
                    reader.drop()
                    continue
                await asyncio.wrap_future(written)  # raises: the stream ends, unsent
                yield made
                continue
            message = message_for(viewer, who, delivery)
            if message is not None:
                yield message
    finally:
        with contextlib.suppress(Exception):
            hub.unsubscribe(reader)

