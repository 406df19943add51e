"""The storage contract run against SQLite, plus what only a file promises: everything
survives a close and a reopen, a reader never waits for a writer, files made before open."""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from borderwatch.adapters.sqlite.storage import SqliteStorage
from borderwatch.alerts.outbox import Backoff
from borderwatch.domain.access import Role
from borderwatch.ports.bus_fake import ManualClock
from borderwatch.ports.storage import Storage
from tests.contract.storage_contract import (
    EditAuditBody,
    StorageContract,
    StorageFactory,
    contents,
    write_one_of_each,
)


class TestSqliteStorage(StorageContract):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> Iterator[StorageFactory]:
        made: list[SqliteStorage] = []

        def make(clock: ManualClock, backoff: Backoff) -> Storage:
            path = tmp_path / f"storage-{len(made)}.db"
            made.append(SqliteStorage(path, backoff=backoff, clock=clock, rng=random.Random(7)))
            return made[-1]

        yield make
        for storage in made:
            storage.close()

    @pytest.fixture
    def edit_audit_body(self) -> EditAuditBody:
        def edit(storage: Storage, seq: int, change: Callable[[str], str]) -> None:
            assert isinstance(storage, SqliteStorage)
            conn = sqlite3.connect(storage.path)  # past the log, as anyone with the file
            try:
                with conn:
                    (body,) = conn.execute(
                        "SELECT body FROM screening_audit WHERE seq = ?", (seq,)).fetchone()
                    conn.execute("UPDATE screening_audit SET body = ? WHERE seq = ?",
                                 (change(body), seq))
            finally:
                conn.close()

        return edit


def test_everything_survives_a_close_and_a_reopen(tmp_path: Path) -> None:
    clock = ManualClock(1000.0)
    first = SqliteStorage(tmp_path / "s.db", clock=clock)
    write_one_of_each(first, "a")
    first.outbox.mark_sent(first.outbox.due()[0].id)
    stored = contents(first)
    first.close()
    again = SqliteStorage(tmp_path / "s.db", clock=clock)
    try:
        assert contents(again) == stored
        assert again.audit.verify() == []
        assert again.detections.append([("det-a", {})]) == [False]  # across a restart
        assert again.outbox.enqueue(
            [m.message for m in again.outbox.all()]) == 0  # dedup keys survive too
    finally:
        again.close()


def test_a_reader_does_not_wait_for_an_open_transaction(tmp_path: Path) -> None:
    # Readers in other threads (the tracker's tick, the dashboard) read the last commit at
    # once while ingest's transaction is open; the writer sees its own writes.
    storage = SqliteStorage(tmp_path / "s.db")
    storage.detections.append([("d0", {})])
    inside = threading.Event()
    release = threading.Event()

    def write() -> None:
        with storage.transaction():
            storage.detections.append([("d1", {})])
            assert storage.detections.count() == 2
            inside.set()
            release.wait(10)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert inside.wait(10)
        seen: list[int] = []
        reader = threading.Thread(target=lambda: seen.append(storage.detections.count()))
        reader.start()
        reader.join(2)
        assert seen == [1], "the reader waited for the writer, or saw uncommitted rows"
    finally:
        release.set()
        writer.join(10)
    assert storage.detections.count() == 2
    storage.close()


def test_a_key_table_made_before_revocation_gets_its_column(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE service_api_keys (key_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL "
        "UNIQUE, agency TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT NOT NULL, "
        "note TEXT NOT NULL DEFAULT '')"
    )
    conn.close()
    storage = SqliteStorage(path)
    try:
        _, principal = storage.keys.create("RCMP-K", Role.VIEWER)
        assert storage.keys.revoke(principal.key_id)
    finally:
        storage.close()


def test_close_twice_and_a_url_is_refused(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "s.db")
    storage.close()
    storage.close()
    with pytest.raises(ValueError, match="URL"):
        SqliteStorage(f"sqlite:///{tmp_path / 's.db'}")


def test_sqlite_storage_is_a_storage(tmp_path: Path) -> None:
    storage: Storage = SqliteStorage(tmp_path / "s.db")  # mypy checks the protocol here
    storage.close()
