"""The bus contract run against NATS JetStream (a real nats-server started by the session),
plus what only a broker shows: several buses on one stream, a restart of the server,
publish_many, blocking fetches, and the errors.

A server's clock cannot be stepped. The contract's ``clock`` fixture is therefore a
``ManualClock`` whose ``advance`` sleeps, and the bus under test scales every duration it
is given by the same rule (``scaled``): ack waits, nak delays and the de-duplication
window of 5-120 "contract seconds" become 1 s of real time at most, and ``advance`` sleeps
the scaled time plus a margin. Only "later" holds on real time, never "not quite yet": the
three contract tests that step to within 2 % of a deadline (4.9 s of 5, 9.9 s of 10,
119 s of 120) are overridden below with real margins, as are the two where JetStream
behaves differently by design (the byte limit, and ``skipped`` for a narrow filter).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace

import pytest

from borderwatch.adapters.nats.bus import JetStreamBus
from borderwatch.adapters.nats.errors import (
    JetStreamUnavailableError,
    PublishOutcomeUnknownError,
)
from borderwatch.adapters.nats.server import NatsServer, free_port
from borderwatch.adapters.nats.subscription import JetStreamSubscription
from borderwatch.ports.bus import (
    DEFAULT_ACK_WAIT_S,
    DEFAULT_MAX_MSGS,
    Bus,
    BusClosedError,
    Clock,
    DeliverPolicy,
    Message,
    PublishAck,
    Subscription,
)
from borderwatch.ports.bus_fake import ManualClock
from tests.contract.bus_contract import BusContract, BusFactory, datas, drain
from tests.nats_fixtures import JetStreamBusFactory, delete_streams, fresh_stream_name

SCALE = 0.2
CAP_S = 1.0
MARGIN_S = 0.3
"""What ``advance`` waits beyond the scaled time: the server's timers fire a little late."""


def scaled(contract_seconds: float) -> float:
    """Real seconds standing for ``contract_seconds``: 5 s -> 1 s, and never above 1 s."""
    return min(contract_seconds * SCALE, CAP_S)


class RealTimeSteps(ManualClock):
    """``advance`` really waits, the scaled time plus a margin (see the module docstring)."""

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        time.sleep(scaled(seconds) + MARGIN_S)


class ScaledSubscription:
    """A JetStream subscription whose nak delays are scaled like the contract's clock."""

    def __init__(self, inner: JetStreamSubscription) -> None:
        self.inner = inner

    @property
    def subject_filter(self) -> str:
        return self.inner.subject_filter

    @property
    def durable(self) -> str | None:
        return self.inner.durable

    @property
    def dropped(self) -> int:
        return self.inner.dropped

    @property
    def skipped(self) -> int:
        return self.inner.skipped

    def fetch(self, batch: int = 1, timeout: float = 0.0) -> list[Message]:
        return [replace(m, acker=self) for m in self.inner.fetch(batch, timeout)]

    def close(self) -> None:
        self.inner.close()

    def ack(self, message: Message) -> None:
        self.inner.ack(message)

    def term(self, message: Message) -> None:
        self.inner.term(message)

    def nak(self, message: Message, delay_s: float) -> None:
        replace(message, acker=self.inner).nak(scaled(delay_s) if delay_s else 0.0)


