"""Every contract of the alert stage has its official fake and its real implementations,
and they conform (STYLE.md: tiny interfaces, each with a fake in the package)."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.adapters.sqlite.alerts import SqliteAlertStore, SqliteDisclosures
from borderwatch.adapters.transports.dispatch import FolderTransport
from borderwatch.adapters.transports.tak import CotStreamServer, TakServerTransport
from borderwatch.adapters.transports.webhook import WebhookTransport
from borderwatch.alerts import (
    AlertStore,
    InMemoryAlertStore,
    JsonlDisclosures,
    RecordingDisclosures,
    RecordingTransport,
    TeeDisclosures,
    Transport,
)
from borderwatch.alerts.gate import DisclosureRecorder


def _conforms(cls: type, protocol: type) -> bool:
    names = [n for n in protocol.__dict__ if not n.startswith("_")]
    return bool(names) and all(callable(getattr(cls, n, None)) for n in names)


@pytest.mark.parametrize(
    "cls",
    [RecordingTransport, FolderTransport, WebhookTransport, TakServerTransport, CotStreamServer],
)
def test_transports(cls: type) -> None:
    assert _conforms(cls, Transport)


@pytest.mark.parametrize("cls", [InMemoryAlertStore, SqliteAlertStore])
def test_alert_stores(cls: type) -> None:
    assert _conforms(cls, AlertStore)


@pytest.mark.parametrize(
    "cls", [RecordingDisclosures, JsonlDisclosures, SqliteDisclosures, TeeDisclosures]
)
def test_disclosure_recorders(cls: type) -> None:
    assert _conforms(cls, DisclosureRecorder)


def test_the_sqlite_store_and_the_fake_answer_alike(tmp_path: Path) -> None:
    from datetime import timedelta

    from tests.alert_helpers import T0, incident

    from borderwatch.alerts import AlertBook, AlertPolicy, PolicyRouter, SharingPolicy
    from borderwatch.geo import Boundary, Places

    router = PolicyRouter(
        Boundary.bundled(), Places.bundled(), SharingPolicy.bundled(), AlertPolicy.bundled()
    )
    results = []
    for store in (InMemoryAlertStore(), SqliteAlertStore(tmp_path / "a.db")):
        book = AlertBook(AlertPolicy.bundled(), store)
        for routed in router.route(incident()):
            book.trigger(routed, T0)
        pages = book.due_pages(T0 + timedelta(minutes=3))
        results.append(
            (
                [(s.alert_id, s.status, s.escalation_level) for s in store.all_alerts()],
                [(p.state.alert_id, p.level) for p in pages],
            )
        )
    assert results[0] == results[1]
    assert results[0][1] == [("ALR-20250203-0002-RCMP-K-IBET", 1)]
