"""The live feed's fan-out on the bus: the tracker publishes each live event on a subject
``bw.live.<type>`` (tracks, incident, alert, case), and every feed connection reads them
through an ephemeral subscription of its own (deliver="new"), on the event loop.

A subscriber that cannot keep up is told so (a ``lagged`` event) and its stream ends: the
bus's retention limit discarded what it had not read yet (``Subscription.skipped``). The
client reconnects and reloads the picture. Nothing is dropped silently. docs/bus.md.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque
from collections.abc import Mapping
from typing import Any

import orjson

from borderwatch.app.http.feed import Delivery, shared_tracks_message
from borderwatch.ports.bus import Bus, BusClosedError, Message, Subscription

Event = dict[str, Any]
LAGGED: Event = {"type": "lagged", "text": "the live feed fell behind; reconnect and reload"}
SUBJECT_PREFIX = "bw.live."
FEED_FILTER = "bw.live.>"
FEED_RETAINED = 10_000
"""Live events the feed's bus keeps at most (the composition root makes it so)."""
FEED_RETAINED_BYTES = 32 << 20
"""...and bytes of them: a connection further behind than either is told it lagged. A
second's track update of a thousand tracks is some 150 kB, so this is some 200 s of such
updates, and the feed's memory stays bounded whatever its readers do."""
_FETCH = 64
_SHARED_DELIVERIES = 256
"""Deliveries kept by bus sequence, so that every connection shares one per event."""


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
    its shared message as it is, read only for a partner's view: feed.message_for)."""
    if subject == SUBJECT_PREFIX + "tracks":
        return {"type": "tracks", "message": data, "simulated": headers.get("simulated") == "1"}
    event: Event = orjson.loads(data)
    return event


class Hub:
    """Publishes live events on the bus (from any thread) and opens a :class:`FeedReader`
    per feed connection (on the event loop). After each publish the loop is woken once
    for all readers, since a bus subscription has nothing to await."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: set[FeedReader] = set()
        self.published = 0
        self._deliveries: OrderedDict[int, Delivery] = OrderedDict()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop the feed connections are served on."""
        self.loop = loop

    def publish(self, event: Event) -> None:
        """Thread-safe: called from the tracker's thread (or the process mirror's). With
        nobody connected nothing is published: a new reader starts at the next event."""
        self.published += 1
        loop = self.loop
        if loop is None or not self.subscribers or loop.is_closed():
            return
        data, headers = encode(event)
        try:
            self.bus.publish(subject_of(event), data, headers=headers)
        except BusClosedError:
            return  # the service is closing
        loop.call_soon_threadsafe(self._wake)

    def subscribe(self) -> FeedReader:
        """A reader of the events published from now on (event loop only)."""
        reader = FeedReader(self, self.bus.subscribe(FEED_FILTER, deliver="new"))
        self.subscribers.add(reader)
        return reader

    def unsubscribe(self, reader: FeedReader) -> None:
        """End a reader (event loop only)."""
        self.subscribers.discard(reader)
        reader.close()

    def close(self) -> None:
        """Close the bus; readers then wait for ever (the server ends their streams)."""
        self.bus.close()

    def _wake(self) -> None:
        for reader in self.subscribers:
            reader.ready.set()

    def delivery(self, message: Message) -> Delivery:
        """The delivery shared by every reader for one bus message (event loop only)."""
        shared = self._deliveries.get(message.seq)
        if shared is None:
            event = decode(message.subject, message.data, message.headers)
            shared = self._deliveries[message.seq] = Delivery(event)
            if len(self._deliveries) > _SHARED_DELIVERIES:
                self._deliveries.popitem(last=False)
        return shared


class FeedReader:
    """One feed connection's subscription, awaited on the event loop."""

    def __init__(self, hub: Hub, subscription: Subscription) -> None:
        self.hub = hub
        self.subscription = subscription
        self.ready = asyncio.Event()
        self._taken: deque[Delivery] = deque()
        self._lagged = False

    async def get(self) -> Delivery:
        """The next event; :data:`LAGGED` once the bus discarded one it had not read."""
        while not self._taken:
            if self._lagged:
                await asyncio.Event().wait()  # told already; the stream has ended
            try:
                messages = self.subscription.fetch(_FETCH)
                lagged = self.subscription.skipped > 0
            except BusClosedError:  # the service is closing; the server ends the stream
                await asyncio.Event().wait()
            for message in messages:
                message.ack()
                self._taken.append(self.hub.delivery(message))
            if lagged:
                self._lagged = True
                self._taken.append(Delivery(LAGGED))
            elif not messages:
                # Cleared only here, with no await since the fetch: a publish after the
                # fetch wakes the loop later (Hub._wake) and sets it again.
                self.ready.clear()
                await self.ready.wait()
        return self._taken.popleft()

    def close(self) -> None:
        """Unbind the subscription."""
        with contextlib.suppress(BusClosedError):  # the bus closed it already
            self.subscription.close()