class ScaledBus:
    """``JetStreamBus`` with the contract's durations scaled to real time. An ack wait left
    at its default (30 s) stays 30 s: no contract test waits for it."""

    def __init__(self, inner: JetStreamBus) -> None:
        self.inner = inner

    def publish(
        self,
        subject: str,
        data: bytes,
        *,
        msg_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> PublishAck:
        return self.inner.publish(subject, data, msg_id=msg_id, headers=headers)

    def subscribe(
        self,
        subject_filter: str,
        *,
        durable: str | None = None,
        deliver: DeliverPolicy = "all",
        ack_wait_s: float = DEFAULT_ACK_WAIT_S,
        max_deliver: int | None = None,
    ) -> ScaledSubscription:
        if ack_wait_s != DEFAULT_ACK_WAIT_S:
            ack_wait_s = scaled(ack_wait_s)
        return ScaledSubscription(
            self.inner.subscribe(
                subject_filter,
                durable=durable,
                deliver=deliver,
                ack_wait_s=ack_wait_s,
                max_deliver=max_deliver,
            )
        )

    def close(self) -> None:
        self.inner.close()


def wait_for(fetch: Subscription, timeout: float = 5.0) -> list[Message]:
    """Fetch until something comes (the server's timers are real), or ``[]`` at timeout."""
    give_up_at = time.monotonic() + timeout
    while time.monotonic() < give_up_at:
        got = fetch.fetch(batch=10, timeout=0.1)
        if got:
            return got
    return []


class TestJetStreamBus(BusContract):
    @pytest.fixture
    def clock(self) -> ManualClock:
        return RealTimeSteps(1000.0)

    @pytest.fixture
    def make_bus(self, nats_server: NatsServer) -> Iterator[BusFactory]:
        made: list[JetStreamBus] = []

        def make(
            clock: Clock | None = None,
            *,
            max_msgs: int = DEFAULT_MAX_MSGS,
            max_bytes: int | None = None,
        ) -> Bus:
            made.append(
                JetStreamBus(
                    nats_server.url,
                    stream=fresh_stream_name(),
                    max_msgs=max_msgs,
                    max_bytes=max_bytes,
                    duplicate_window_s=scaled(120.0),
                )
            )
            return ScaledBus(made[-1])

        yield make
        for bus in made:
            bus.close()
        delete_streams(nats_server.url, [bus.stream for bus in made])

    # Overridden: steps to within 2 % of a deadline (see the module docstring).

    def test_repeated_msg_id_inside_window_is_not_stored(
        self, bus: Bus, clock: ManualClock
    ) -> None:
        first = bus.publish("detections.seg-1", b"one", msg_id="d-1")
        time.sleep(0.2)  # well inside the (scaled) 1 s window
        again = bus.publish("detections.seg-1", b"one again", msg_id="d-1")
        other = bus.publish("detections.seg-1", b"two", msg_id="d-2")
        assert (first.duplicate, again.duplicate, other.duplicate) == (False, True, False)
        assert again.seq == first.seq
        assert datas(drain(bus.subscribe("detections.>"))) == [b"one", b"two"]

    def test_nak_with_delay_redelivers_after_it(self, bus: Bus, clock: ManualClock) -> None:
        bus.publish("a.b", b"1")
        sub = bus.subscribe("a.b", ack_wait_s=60)  # 1 s of real time
        (first,) = sub.fetch()
        first.nak(delay_s=2.5)  # 0.5 s: redelivered by the nak's delay, not the ack wait
        assert sub.fetch() == []
        time.sleep(0.1)
        assert sub.fetch() == []
        assert [(m.data, m.deliveries) for m in wait_for(sub)] == [(b"1", 2)]

    def test_unacked_message_is_redelivered_after_ack_wait(
        self, bus: Bus, clock: ManualClock
    ) -> None:
        bus.publish("a.b", b"1")
        sub = bus.subscribe("a.b", ack_wait_s=5)  # 1 s of real time
        assert [m.deliveries for m in sub.fetch()] == [1]
        assert sub.fetch() == []
        time.sleep(0.2)
        assert sub.fetch() == []
        (again,) = wait_for(sub)
        assert (again.data, again.deliveries) == (b"1", 2)
        again.ack()
        clock.advance(60)
        assert sub.fetch() == []

    # Overridden: JetStream behaves differently by design.

    def test_byte_limit_discards_oldest_but_keeps_the_newest(
        self, make_bus: BusFactory, clock: ManualClock
    ) -> None:
        # JetStream's max_bytes counts what it stores (subject, headers, payload and some
        # 20-30 bytes of its own), not payloads; and a message larger than the limit by
        # itself is acknowledged and then discarded at once, not kept as the newest.
        bus = make_bus(clock, max_bytes=1000)
        assert isinstance(bus, ScaledBus)
        live = bus.subscribe("feed.>", deliver="new")
        for i in range(40):
            bus.publish("feed.x", b"%04d" % i)
        state = bus.inner.stream_info()["state"]
        kept = state["messages"]
        assert 0 < kept < 40 and state["bytes"] <= 1000
        assert datas(drain(live)) == [b"%04d" % i for i in range(40 - kept, 40)]
        assert live.skipped == 40 - kept
        big = bus.publish("feed.x", b"x" * 2000)
        assert big.seq == 41 and not big.duplicate
        assert bus.inner.stream_info()["state"]["messages"] == 0
        assert drain(live) == []
        bus.publish("feed.x", b"after")
        assert datas(drain(live)) == [b"after"]
        assert live.skipped == 40 - kept + 1

    def test_skipped_counts_only_matching_messages(
        self, make_bus: BusFactory, clock: ManualClock
    ) -> None:
        # JetStream says nothing of what retention discarded, so the adapter infers skipped
        # messages from gaps in stream sequences below the stream's first one. It cannot
        # tell a discarded a.* from a discarded b.*: for a filter narrower than the stream
        # it counts every discarded sequence in the gap, an upper bound (3, not 2, here).
        # Messages still held on other subjects (b.2, b.3) are not counted.
        bus = make_bus(clock, max_msgs=3)
        mine = bus.subscribe("a.*")
        for subject in ("a.1", "b.1", "a.2", "b.2", "b.3", "a.3"):
            bus.publish(subject, subject.encode())
        assert datas(drain(mine)) == [b"a.3"]
        assert mine.skipped == 3
        everything = bus.subscribe(">", deliver="new")
        for subject in ("a.4", "b.4", "a.5", "b.5"):
            bus.publish(subject, subject.encode())
        assert datas(drain(everything)) == [b"b.4", b"a.5", b"b.5"]
        assert everything.skipped == 1  # a.4; a filter matching the whole stream: exact


# What only a broker shows.


def test_two_buses_on_one_stream_share_a_durable(jetstream_bus: JetStreamBusFactory) -> None:
    first = jetstream_bus()
    second = jetstream_bus(stream=first.stream)  # another process, as far as NATS knows
    acks = first.publish_many([("detections.seg-1", b"%d" % i, f"d-{i}") for i in range(20)])
    assert [a.seq for a in acks] == list(range(1, 21))
    a = first.subscribe("detections.>", durable="trackers")
    b = second.subscribe("detections.>", durable="trackers")
    got_a, got_b = a.fetch(batch=7), b.fetch(batch=100)
    got_a += a.fetch(batch=100)
    assert (len(got_a), len(got_b)) == (7, 13)
    assert sorted(m.seq for m in got_a + got_b) == list(range(1, 21))
    a.close()  # unacked: released to the other member at once
    assert sorted(m.seq for m in drain(b)) == list(range(1, 8))


def test_publish_many_acks_in_order_and_removes_repeated_ids(
    jetstream_bus: JetStreamBusFactory,
) -> None:
    bus = jetstream_bus()
    items = [(f"d.seg-{i % 3}", b"x" * 1000, f"m-{i}") for i in range(5000)]
    acks = bus.publish_many(items)
    assert [a.seq for a in acks] == list(range(1, 5001))
    again = bus.publish_many([*items[:10], ("d.seg-0", b"new", None)])
    assert [(a.seq, a.duplicate) for a in again] == [(i, True) for i in range(1, 11)] + [
        (5001, False)
    ]
    assert bus.publish_many([]) == []
    assert len(drain(bus.subscribe(">"))) == 5001


def test_publish_soon_sends_in_call_order_and_answers_when_asked(
    jetstream_bus: JetStreamBusFactory,
) -> None:
    # The tracker worker sends each track update as it is made and waits for the
    # answers before its commit (app/cluster/runner.py).
    bus = jetstream_bus()
    waits = [bus.publish_soon([(f"live.{i % 2}", b"%d" % i, None)]) for i in range(200)]
    assert [[a.seq for a in wait()] for wait in waits] == [[i] for i in range(1, 201)]
    assert [m.data for m in drain(bus.subscribe(">"))] == [b"%d" % i for i in range(200)]
    bus.close()
    with pytest.raises(BusClosedError):
        bus.publish_soon([("live.0", b"late", None)])


def test_fetch_waits_for_a_publish_from_another_thread(
    jetstream_bus: JetStreamBusFactory,
) -> None:
    bus = jetstream_bus()
    sub = bus.subscribe("a.>")
    timer = threading.Timer(0.2, bus.publish, args=("a.b", b"late"))
    timer.start()
    got = sub.fetch(batch=10, timeout=10.0)
    timer.join()
    assert datas(got) == [b"late"]
    assert sub.fetch(batch=10, timeout=0.2) == []


def test_closing_the_bus_wakes_a_blocked_fetch(jetstream_bus: JetStreamBusFactory) -> None:
    bus = jetstream_bus()
    sub = bus.subscribe("a.b")
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            sub.fetch(timeout=30.0)
        except BusClosedError as error:
            outcome.append(error)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    time.sleep(0.2)
    bus.close()
    waiter.join(5.0)
    assert not waiter.is_alive()
    assert len(outcome) == 1 and "closed" in str(outcome[0])


def test_ephemeral_consumer_is_deleted_and_durable_kept_at_close(
    jetstream_bus: JetStreamBusFactory,
) -> None:
    bus = jetstream_bus()
    ephemeral = bus.subscribe("a.>")
    durable = bus.subscribe("a.>", durable="keep")
    assert bus.stream_info()["state"]["consumer_count"] == 2
    ephemeral.close()
    durable.close()
    assert bus.stream_info()["state"]["consumer_count"] == 1


def test_an_ephemeral_consumer_deleted_when_idle_is_made_again_where_it_was(
    jetstream_bus: JetStreamBusFactory,
) -> None:
    bus = jetstream_bus(ephemeral_idle_s=0.5)  # what the server keeps for a crashed process
    bus.publish("a.b", b"1")
    bus.publish("a.b", b"2")
    sub = bus.subscribe("a.>", ack_wait_s=0.2)
    first, held = sub.fetch(batch=2)
    first.ack()
    give_up_at = time.monotonic() + 10.0
    while bus.stream_info()["state"]["consumer_count"] and time.monotonic() < give_up_at:
        time.sleep(0.1)
    assert bus.stream_info()["state"]["consumer_count"] == 0
    bus.publish("a.b", b"3")
    # The port's ephemeral consumer lives until close: made again at the unsettled "2".
    assert [(m.data, m.deliveries) for m in drain(sub)] == [(b"2", 1), (b"3", 1)]
    held.ack()  # settling a delivery of the deleted consumer is harmless
    assert sub.skipped == 0


def test_dropped_counts_a_last_ack_wait_that_ran_out(jetstream_bus: JetStreamBusFactory) -> None:
    bus = jetstream_bus()
    bus.publish("a.b", b"never acked")
    sub = bus.subscribe("a.b", ack_wait_s=0.3, max_deliver=1)
    assert len(sub.fetch()) == 1
    give_up_at = time.monotonic() + 5.0
    while sub.dropped == 0 and time.monotonic() < give_up_at:
        assert sub.fetch(timeout=0.1) == []  # the server gives it up: no redelivery
    assert sub.dropped == 1


def test_durable_position_and_messages_survive_a_server_restart(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = NatsServer(tmp_path_factory.mktemp("restart") / "node")
    server.start()
    try:
        bus = JetStreamBus(server.url, stream="RESTART", retry_s=10.0)
        try:
            for i in range(3):
                bus.publish("a.b", b"%d" % i, msg_id=f"m-{i}")
            sub = bus.subscribe("a.>", durable="w")
            (first,) = sub.fetch()
            first.ack()
            sub.close()
            server.restart()  # same port and files; the client reconnects by itself
            assert bus.publish("a.b", b"3", msg_id="m-3").seq == 4
            assert bus.publish("a.b", b"2", msg_id="m-2").duplicate  # the window survived
            again = bus.subscribe("a.>", durable="w")
            assert datas(drain(again)) == [b"1", b"2", b"3"]
        finally:
            bus.close()
    finally:
        server.stop()


def test_no_server_is_a_clear_error() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    with pytest.raises(JetStreamUnavailableError, match="cannot connect") as raised:
        JetStreamBus(url, connect_timeout_s=0.5)
    assert url in str(raised.value)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"stream": "a.b"}, "stream"),
        ({"namespace": "a..b"}, "namespace"),
        ({"max_msgs": 0}, "max_msgs"),
        ({"max_bytes": 0}, "max_bytes"),
        ({"replicas": 7}, "replicas"),
        ({"duplicate_window_s": 0}, "duplicate_window_s"),
        ({"max_age_s": 10, "duplicate_window_s": 60}, "duplicate_window_s"),
        ({"retry_s": -1}, "retry_s"),
    ],
)
def test_bad_settings_name_the_field(settings: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        JetStreamBus("nats://127.0.0.1:4222", **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Nats-Expected-Stream": "X"}, "JetStream's"),
        ({"a b": "1"}, "printable"),
        ({"a": "1\r\n2"}, "line breaks"),
    ],
)
def test_bad_headers_are_refused(
    jetstream_bus: JetStreamBusFactory, headers: dict[str, str], reason: str
) -> None:
    bus = jetstream_bus()
    with pytest.raises(ValueError, match=reason):
        bus.publish("a.b", b"x", headers=headers)


def test_publish_without_msg_id_is_not_retried_when_its_outcome_is_unknown(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = NatsServer(tmp_path_factory.mktemp("unknown") / "node")
    server.start()
    bus = JetStreamBus(server.url, stream="UNKNOWN", publish_timeout_s=0.3, retry_s=1.0)
    try:
        server.kill()
        with pytest.raises(PublishOutcomeUnknownError, match="msg_id"):
            bus.publish("a.b", b"x")
        with pytest.raises(JetStreamUnavailableError, match="retry_s"):
            bus.publish("a.b", b"x", msg_id="m-1")
    finally:
        bus.close()
        server.stop()
