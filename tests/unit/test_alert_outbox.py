"""The durable outbox: stored before sent, de-duplicated, retried with backoff and jitter,
dead-lettered, retried by an operator, and still there after a reopen."""

from __future__ import annotations

import random
from pathlib import Path

from borderwatch.adapters.sqlite.outbox import SqliteOutbox
from borderwatch.adapters.transports.dispatch import Dispatcher
from borderwatch.alerts import Backoff, Message, RecordingTransport
from borderwatch.alerts.outbox import MessageStatus


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _message(n: int) -> Message:
    return Message(f"key-{n}", f"ALR-{n}", "webhook", "http://x", "application/json", b"{}")


def test_enqueue_is_idempotent_on_the_dedup_key(tmp_path: Path) -> None:
    outbox = SqliteOutbox(tmp_path / "o.db")
    assert outbox.enqueue([_message(1), _message(2)]) == 2
    assert outbox.enqueue([_message(1)]) == 0
    assert [m.message.dedup_key for m in outbox.due()] == ["key-1", "key-2"]


def test_backoff_grows_with_jitter_inside_its_bounds() -> None:
    backoff = Backoff(base_s=1.0, factor=2.0, max_s=60.0)
    rng = random.Random(7)
    for attempts, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (10, 60.0)]:
        delays = {backoff.delay(attempts, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter: retries spread out


def test_failures_back_off_then_dead_letter_then_operator_retry(tmp_path: Path) -> None:
    clock = Clock()
    outbox = SqliteOutbox(
        tmp_path / "o.db",
        backoff=Backoff(base_s=10.0, factor=2.0, max_s=100.0, max_attempts=3),
        clock=clock,
        rng=random.Random(1),
    )
    outbox.enqueue([_message(1)])
    failing = RecordingTransport(fail=99)
    dispatcher = Dispatcher(outbox, {"webhook": failing})
    assert dispatcher.deliver_due().retrying == 1
    stored = outbox.all()[0]
    assert stored.attempts == 1 and 5.0 <= stored.next_attempt_at - clock.now <= 10.0
    assert dispatcher.deliver_due().retrying == 0  # not due yet
    clock.now += 10
    assert dispatcher.deliver_due().retrying == 1
    clock.now += 20
    report = dispatcher.deliver_due()
    assert report.dead == 1 and "told to fail" in report.errors[0]
    assert [m.status for m in outbox.dead()] == [MessageStatus.DEAD]
    assert outbox.dead()[0].last_error is not None
    failing.fail = 0
    assert outbox.retry() == 1
    assert dispatcher.deliver_due().sent == 1
    assert outbox.counts() == {"sent": 1}
    assert failing.sent[0].dedup_key == "key-1"


def test_a_message_for_no_transport_is_kept_and_reported(tmp_path: Path) -> None:
    outbox = SqliteOutbox(tmp_path / "o.db", backoff=Backoff(max_attempts=1))
    outbox.enqueue([_message(1)])
    report = Dispatcher(outbox, {}).deliver_due()
    assert report.dead == 1 and "no transport configured" in report.errors[0]


def test_pending_messages_survive_a_reopen(tmp_path: Path) -> None:
    outbox = SqliteOutbox(tmp_path / "o.db")
    outbox.enqueue([_message(1), _message(2)])
    outbox.mark_sent(outbox.due()[0].id)
    outbox.close()
    again = SqliteOutbox(tmp_path / "o.db")
    assert [m.message.dedup_key for m in again.due()] == ["key-2"]


def test_a_tick_with_nothing_due_does_not_take_the_write_lock(tmp_path: Path) -> None:
    # A live service ticks the alert stage after every batch while ingest stores the next
    # one in the same SQLite file; an empty write transaction per tick made one wait for
    # the other in SQLite's busy handler. With another connection holding the write lock,
    # a tick with nothing due must answer at once, not fail with "database is locked".
    import sqlite3
    from datetime import UTC, datetime

    from borderwatch.app.bootstrap import open_alert_service
    from borderwatch.geo import Boundary

    db = tmp_path / "alerts.db"
    service = open_alert_service(db, boundary=Boundary.bundled())
    other = sqlite3.connect(db, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert service.center.tick(datetime(2025, 2, 3, 13, tzinfo=UTC)) == []
    finally:
        other.execute("ROLLBACK")
        other.close()
        service.close()
