"""The bus contract: every implementation of ``borderwatch.ports.bus.Bus`` runs these tests.

Subclass ``BusContract`` and provide the ``make_bus`` fixture. Time is a ``ManualClock``
handed to the factory, so ack deadlines, nak delays and the de-duplication window are
stepped, never slept through; fetches use ``timeout=0``.

An implementation on real time (a broker, whose clock cannot be stepped) overrides the
``clock`` fixture with a ``ManualClock`` whose ``advance`` waits, and scales the durations
its bus is given to match; it overrides the few tests that step to just short of a
deadline with versions that leave real margins (tests/contract/test_bus_jetstream.py)."""

from __future__ import annotations

import re
from typing import Protocol

import pytest

from borderwatch.ports.bus import Bus, BusClosedError, Clock, Message, Subscription
from borderwatch.ports.bus_fake import ManualClock


class BusFactory(Protocol):
    def __call__(
        self, clock: Clock | None = None, *, max_msgs: int = ..., max_bytes: int | None = ...
    ) -> Bus: ...


def datas(messages: list[Message]) -> list[bytes]:
    return [m.data for m in messages]


def drain(subscription: Subscription, *, ack: bool = True) -> list[Message]:
    """Everything deliverable now, acked unless told otherwise."""
    out: list[Message] = []
    while batch := subscription.fetch(batch=10, timeout=0):
        out.extend(batch)
        if ack:
            for message in batch:
                message.ack()
    return out


