"""The live feed's fan-out (app/http/hub.py): every connection gets each event published
after it connected, shared; one publish from another thread wakes the event loop; a
connection's buffer is bounded in bytes, and one that does not read is dropped to a
resync while the others go on (docs/security/clients.md)."""

from __future__ import annotations

import asyncio
import threading

from borderwatch.adapters.bus.local import LocalBus
from borderwatch.app.http.hub import Hub


def _event(n: int) -> dict[str, object]:
    return {"type": "incident", "incident": {"n": n}, "simulated": False}


def test_each_reader_gets_each_event_published_after_it_connected() -> None:
    async def run() -> None:
        hub = Hub(LocalBus(max_msgs=100))
        hub.bind(asyncio.get_running_loop())
        hub.publish(_event(0))  # nobody connected: nobody receives it
        first, second = hub.subscribe(), hub.subscribe()
        def publish_two() -> None:
            for n in (1, 2):
                hub.publish(_event(n))

        threading.Thread(target=publish_two).start()
        got = [await asyncio.wait_for(r.get(), 5) for r in (first, first, second, second)]
        assert [d.event["incident"]["n"] for d in got] == [1, 2, 1, 2]
        assert got[0] is got[2]  # one delivery per event, shared by the readers
        hub.unsubscribe(first)
        hub.unsubscribe(second)
        assert not hub.subscribers
        hub.close()

    asyncio.run(run())


def test_a_hub_overtaken_by_the_bus_retention_resyncs_its_readers() -> None:
    async def run() -> None:
        hub = Hub(LocalBus(max_msgs=3))
        hub.bind(asyncio.get_running_loop())
        slow = hub.subscribe()
        # Published from another thread while the loop is busy: the bus keeps only 3.
        thread = threading.Thread(target=lambda: [hub.publish(_event(n)) for n in range(5)])
        thread.start()
        thread.join()
        got = [await asyncio.wait_for(slow.get(), 5) for _ in range(4)]
        assert got[0].event["type"] == "resync"
        assert [d.event["incident"]["n"] for d in got[1:]] == [2, 3, 4]
        hub.close()

    asyncio.run(run())


def test_a_tracks_event_travels_as_its_shared_feed_message() -> None:
    async def run() -> None:
        hub = Hub(LocalBus())
        hub.bind(asyncio.get_running_loop())
        reader = hub.subscribe()
        hub.publish({"type": "tracks", "tracks": [], "ended": ["T-1"], "data_time": None,
                     "simulated": True})
        delivery = await asyncio.wait_for(reader.get(), 5)
        assert delivery.event["type"] == "tracks" and delivery.event["simulated"] is True
        assert delivery.event["message"].startswith(b"event: tracks\ndata: ")
        hub.close()

    asyncio.run(run())
