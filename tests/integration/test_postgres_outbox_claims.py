"""Many dispatchers, one PostgreSQL outbox: a claim keeps a message from being sent twice,
and a dead dispatcher's claim lets the message go again only once the lease ran out."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from tests.pg_fixtures import postgres_server, postgres_url  # noqa: F401

from borderwatch.adapters.postgres.storage import PostgresStorage
from borderwatch.adapters.transports.dispatch import Dispatcher
from borderwatch.alerts.outbox import Message, MessageStatus
from borderwatch.ports.bus_fake import ManualClock

MESSAGES = 500
DISPATCHERS = 4


class CountingTransport:
    """Counts every message it is handed, by dedup key (thread-safe)."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.by: dict[str, set[int]] = {}
        self.threads: set[int] = set()
        self._lock = threading.Condition()

    def send(self, message: Message) -> None:
        with self._lock:
            self.sent[message.dedup_key] += 1
            self.threads.add(threading.get_ident())
            self.by.setdefault(threading.current_thread().name, set()).add(
                int(message.dedup_key.split("-")[1]))
            self._lock.notify_all()

    def wait_for(self, count: int, timeout_s: float) -> int:
        with self._lock:
            self._lock.wait_for(lambda: len(self.sent) >= count, timeout_s)
            return len(self.sent)


def message(n: int) -> Message:
    return Message(f"key-{n}", f"ALR-{n % 7}", "webhook", "http://x", "application/json",
                   b'{"n":%d}' % n)


@pytest.fixture
def storages(postgres_url: str) -> Iterator[list[PostgresStorage]]:  # noqa: F811
    made = [PostgresStorage(postgres_url) for _ in range(DISPATCHERS + 1)]
    yield made
    for storage in made:
        storage.close()


def test_four_dispatchers_send_each_message_exactly_once(
    storages: list[PostgresStorage],
) -> None:
    producer, *dispatching = storages
    assert producer.outbox.enqueue(message(n) for n in range(MESSAGES)) == MESSAGES
    transport = CountingTransport()
    start = threading.Barrier(DISPATCHERS)
    errors: list[BaseException] = []

    def drain(storage: PostgresStorage) -> None:
        dispatcher = Dispatcher(storage.outbox, {"webhook": transport})
        start.wait(10)
        deadline = time.monotonic() + 60
        try:
            # Small claims, so that the four take turns on the same rows all along.
            while storage.outbox.counts().get("pending", 0) and time.monotonic() < deadline:
                dispatcher.deliver_due(limit=7)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=drain, args=(s,), name=f"dispatcher-{n}")
               for n, s in enumerate(dispatching)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert errors == []
    twice = {key: n for key, n in transport.sent.items() if n > 1}
    assert twice == {}
    assert len(transport.sent) == MESSAGES
    assert producer.outbox.counts() == {"sent": MESSAGES}
    # They really were concurrent: more than one dispatcher did part of the work.
    assert sum(1 for sent in transport.by.values() if sent) > 1


def test_dispatchers_with_a_queue_per_destination_send_each_message_once(
    storages: list[PostgresStorage],
) -> None:
    """Four dispatchers, each with a thread per destination, on one outbox: claims keep
    every message to one sender, as with one queue each."""
    producer, *dispatching = storages
    where = ["http://a", "http://b", "tcp://c:8087"]
    count = 300
    producer.outbox.enqueue(
        Message(f"key-{n}", f"ALR-{n % 7}", "cot" if n % 3 == 2 else "webhook", where[n % 3],
                "x", b"%d" % n) for n in range(count))
    transport = CountingTransport()
    dispatchers = [Dispatcher(s.outbox, {"webhook": transport, "cot": transport},
                              poll_s=0.05, claim_batch=5) for s in dispatching]
    for dispatcher in dispatchers:
        dispatcher.start()
    try:
        assert transport.wait_for(count, timeout_s=120) == count
    finally:
        for dispatcher in dispatchers:
            dispatcher.stop()
    assert {key: n for key, n in transport.sent.items() if n > 1} == {}
    assert producer.outbox.counts() == {"sent": count}
    assert all(sorted(d.queues()) == [] for d in dispatchers)  # stopped
    assert len(transport.threads) > len(where)  # more than one dispatcher's queues sent