class BusContract:
    @pytest.fixture
    def make_bus(self) -> BusFactory:
        raise NotImplementedError("a test class for an implementation provides make_bus")

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(1000.0)

    @pytest.fixture
    def bus(self, make_bus: BusFactory, clock: ManualClock) -> Bus:
        return make_bus(clock)

    # publishing and order

    def test_fetch_returns_messages_in_publish_order(self, bus: Bus) -> None:
        sub = bus.subscribe("detections.>")
        for i in range(5):
            bus.publish("detections.seg-1", f"d{i}".encode())
        assert datas(sub.fetch(batch=3)) == [b"d0", b"d1", b"d2"]
        assert datas(sub.fetch(batch=10)) == [b"d3", b"d4"]
        assert sub.fetch(batch=10) == []

    def test_sequence_numbers_increase_across_subjects(self, bus: Bus) -> None:
        acks = [bus.publish(subject, b"x") for subject in ("a.b", "c.d", "a.b", "e")]
        assert [a.seq for a in acks] == [1, 2, 3, 4]
        assert not any(a.duplicate for a in acks)
        got = drain(bus.subscribe(">"))
        assert [m.seq for m in got] == [1, 2, 3, 4]
        assert [m.subject for m in got] == ["a.b", "c.d", "a.b", "e"]

    def test_message_carries_msg_id_headers_and_first_delivery(self, bus: Bus) -> None:
        bus.publish("alerts.cbp", b"{}", msg_id="alert-7", headers={"simulated": "true"})
        bus.publish("alerts.cbp", b"[]")
        first, second = bus.subscribe("alerts.*").fetch(batch=2)
        assert (first.msg_id, dict(first.headers), first.deliveries) == (
            "alert-7",
            {"simulated": "true"},
            1,
        )
        assert (second.msg_id, dict(second.headers)) == (None, {})

    # de-duplication by message id (JetStream Nats-Msg-Id, duplicate_window)

    def test_repeated_msg_id_inside_window_is_not_stored(
        self, bus: Bus, clock: ManualClock
    ) -> None:
        first = bus.publish("detections.seg-1", b"one", msg_id="d-1")
        clock.advance(119.0)
        again = bus.publish("detections.seg-1", b"one again", msg_id="d-1")
        other = bus.publish("detections.seg-1", b"two", msg_id="d-2")
        assert (first.duplicate, again.duplicate, other.duplicate) == (False, True, False)
        assert again.seq == first.seq
        assert datas(drain(bus.subscribe("detections.>"))) == [b"one", b"two"]

    def test_msg_id_is_accepted_again_after_window(self, bus: Bus, clock: ManualClock) -> None:
        first = bus.publish("detections.seg-1", b"one", msg_id="d-1")
        clock.advance(120.0)
        later = bus.publish("detections.seg-1", b"one later", msg_id="d-1")
        assert not later.duplicate
        assert later.seq > first.seq
        assert datas(drain(bus.subscribe(">"))) == [b"one", b"one later"]

    # subjects and wildcards (NATS semantics)

    @pytest.mark.parametrize(
        ("subject_filter", "expected"),
        [
            ("tracks.*", [b"tracks.seg-1"]),
            ("tracks.>", [b"tracks.seg-1", b"tracks.seg-1.t7"]),
            ("*.seg-1", [b"tracks.seg-1", b"alerts.seg-1"]),
            ("*.seg-1.*", [b"tracks.seg-1.t7"]),
            (">", [b"tracks", b"tracks.seg-1", b"tracks.seg-1.t7", b"alerts.seg-1"]),
            ("tracks", [b"tracks"]),
            ("tracks.seg-2", []),
            ("tracks.seg-1.t7.>", []),
        ],
    )
    def test_wildcard_matching(self, bus: Bus, subject_filter: str, expected: list[bytes]) -> None:
        sub = bus.subscribe(subject_filter)
        for subject in ("tracks", "tracks.seg-1", "tracks.seg-1.t7", "alerts.seg-1"):
            bus.publish(subject, subject.encode())
        assert datas(drain(sub)) == expected

    @pytest.mark.parametrize(
        ("subject", "reason"),
        [
            ("", "empty"),
            ("a..b", "empty token"),
            (".a", "empty token"),
            ("a.", "empty token"),
            ("a b", "whitespace"),
            ("a.b\n", "whitespace"),
            ("a.*", "wildcards"),
            ("a.>", "wildcards"),
            ("a.b*", "whole tokens"),
        ],
    )
    def test_invalid_publish_subject_is_rejected(self, bus: Bus, subject: str, reason: str) -> None:
        with pytest.raises(ValueError, match=reason) as raised:
            bus.publish(subject, b"x")
        assert repr(subject) in str(raised.value)

    @pytest.mark.parametrize(
        ("subject_filter", "reason"),
        [
            ("", "empty"),
            ("a..*", "empty token"),
            ("a .>", "whitespace"),
            ("a.>.b", "last token"),
            ("a.>b", "whole tokens"),
        ],
    )
    def test_invalid_subject_filter_is_rejected(
        self, bus: Bus, subject_filter: str, reason: str
    ) -> None:
        with pytest.raises(ValueError, match=reason) as raised:
            bus.subscribe(subject_filter)
        assert repr(subject_filter) in str(raised.value)

    @pytest.mark.parametrize("name", ["", "workers.a", "work ers", "w*"])
    def test_invalid_durable_name_is_rejected(self, bus: Bus, name: str) -> None:
        with pytest.raises(ValueError, match="durable name") as raised:
            bus.subscribe("a.>", durable=name)
        assert repr(name) in str(raised.value)

    # durable consumers

    def test_durable_resumes_after_close(self, bus: Bus) -> None:
        for i in range(3):
            bus.publish("detections.seg-1", f"d{i}".encode())
        first = bus.subscribe("detections.>", durable="tracker")
        m0, m1, m2 = first.fetch(batch=3)
        m0.ack()
        first.close()
        bus.publish("detections.seg-1", b"d3")
        again = bus.subscribe("detections.>", durable="tracker")
        redelivered = again.fetch(batch=10)
        assert [(m.data, m.deliveries) for m in redelivered] == [(b"d1", 2), (b"d2", 2), (b"d3", 1)]
        assert [m.seq for m in redelivered] == [m1.seq, m2.seq, 4]

    def test_durable_does_not_redeliver_acked_messages(self, bus: Bus) -> None:
        bus.publish("a.b", b"1")
        sub = bus.subscribe("a.>", durable="w")
        assert datas(drain(sub)) == [b"1"]
        sub.close()
        bus.publish("a.b", b"2")
        assert datas(drain(bus.subscribe("a.>", durable="w"))) == [b"2"]

    def test_rebinding_durable_with_other_filter_is_an_error(self, bus: Bus) -> None:
        bus.subscribe("a.>", durable="w").close()
        with pytest.raises(ValueError, match="'w'"):
            bus.subscribe("b.>", durable="w")

    def test_two_subscribers_on_one_durable_share_the_work(
        self, bus: Bus, clock: ManualClock
    ) -> None:
        for i in range(10):
            bus.publish("detections.seg-1", str(i).encode())
        a = bus.subscribe("detections.>", durable="trackers", ack_wait_s=5)
        b = bus.subscribe("detections.>", durable="trackers", ack_wait_s=5)
        got_a = a.fetch(batch=3)
        got_b = b.fetch(batch=4)
        got_a += a.fetch(batch=10)
        assert (len(got_a), len(got_b)) == (6, 4)
        seqs_a = {m.seq for m in got_a}
        seqs_b = {m.seq for m in got_b}
        assert seqs_a.isdisjoint(seqs_b)
        assert seqs_a | seqs_b == set(range(1, 11))
        assert b.fetch(batch=10) == []
        # What one of them leaves unacked goes to the other once the ack wait is over.
        for m in got_a[1:]:
            m.ack()
        for m in got_b:
            m.ack()
        clock.advance(5.1)
        (retry,) = b.fetch(batch=10)
        assert (retry.seq, retry.deliveries) == (got_a[0].seq, 2)

    def test_closing_one_member_releases_its_messages_to_the_other(self, bus: Bus) -> None:
        bus.publish("a.b", b"1")
        a = bus.subscribe("a.>", durable="w")
        b = bus.subscribe("a.>", durable="w")
        assert datas(a.fetch()) == [b"1"]
        assert b.fetch() == []
        a.close()
        (message,) = b.fetch()
        assert (message.data, message.deliveries) == (b"1", 2)

    # settling: nak, term, ack wait, max deliver

    def test_nak_redelivers_at_once(self, bus: Bus) -> None:
        bus.publish("a.b", b"1")
        bus.publish("a.b", b"2")
        sub = bus.subscribe("a.b")
        (first,) = sub.fetch()
        first.nak()
        again = sub.fetch(batch=2)
        assert [(m.data, m.deliveries) for m in again] == [(b"1", 2), (b"2", 1)]

    def test_nak_with_delay_redelivers_after_it(self, bus: Bus, clock: ManualClock) -> None:
        bus.publish("a.b", b"1")
        sub = bus.subscribe("a.b", ack_wait_s=60)
        (first,) = sub.fetch()
        first.nak(delay_s=10)
        assert sub.fetch() == []
        clock.advance(9.9)
        assert sub.fetch() == []
        clock.advance(0.2)
        assert [(m.data, m.deliveries) for m in sub.fetch()] == [(b"1", 2)]

    def test_negative_nak_delay_is_rejected(self, bus: Bus) -> None:
        bus.publish("a.b", b"1")
        (message,) = bus.subscribe("a.b").fetch()
        with pytest.raises(ValueError, match="delay"):
            message.nak(delay_s=-1)

    def test_term_is_never_redelivered(self, bus: Bus, clock: ManualClock) -> None:
        bus.publish("a.b", b"1")
        bus.publish("a.b", b"2")
        sub = bus.subscribe("a.b", ack_wait_s=5)
        (first,) = sub.fetch()
        first.term()
        clock.advance(60)
        assert datas(sub.fetch(batch=10)) == [b"2"]
        clock.advance(60)
        assert [(m.data, m.deliveries) for m in sub.fetch(batch=10)] == [(b"2", 2)]

    def test_unacked_message_is_redelivered_after_ack_wait(
        self, bus: Bus, clock: ManualClock
    ) -> None:
        bus.publish("a.b", b"1")
        sub = bus.subscribe("a.b", ack_wait_s=5)
        assert [m.deliveries for m in sub.fetch()] == [1]
        clock.advance(4.9)
        assert sub.fetch() == []
        clock.advance(0.2)
        (again,) = sub.fetch()
        assert (again.data, again.deliveries) == (b"1", 2)
        again.ack()
        clock.advance(60)
        assert sub.fetch() == []

    def test_acking_twice_is_harmless(self, bus: Bus, clock: ManualClock) -> None:
        bus.publish("a.b", b"1")
        sub = bus.subscribe("a.b", ack_wait_s=5)
        (message,) = sub.fetch()
        message.ack()
        message.ack()
        message.nak()
        clock.advance(10)
        assert sub.fetch() == []

    def test_max_deliver_drops_the_message_and_counts_it(self, bus: Bus) -> None:
        bus.publish("a.b", b"poison")
        bus.publish("a.b", b"good")
        sub = bus.subscribe("a.b", max_deliver=2)
        assert sub.dropped == 0
        (first,) = sub.fetch()
        first.nak()
        (second,) = sub.fetch()
        assert (second.data, second.deliveries) == (b"poison", 2)
        second.nak()
        assert [(m.data, m.deliveries) for m in sub.fetch(batch=10)] == [(b"good", 1)]
        assert sub.dropped == 1

    # where a consumer starts

    def test_deliver_new_gets_only_later_messages(self, bus: Bus) -> None:
        bus.publish("feed.x", b"old-1")
        bus.publish("feed.x", b"old-2")
        live = bus.subscribe("feed.>", deliver="new")
        everything = bus.subscribe("feed.>", deliver="all")
        bus.publish("feed.x", b"new")
        assert datas(drain(live)) == [b"new"]
        assert datas(drain(everything)) == [b"old-1", b"old-2", b"new"]

    def test_ephemeral_consumer_ends_with_its_subscription(self, bus: Bus) -> None:
        bus.publish("a.b", b"1")
        first = bus.subscribe("a.b")
        assert datas(drain(first)) == [b"1"]
        first.close()
        assert datas(drain(bus.subscribe("a.b"))) == [b"1"]

    # retention limit (JetStream max_msgs, discard=old)

    def test_retention_limit_discards_oldest_and_counts_the_gap(
        self, make_bus: BusFactory, clock: ManualClock
    ) -> None:
        bus = make_bus(clock, max_msgs=5)
        live = bus.subscribe("feed.>", deliver="new")
        bus.publish("feed.x", b"0")
        bus.publish("feed.x", b"1")
        assert datas(drain(live)) == [b"0", b"1"]
        for i in range(2, 12):
            bus.publish("feed.x", str(i).encode())
        assert datas(drain(live)) == [str(i).encode() for i in range(7, 12)]
        assert live.skipped == 5
        late = bus.subscribe("feed.>")
        assert [m.seq for m in drain(late)] == [8, 9, 10, 11, 12]
        assert late.skipped == 0

    def test_byte_limit_discards_oldest_but_keeps_the_newest(
        self, make_bus: BusFactory, clock: ManualClock
    ) -> None:
        bus = make_bus(clock, max_bytes=10)
        live = bus.subscribe("feed.>", deliver="new")
        for i in range(4):
            bus.publish("feed.x", bytes([48 + i]) * 4)  # 4 bytes each: 2 fit in 10
        assert datas(drain(live)) == [b"2222", b"3333"]
        assert live.skipped == 2
        bus.publish("feed.x", b"x" * 50)  # larger than the limit alone: still delivered
        assert datas(drain(live)) == [b"x" * 50]
        assert [m.data for m in drain(bus.subscribe("feed.>"))] == [b"x" * 50]

    def test_skipped_counts_only_matching_messages(
        self, make_bus: BusFactory, clock: ManualClock
    ) -> None:
        bus = make_bus(clock, max_msgs=3)
        mine = bus.subscribe("a.*")
        for subject in ("a.1", "b.1", "a.2", "b.2", "b.3", "a.3"):
            bus.publish(subject, subject.encode())
        assert datas(drain(mine)) == [b"a.3"]
        assert mine.skipped == 2

    # closing

    def test_closed_bus_refuses_use(self, bus: Bus) -> None:
        sub = bus.subscribe("a.b")
        bus.publish("a.b", b"1")
        (message,) = sub.fetch()
        bus.close()
        with pytest.raises(BusClosedError, match="closed"):
            bus.publish("a.b", b"2")
        with pytest.raises(BusClosedError, match="closed"):
            bus.subscribe("a.b")
        with pytest.raises(BusClosedError, match="closed"):
            sub.fetch()
        with pytest.raises(BusClosedError, match="closed"):
            message.ack()
        bus.close()  # closing twice is harmless

    def test_closed_subscription_refuses_fetch(self, bus: Bus) -> None:
        sub = bus.subscribe("a.b", durable="w")
        sub.close()
        with pytest.raises(BusClosedError, match=re.escape("subscription to 'a.b'")):
            sub.fetch()
        sub.close()

    @pytest.mark.parametrize("batch", [0, -1])
    def test_fetch_batch_must_be_positive(self, bus: Bus, batch: int) -> None:
        with pytest.raises(ValueError, match="batch"):
            bus.subscribe("a.b").fetch(batch=batch)
