"""The bus contract run against the official fake, plus what only the fake promises."""

from __future__ import annotations

import pytest

from borderwatch.ports.bus import DEFAULT_MAX_MSGS, Bus, Clock
from borderwatch.ports.bus_fake import FakeBus, ManualClock
from tests.contract.bus_contract import BusContract, BusFactory


class TestFakeBus(BusContract):
    @pytest.fixture
    def make_bus(self) -> BusFactory:
        def make(
            clock: Clock | None = None,
            *,
            max_msgs: int = DEFAULT_MAX_MSGS,
            max_bytes: int | None = None,
        ) -> Bus:
            return FakeBus(clock=clock, max_msgs=max_msgs, max_bytes=max_bytes)

        return make


def test_fetch_never_blocks() -> None:
    bus = FakeBus()
    sub = bus.subscribe("a.b")
    assert sub.fetch(batch=5, timeout=3600) == []  # returns at once, whatever the timeout
    bus.publish("a.b", b"1")
    assert [m.data for m in sub.fetch(batch=5, timeout=3600)] == [b"1"]


def test_default_clock_stands_still() -> None:
    bus = FakeBus()
    bus.publish("a.b", b"1", msg_id="m")
    sub = bus.subscribe("a.b", ack_wait_s=0.001)
    assert len(sub.fetch()) == 1
    assert sub.fetch() == []  # no ack deadline passes unless a test moves the clock
    assert bus.publish("a.b", b"1", msg_id="m").duplicate
    assert isinstance(bus.clock, ManualClock)
    bus.clock.advance(1.0)
    assert [m.deliveries for m in sub.fetch()] == [2]


def test_manual_clock_only_moves_forward() -> None:
    clock = ManualClock(5.0)
    clock.advance(2.5)
    assert clock() == 7.5
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1.0)


def test_nak_of_a_superseded_delivery_is_ignored() -> None:
    # Delivered, not acked in time, delivered again: only the latest delivery may nak.
    clock = ManualClock()
    bus = FakeBus(clock=clock)
    bus.publish("a.b", b"1")
    sub = bus.subscribe("a.b", ack_wait_s=5)
    (first,) = sub.fetch()
    clock.advance(6)
    (second,) = sub.fetch()
    first.nak()
    assert sub.fetch() == []
    second.nak()
    assert [m.deliveries for m in sub.fetch()] == [3]
