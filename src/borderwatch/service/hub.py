"""Fan-out of live events from the worker thread to the live-feed subscribers (asyncio).

A subscriber that cannot keep up is told so (a ``lagged`` event) and its stream ends; the
client reconnects and reloads the picture. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
from typing import Any

Event = dict[str, Any]
LAGGED: Event = {"type": "lagged", "text": "the live feed fell behind; reconnect and reload"}


class Hub:
    def __init__(self, queue_size: int = 10_000) -> None:
        self.queue_size = queue_size
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: set[asyncio.Queue[Event]] = set()
        self.published = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self.queue_size + 1)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self.subscribers.discard(queue)

    def publish(self, event: Event) -> None:
        """Thread-safe: called from the worker thread."""
        self.published += 1
        loop = self.loop
        if loop is not None and self.subscribers and not loop.is_closed():
            loop.call_soon_threadsafe(self._fan_out, event)

    def _fan_out(self, event: Event) -> None:
        for queue in list(self.subscribers):
            if queue.qsize() >= self.queue_size:
                self.subscribers.discard(queue)
                queue.put_nowait(LAGGED)
            else:
                queue.put_nowait(event)
