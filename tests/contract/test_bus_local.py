"""The bus contract run against the in-process bus, plus its threads: blocking fetch,
many publishers and fetchers at once, and push-style listeners."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from borderwatch.adapters.bus.local import LocalBus
from borderwatch.ports.bus import DEFAULT_MAX_MSGS, Bus, BusClosedError, Clock, Message
from tests.contract.bus_contract import BusContract, BusFactory


class TestLocalBus(BusContract):
    @pytest.fixture
    def make_bus(self) -> Iterator[BusFactory]:
        made: list[LocalBus] = []

        def make(
            clock: Clock | None = None,
            *,
            max_msgs: int = DEFAULT_MAX_MSGS,
            max_bytes: int | None = None,
        ) -> Bus:
            made.append(LocalBus(clock=clock, max_msgs=max_msgs, max_bytes=max_bytes))
            return made[-1]

        yield make
        for bus in made:
            bus.close()


@pytest.fixture
def bus() -> Iterator[LocalBus]:
    local = LocalBus()
    yield local
    local.close()


def in_thread(target: Callable[..., object], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def test_many_publishers_and_two_fetchers_get_every_message_exactly_once(bus: LocalBus) -> None:
    publishers, per_publisher = 4, 2_000
    total = publishers * per_publisher
    members = [bus.subscribe("detections.>", durable="trackers") for _ in range(2)]
    received: list[list[Message]] = [[], []]
    retried: list[tuple[int, bool]] = []  # (seq, duplicate) of each re-published message
    stop = threading.Event()

    def publish(p: int) -> None:
        for i in range(per_publisher):
            msg_id = f"p{p}-{i}"
            ack = bus.publish(f"detections.seg-{i % 7}", msg_id.encode(), msg_id=msg_id)
            if i % 10 == 0:  # a publisher's retry after a lost PubAck: de-duplicated
                again = bus.publish(f"detections.seg-{i % 7}", b"retry", msg_id=msg_id)
                retried.append((again.seq - ack.seq, again.duplicate))

    def fetch(k: int) -> None:
        while not stop.is_set():
            batch = members[k].fetch(batch=50, timeout=0.05)
            for message in batch:
                message.ack()
            received[k].extend(batch)

    threads = [in_thread(fetch, k) for k in range(2)]
    threads += [in_thread(publish, p) for p in range(publishers)]
    give_up_at = time.monotonic() + 8.0
    while len(received[0]) + len(received[1]) < total and time.monotonic() < give_up_at:
        time.sleep(0.01)
    time.sleep(0.1)  # a message delivered twice would arrive now
    stop.set()
    for thread in threads:
        thread.join(2.0)
    assert not any(thread.is_alive() for thread in threads)

    got = received[0] + received[1]
    expected = sorted(f"p{p}-{i}".encode() for p in range(publishers) for i in range(per_publisher))
    assert sorted(m.data for m in got) == expected
    assert sorted(m.seq for m in got) == list(range(1, total + 1))
    assert {m.deliveries for m in got} == {1}
    assert retried == [(0, True)] * (publishers * per_publisher // 10)
    assert members[0].fetch(batch=10) == [] and members[1].fetch(batch=10) == []


def test_fetch_waits_for_a_publish(bus: LocalBus) -> None:
    sub = bus.subscribe("a.b")
    timer = threading.Timer(0.05, bus.publish, args=("a.b", b"late"))
    timer.start()
    started = time.monotonic()
    got = sub.fetch(batch=10, timeout=5.0)
    assert [m.data for m in got] == [b"late"]
    assert time.monotonic() - started < 4.0
    timer.join()


def test_fetch_gives_up_after_timeout(bus: LocalBus) -> None:
    sub = bus.subscribe("a.b")
    bus.publish("a.c", b"not for it")
    started = time.monotonic()
    assert sub.fetch(timeout=0.1) == []
    assert time.monotonic() - started >= 0.09


def test_fetch_wakes_when_a_nak_delay_ends(bus: LocalBus) -> None:
    bus.publish("a.b", b"1")
    sub = bus.subscribe("a.b")
    (message,) = sub.fetch()
    message.nak(delay_s=0.1)
    started = time.monotonic()
    (again,) = sub.fetch(timeout=5.0)
    assert again.deliveries == 2
    assert 0.09 <= time.monotonic() - started < 4.0


def test_closing_the_bus_wakes_a_blocked_fetch(bus: LocalBus) -> None:
    sub = bus.subscribe("a.b")
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            sub.fetch(timeout=10.0)
        except BusClosedError as error:
            outcome.append(error)

    waiter = in_thread(wait)
    time.sleep(0.05)
    bus.close()
    waiter.join(2.0)
    assert not waiter.is_alive()
    assert len(outcome) == 1


def test_listen_calls_back_for_new_messages_until_stopped(bus: LocalBus) -> None:
    bus.publish("incidents.seg-1", b"before")
    seen: list[bytes] = []
    three = threading.Event()
    bad_calls: list[int] = []

    def on_message(message: Message) -> None:
        if message.data == b"bad":
            bad_calls.append(message.deliveries)
            raise RuntimeError("a broken callback")
        seen.append(message.data)
        if len(seen) == 3:
            three.set()

    listener = bus.listen("incidents.>", on_message)
    for data in (b"1", b"bad", b"2", b"3"):
        bus.publish("incidents.seg-1", data)
    assert three.wait(5.0)
    assert seen == [b"1", b"2", b"3"]
    # A redelivery of the failing message would come before anything published later.
    bus.publish("incidents.seg-1", b"4")
    deadline = time.monotonic() + 5.0
    while len(seen) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [b"1", b"2", b"3", b"4"]
    assert bad_calls == [1]  # terminated, not retried
    assert listener.running
    listener.stop()
    assert not listener.running
    bus.publish("incidents.seg-1", b"after")
    assert seen == [b"1", b"2", b"3", b"4"]


def test_listener_ends_when_the_bus_closes(bus: LocalBus) -> None:
    listener = bus.listen("a.>", lambda message: None)
    bus.close()
    deadline = time.monotonic() + 5.0
    while listener.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not listener.running
