"""Bounded cost per client on the live feed (issue 17; docs/security/clients.md):

* a connection that never reads holds at most its byte bound; the others receive every
  event and publish never waits;
* a partner subscriber costs one disclosure row per event, not per track, written by a
  background writer: the event loop never touches the disk, and a stuck writer holds up
  only that partner, never the operators' feed nor undisclosed data to the partner.

No timing: every wait has a generous timeout only so that a broken build fails instead of
hanging."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

from borderwatch.adapters.bus.local import LocalBus
from borderwatch.alerts import SharingGate
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.http.hub import Hub, feed_stream
from borderwatch.app.http.views import Viewer
from borderwatch.app.runtime.disclosures import DisclosureWriter
from borderwatch.domain.access import Principal, Role
from borderwatch.ports.storage_fake import InMemoryDisclosures

OPERATOR = Principal("key-op", "RCMP-K", Role.OPERATOR)
PARTNER = Principal("key-partner", "USBP-HVM", Role.PARTNER)
HELLO = {"type": "hello"}
WAIT_S = 30  # a safety net for a broken build, never a measurement


def _incident(n: int, pad: int = 0) -> dict[str, Any]:
    return {"type": "incident", "simulated": True, "incident": {
        "incident_id": f"INC-{n}", "type": "crossing", "time": "2025-02-03T12:00:00Z",
        "lat": 49.0, "lon": -111.96, "direction": "northbound", "group_size": 3,
        "segment": "S1", "track_id": f"T-{n}", "note": "x" * pad, "simulated": True}}


def _tracks(n: int, count: int) -> dict[str, Any]:
    features = [{"type": "Feature", "id": f"T-{n}-{i}",
                 "geometry": {"type": "Point", "coordinates": [-111.96, 49.01]},
                 "properties": {"track_id": f"T-{n}-{i}", "time": "2025-02-03T12:00:00Z",
                                "lat": 49.01, "lon": -111.96, "kind": "person",
                                "kind_probability": 0.9, "group_size": 2, "speed_ms": 1.2,
                                "heading_deg": 10.0, "position_sigma_m": 5.0,
                                "simulated": True}}
                for i in range(count)]
    return {"type": "tracks", "tracks": features, "ended": [],
            "data_time": "2025-02-03T12:00:00Z", "simulated": True}


async def _pumped() -> None:
    """Let the loop run the hub's pump scheduled by a publish (call_soon_threadsafe)."""
    for _ in range(3):
        await asyncio.sleep(0)


def test_a_connection_that_never_reads_holds_at_most_its_bound_and_the_others_get_all() -> None:
    async def run() -> None:
        bound = 20_000
        hub = Hub(LocalBus(), client_bytes=bound)
        hub.bind(asyncio.get_running_loop())
        stalled, reading = hub.subscribe(), hub.subscribe()
        received = []
        for n in range(300):  # some 1.3 kB each: 400 kB in all, 20 times the bound
            hub.publish(_incident(n, pad=1000))  # returns: nobody is waited for
            await _pumped()
            assert stalled.queued_bytes <= bound
            assert hub.queued_bytes() <= 2 * bound
            received.append(await asyncio.wait_for(reading.get(), WAIT_S))
        assert [d.event["incident"]["incident_id"] for d in received] == [
            f"INC-{n}" for n in range(300)]
        assert reading.resyncs == 0 and reading.dropped == 0
        # When it reads again: one resync, then the events it still holds, newest last.
        first = await asyncio.wait_for(stalled.get(), WAIT_S)
        assert first.event["type"] == "resync" and first.event["dropped"] > 0
        rest = [await asyncio.wait_for(stalled.get(), WAIT_S)
                for _ in range(len(stalled._queue))]
        assert rest[-1].event["incident"]["incident_id"] == "INC-299"
        assert stalled.dropped + len(rest) == 300
        hub.close()

    asyncio.run(run())


def test_an_event_bigger_than_the_bound_is_dropped_with_a_resync() -> None:
    async def run() -> None:
        hub = Hub(LocalBus(), client_bytes=500)
        hub.bind(asyncio.get_running_loop())
        reader = hub.subscribe()
        hub.publish(_incident(1, pad=1000))
        hub.publish(_incident(2))
        await _pumped()
        assert reader.queued_bytes <= 500
        got = [await asyncio.wait_for(reader.get(), WAIT_S) for _ in range(2)]
        assert got[0].event["type"] == "resync"
        assert got[1].event["incident"]["incident_id"] == "INC-2"
        hub.close()

    asyncio.run(run())


