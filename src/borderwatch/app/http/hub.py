"""Fan-out of live events from the worker thread to the live-feed subscribers (asyncio).

A subscriber that cannot keep up is told so (a ``lagged`` event) and its stream ends; the
client reconnects and reloads the picture. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

Event = dict[str, Any]
LAGGED: Event = {"type": "lagged", "text": "the live feed fell behind; reconnect and reload"}


@dataclass(slots=True)
class Delivery:
    """One event as every subscriber's queue holds it: the same object for all, so what
    is made of it for one role can be reused for the next subscriber of that role."""

    event: Event
    views: dict[str, bytes | None] = field(default_factory=dict)


class Hub:
    def __init__(self, queue_size: int = 10_000) -> None:
        self.queue_size = queue_size
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: set[asyncio.Queue[Delivery]] = set()
        self.published = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self) -> asyncio.Queue[Delivery]:
        queue: asyncio.Queue[Delivery] = asyncio.Queue(self.queue_size + 1)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Delivery]) -> None:
        self.subscribers.discard(queue)

    def publish(self, event: Event) -> None:
        """Thread-safe: called from the worker thread."""
        self.published += 1
        loop = self.loop
        if loop is not None and self.subscribers and not loop.is_closed():
            loop.call_soon_threadsafe(self._fan_out, event)

    def _fan_out(self, event: Event) -> None:
        delivery = Delivery(event)
        for queue in list(self.subscribers):
            if queue.qsize() >= self.queue_size:
                self.subscribers.discard(queue)
                queue.put_nowait(Delivery(LAGGED))
            else:
                queue.put_nowait(delivery)