def test_a_dead_dispatchers_claim_is_sent_again_only_after_its_lease(
    postgres_url: str,  # noqa: F811
) -> None:
    clock = ManualClock(1000.0)
    dead = PostgresStorage(postgres_url, clock=clock, claim_lease_s=60.0)
    alive = PostgresStorage(postgres_url, clock=clock, claim_lease_s=60.0)
    try:
        dead.outbox.enqueue([message(1), message(2)])
        claimed = dead.outbox.due(limit=1)  # then it dies: never marked
        assert [m.message.dedup_key for m in claimed] == ["key-1"]
        transport = CountingTransport()
        dispatcher = Dispatcher(alive.outbox, {"webhook": transport})
        assert dispatcher.deliver_due().sent == 1
        assert dict(transport.sent) == {"key-2": 1}
        assert alive.outbox.next_due_at() == 1060.0  # when the claim runs out
        clock.advance(59.9)
        assert dispatcher.deliver_due().sent == 0
        clock.advance(0.1)
        assert dispatcher.deliver_due().sent == 1
        assert dict(transport.sent) == {"key-1": 1, "key-2": 1}
        again = alive.outbox.all()
        assert [(m.status, m.attempts) for m in again] == [(MessageStatus.SENT, 1)] * 2
        assert dead.outbox.due() == []  # its claim was taken over and ended
    finally:
        dead.close()
        alive.close()


def test_a_failed_send_ends_the_claim_and_backs_off(postgres_url: str) -> None:  # noqa: F811
    clock = ManualClock(1000.0)
    first = PostgresStorage(postgres_url, clock=clock)
    second = PostgresStorage(postgres_url, clock=clock)
    try:
        first.outbox.enqueue([message(1)])
        (claimed,) = first.outbox.due()
        assert second.outbox.due() == []
        assert first.outbox.mark_failed(claimed.id, "refused") is MessageStatus.PENDING
        retry_at = first.outbox.all()[0].next_attempt_at
        assert second.outbox.next_due_at() == retry_at  # no claim left to wait for
        clock.advance(retry_at - clock())
        assert [m.id for m in second.outbox.due()] == [claimed.id]
    finally:
        first.close()
        second.close()


def test_a_claim_is_renewed_before_a_send_its_lease_might_not_cover(
    postgres_url: str,  # noqa: F811
) -> None:
    """Each send takes 30 s of a 60 s lease: the third would start as the claim runs out,
    so the dispatcher claims again first, and no other dispatcher is ever given it."""
    clock = ManualClock(1000.0)
    mine = PostgresStorage(postgres_url, clock=clock, claim_lease_s=60.0)
    other = PostgresStorage(postgres_url, clock=clock, claim_lease_s=60.0)
    taken_by_other: list[str] = []

    class SlowTransport:
        def __init__(self) -> None:
            self.sent: list[str] = []

        def send(self, message: Message) -> None:
            taken_by_other.extend(m.message.dedup_key for m in other.outbox.due())
            self.sent.append(message.dedup_key)
            clock.advance(30.0)

    try:
        mine.outbox.enqueue([message(1), message(2), message(3)])
        transport = SlowTransport()
        dispatcher = Dispatcher(mine.outbox, {"webhook": transport}, claim_fresh_s=60.0 - 5.0)
        assert dispatcher.deliver_due().sent == 3
        assert transport.sent == ["key-1", "key-2", "key-3"]
        assert taken_by_other == []
        assert mine.outbox.counts() == {"sent": 3}
    finally:
        mine.close()
        other.close()
