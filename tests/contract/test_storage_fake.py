"""The storage contract run against the official in-memory fake."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

import pytest

from borderwatch.alerts.outbox import Backoff
from borderwatch.ports.bus_fake import ManualClock
from borderwatch.ports.storage import Storage
from borderwatch.ports.storage_fake import InMemoryAuditLog, InMemoryStorage
from tests.contract.storage_contract import EditAuditBody, StorageContract, StorageFactory


class TestInMemoryStorage(StorageContract):
    @pytest.fixture
    def make_storage(self) -> StorageFactory:
        def make(clock: ManualClock, backoff: Backoff) -> Storage:
            return InMemoryStorage(backoff=backoff, clock=clock, rng=random.Random(7))

        return make

    @pytest.fixture
    def edit_audit_body(self) -> EditAuditBody:
        def edit(storage: Storage, seq: int, change: Callable[[str], str]) -> None:
            assert isinstance(storage.audit, InMemoryAuditLog)
            rows = storage.audit.rows
            rows[seq - 1] = replace(rows[seq - 1], body=change(rows[seq - 1].body))

        return edit


def test_the_fake_is_a_storage() -> None:
    storage: Storage = InMemoryStorage()  # mypy checks the protocol here
    assert storage.detections.count() == 0


def test_a_rollback_keeps_the_callers_clock() -> None:
    clock = ManualClock(5.0)
    storage = InMemoryStorage(clock=clock)
    with pytest.raises(RuntimeError), storage.transaction():
        raise RuntimeError
    clock.advance(1.0)
    assert storage.outbox.clock() == 6.0
