"""Tracker workers' coordination on PostgreSQL: segment locks are exclusive and pass to
another worker when the holder's process dies; stream positions commit and roll back
with the storage's transaction; heartbeats say who is alive and holds what."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from tests.pg_fixtures import postgres_server, postgres_url  # noqa: F401

from borderwatch.adapters.postgres.coordination import (
    Heartbeats,
    SegmentLocks,
    segment_lock_key,
)
from borderwatch.adapters.postgres.storage import PostgresStorage
from borderwatch.ports.bus_fake import ManualClock
from borderwatch.ports.coordination import (
    LostSegment,
    Member,
    Membership,
    SegmentLeases,
    SegmentProgress,
)

HOLDER = textwrap.dedent(
    """
    import sys, time
    from borderwatch.adapters.postgres.coordination import SegmentLocks
    locks = SegmentLocks(sys.argv[1], "doomed")
    assert locks.try_acquire("seg-9")
    print("held", flush=True)
    time.sleep(120)
    """
)


@pytest.fixture
def storage(postgres_url: str) -> Iterator[PostgresStorage]:  # noqa: F811
    opened = PostgresStorage(postgres_url)
    yield opened
    opened.close()


def wait_for(condition: object, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


def test_a_lock_is_held_by_one_worker_at_a_time(storage: PostgresStorage) -> None:
    one = SegmentLocks(storage.url, "w1")
    two = SegmentLocks(storage.url, "w2")
    try:
        assert one.try_acquire("seg-1") and one.try_acquire("seg-2")
        assert one.try_acquire("seg-1")  # again: still held, once
        assert not two.try_acquire("seg-1")
        assert two.try_acquire("seg-3")
        assert one.held() == one.check() == {"seg-1", "seg-2"}
        one.release("seg-1")
        one.release("seg-1")  # not held: nothing happens
        assert two.try_acquire("seg-1")
        assert not one.try_acquire("seg-1")
        one.close()  # every lock goes with the connection
        assert two.try_acquire("seg-2")
        assert two.check() == {"seg-1", "seg-2", "seg-3"}
    finally:
        one.close()
        two.close()


def test_a_killed_holders_locks_pass_to_another_worker(storage: PostgresStorage) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, storage.url], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    heir = SegmentLocks(storage.url, "heir")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not heir.try_acquire("seg-9")
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        assert wait_for(lambda: heir.try_acquire("seg-9")), "the dead worker's lock stayed"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        heir.close()


def test_a_lost_session_holds_nothing(postgres_url: str) -> None:  # noqa: F811
    import psycopg

    locks = SegmentLocks(postgres_url, "w1")
    try:
        assert locks.try_acquire("seg-1")
        # The server ends the session (as when it restarts): the locks are gone with it.
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE application_name = 'borderwatch-locks:w1'")
        assert wait_for(lambda: locks.check() == set())
        assert locks.held() == set()
        assert locks.try_acquire("seg-1")  # a new session
    finally:
        locks.close()


def test_lock_keys_are_stable_and_names_are_checked() -> None:
    assert segment_lock_key("seg-1") == segment_lock_key("seg-1") != segment_lock_key("seg-2")
    assert -(1 << 63) <= segment_lock_key("seg-1") < 1 << 63
    # Fixed forever: workers of different versions must agree on every segment's key.
    assert segment_lock_key("coutts-1") == segment_lock_key("coutts-1")
    with pytest.raises(ValueError, match="worker_id"):
        SegmentLocks("postgresql://x", " ")
    with pytest.raises(ValueError, match="segment"):
        SegmentLocks("postgresql://x", "w").try_acquire("")


def test_positions_commit_and_roll_back_with_the_transaction(
    storage: PostgresStorage, postgres_url: str,  # noqa: F811
) -> None:
    other = PostgresStorage(postgres_url)
    try:
        assert storage.positions.get("seg-1") == 0
        with pytest.raises(RuntimeError), storage.transaction():
            storage.detections.append([("d1", {})])
            storage.positions.set("seg-1", 41)
            assert storage.positions.get("seg-1") == 41  # seen inside
            assert other.positions.get("seg-1") == 0  # not outside, before the commit
            raise RuntimeError("the worker died before its commit")
        assert storage.positions.get("seg-1") == 0 and storage.detections.count() == 0
        with storage.transaction():
            storage.detections.append([("d1", {})])
            storage.positions.set("seg-1", 41)
            storage.positions.set("seg-2", 7)
        storage.positions.set("seg-1", 42)
        assert other.positions.get("seg-1") == 42 and other.detections.count() == 1
        assert other.positions.all() == {"seg-1": 42, "seg-2": 7}
        with pytest.raises(ValueError, match="seq"):
            storage.positions.set("seg-1", -1)
    finally:
        other.close()


def test_heartbeats_say_who_is_alive_and_holds_what(storage: PostgresStorage) -> None:
    clock = ManualClock(5000.0)
    beats = Heartbeats(storage.db, clock=clock)
    beats.beat("w1", "tracker", ["seg-1", "seg-2"])
    beats.beat("w2", "tracker", [])
    beats.beat("d1", "dispatcher", [])
    clock.advance(20)
    beats.beat("w2", "tracker", ["seg-3"])
    assert beats.live("tracker", within_s=10) == [Member("w2", ("seg-3",), 5020.0)]
    assert [w.worker_id for w in beats.live("tracker", within_s=30)] == ["w1", "w2"]
    assert beats.live("tracker", within_s=30)[0].segments == ("seg-1", "seg-2")
    beats.leave("w2")
    assert [w.worker_id for w in beats.live("tracker", within_s=30)] == ["w1"]
    # The database server's clock, when none is given: one clock for every machine.
    storage.heartbeats.beat("w3", "tracker", ["seg-4"])
    (seen,) = storage.heartbeats.live("tracker", within_s=60)
    assert seen.worker_id == "w3" and seen.last_seen > 1_700_000_000
    with pytest.raises(ValueError, match="within_s"):
        beats.live("tracker", within_s=0)


def test_advance_is_a_compare_and_set(
    storage: PostgresStorage, postgres_url: str,  # noqa: F811
) -> None:
    other = PostgresStorage(postgres_url)
    try:
        positions, theirs = storage.positions, other.positions
        positions.advance("seg-1", 0, 10)
        with pytest.raises(LostSegment, match="seg-1"):
            theirs.advance("seg-1", 0, 12)  # it moved: another owner committed
        theirs.advance("seg-1", 10, 12)
        with pytest.raises(LostSegment), storage.transaction():
            storage.detections.append([("d1", {})])
            positions.advance("seg-1", 10, 11)  # a stale owner cannot commit over it
        assert storage.detections.count() == 0  # nor anything it wrote with it
        with pytest.raises(RuntimeError), storage.transaction():
            positions.advance("seg-1", 12, 20)
            raise RuntimeError("rolled back with the rest")
        assert theirs.position("seg-1") == 12
    finally:
        other.close()


def test_first_seen_remembers_ids_per_segment(storage: PostgresStorage) -> None:
    seen = storage.positions
    assert seen.first_seen("seg-1", ["a", "b", "a"]) == [True, True, False]
    assert seen.first_seen("seg-1", ["b", "c"]) == [False, True]
    assert seen.first_seen("seg-2", ["a"]) == [True]  # another segment's ids are its own
    assert seen.first_seen("seg-1", []) == []
    with pytest.raises(RuntimeError), storage.transaction():
        assert seen.first_seen("seg-1", ["d"]) == [True]
        raise RuntimeError("rolled back")
    assert seen.first_seen("seg-1", ["d"]) == [True]
    assert seen.forget_seen(3600) == 0
    assert seen.forget_seen(0) == 5
    assert seen.first_seen("seg-1", ["a"]) == [True]


def test_they_implement_the_coordination_port(storage: PostgresStorage) -> None:
    # mypy checks the protocols here; the cluster runtime is handed these objects.
    progress: SegmentProgress = storage.positions
    membership: Membership = storage.heartbeats
    leases: SegmentLeases = SegmentLocks(storage.url, "w1")
    assert progress.position("seg-1") == 0 and membership.live("tracker", 1.0) == []
    leases.close()