class _BlockingLog(InMemoryDisclosures):
    """A disclosure log whose batch writes wait until ``release`` is set, and which
    notes the thread of every write."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.threads: set[int] = set()
        self.batches: list[int] = []

    def record(self, entry: dict[str, Any]) -> None:
        self.threads.add(threading.get_ident())
        super().record(entry)

    def record_many(self, entries: Sequence[dict[str, Any]]) -> None:
        self.threads.add(threading.get_ident())
        self.release.wait(WAIT_S)
        self.batches.append(len(entries))
        super().record_many(entries)


async def _next(stream: AsyncIterator[bytes]) -> bytes:
    return await asyncio.wait_for(anext(stream), WAIT_S)


def _feed(log: _BlockingLog) -> tuple[Hub, Viewer, DisclosureWriter]:
    hub = Hub(LocalBus())
    hub.bind(asyncio.get_running_loop())
    # The viewer's own log is the same: a per-track write would show up in it.
    return hub, Viewer(SharingGate(SharingPolicy.bundled(), log)), DisclosureWriter(log)


def test_a_partner_costs_one_disclosure_row_per_event_written_off_the_event_loop() -> None:
    async def run() -> None:
        log = _BlockingLog()
        log.release.set()
        hub, viewer, writer = _feed(log)
        partner = feed_stream(hub, viewer, PARTNER, HELLO, writer)
        assert (await _next(partner)).startswith(b"event: hello")
        for n in range(3):
            hub.publish(_tracks(n, 200))
        hub.publish(_incident(9))
        messages = [await _next(partner) for _ in range(4)]
        assert [m.split(b"\n", 1)[0] for m in messages] == [b"event: tracks"] * 3 + [
            b"event: incident"]
        entries = log.entries()
        assert len(entries) == 4  # not 601: one per event and recipient
        tracks = entries[0]
        assert tracks["count"] == 200 and len(tracks["released"]) == 200
        assert tracks["recipient"] == "USBP-HVM" and tracks["channel"] == "feed"
        assert tracks["event"] == "tracks" and "speed_ms" in tracks["withheld"]
        assert set(tracks["fields"]) <= {"type", "time", "lat", "lon", "direction",
                                         "group_size"}
        assert entries[3]["incident_id"] == "INC-9" and entries[3]["count"] == 1
        assert threading.get_ident() not in log.threads  # never on the event loop
        await partner.aclose()
        writer.close()
        hub.close()

    asyncio.run(run())


def test_two_partner_connections_of_one_agency_get_one_view_and_a_row_each() -> None:
    async def run() -> None:
        log = _BlockingLog()
        log.release.set()
        hub, viewer, writer = _feed(log)
        other = Principal("key-partner-2", PARTNER.agency, Role.PARTNER)
        streams = [feed_stream(hub, viewer, who, HELLO, writer) for who in (PARTNER, other)]
        for stream in streams:
            await _next(stream)
        hub.publish(_tracks(0, 50))
        got = [await _next(stream) for stream in streams]
        assert got[0] == got[1]  # the same view: it depends on the agency only
        assert sorted(e["key_id"] for e in log.entries()) == ["key-partner", "key-partner-2"]
        for stream in streams:
            await stream.aclose()
        writer.close()
        hub.close()

    asyncio.run(run())


def test_a_stuck_disclosure_writer_holds_up_only_that_partner() -> None:
    async def run() -> None:
        log = _BlockingLog()  # every batch write waits until released
        hub, viewer, writer = _feed(log)
        operator = feed_stream(hub, viewer, OPERATOR, HELLO, writer)
        partner = feed_stream(hub, viewer, PARTNER, HELLO, writer)
        await _next(operator)
        await _next(partner)
        waiting = asyncio.ensure_future(_next(partner))
        for n in range(5):
            hub.publish(_tracks(n, 100))
        got = [await _next(operator) for _ in range(5)]  # the loop is not blocked
        assert all(m.startswith(b"event: tracks") for m in got)
        assert not waiting.done()  # nothing reaches the partner before it is logged
        assert log.entries() == []
        log.release.set()
        first = await asyncio.wait_for(waiting, WAIT_S)
        assert first.startswith(b"event: tracks")
        assert len(log.entries()) >= 1
        assert threading.get_ident() not in log.threads
        await operator.aclose()
        await partner.aclose()
        writer.close()
        hub.close()

    asyncio.run(run())


def test_a_full_disclosure_queue_resyncs_the_partner_and_sends_nothing_undisclosed() -> None:
    async def run() -> None:
        log = _BlockingLog()
        hub, viewer, _ = _feed(log)
        writer = DisclosureWriter(log, max_pending=1)  # room for one event's entry
        one = feed_stream(hub, viewer, PARTNER, HELLO, writer)
        two = feed_stream(hub, viewer, PARTNER, HELLO, writer)
        await _next(one)
        await _next(two)
        waiting = {asyncio.ensure_future(_next(one)), asyncio.ensure_future(_next(two))}
        hub.publish(_incident(1))
        # One partner's entry is queued (the writer is stuck); the other's is refused:
        # that partner is sent a resync, not the undisclosed incident.
        done, waiting = await asyncio.wait(waiting, timeout=WAIT_S,
                                           return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1 and done.pop().result().startswith(b"event: resync")
        assert writer.refused == 1 and log.entries() == []
        log.release.set()
        assert (await asyncio.wait_for(waiting.pop(), WAIT_S)).startswith(b"event: incident")
        assert [e["incident_id"] for e in log.entries()] == ["INC-1"]
        hub.publish(_incident(2))  # after the resync, the stream goes on for both
        for stream in (one, two):
            assert (await _next(stream)).startswith(b"event: incident")
        assert [e["incident_id"] for e in log.entries()] == ["INC-1", "INC-2", "INC-2"]
        for stream in (one, two):
            await stream.aclose()
        writer.close()
        hub.close()

    asyncio.run(run())
