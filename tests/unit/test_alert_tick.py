"""The alert stage's clock (alerts/center.py ``tick``): the runtimes tick at every scan's
data time, so a tick with nothing due must not read the store each time; the pages still
fall at the scan they fell at when it did, for this centre's alerts and, within RECHECK,
for another process's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tests.alert_helpers import T0, incident

from borderwatch.alerts.center import RECHECK
from borderwatch.alerts.lifecycle import EVERY_ALERT, PageScope
from borderwatch.app.bootstrap import open_alert_service
from borderwatch.app.runtime.alert_service import AlertService
from borderwatch.geo import Boundary


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[AlertService, AlertService]]:
    """Two alert stages on one store, as two processes of a cluster share one."""
    first = open_alert_service(tmp_path / "a.db", boundary=Boundary.bundled())
    second = open_alert_service(tmp_path / "a.db", boundary=Boundary.bundled())
    yield first, second
    first.close()
    second.close()


def counted(service: AlertService) -> list[datetime]:
    """The data times at which the centre read the store for a due page."""
    reads: list[datetime] = []
    store = service.center.book.store
    ask = store.next_escalation_at

    def spy(scope: PageScope = EVERY_ALERT) -> datetime | None:
        reads.append(now[0])
        return ask(scope)

    store.next_escalation_at = spy  # type: ignore[method-assign]
    return reads


now = [T0]


def seconds(start: datetime, n: int) -> Iterator[datetime]:
    for s in range(n):
        now[0] = start + timedelta(seconds=s)
        yield now[0]


def test_a_page_falls_at_the_first_scan_at_or_after_it_is_due_with_few_reads(
    two: tuple[AlertService, AlertService],
) -> None:
    service, _ = two
    reads = counted(service)
    for t in seconds(T0 - timedelta(seconds=45), 45):
        assert service.center.tick(t) == []  # quiet before: nothing due, nothing stored
    service.center.route(incident(at=T0))  # this centre's own alert
    (state,) = [s for s in service.center.book.store.all_alerts() if s.next_escalation_at]
    due = state.next_escalation_at
    assert due is not None
    paged = [(t, p.state.alert_id) for t in seconds(T0, 3600)
             for p in service.center.tick(t)]
    # Every page of the unacknowledged alert, each at the first second at or after it
    # was due, as a read per second gives (the quiet spell before does not delay it);
    # from about a read per page, not per second.
    assert paged[0] == (due, state.alert_id)
    assert len(paged) >= 2
    assert len(reads) < 3600 / 10, len(reads)


def test_another_process_s_new_alert_is_paged_within_recheck(
    two: tuple[AlertService, AlertService],
) -> None:
    first, second = two
    reads = counted(first)
    for t in seconds(T0, 60):
        assert first.center.tick(t) == []  # nothing stored: quiet, few reads
    assert len(reads) <= 3
    second.center.route(incident(at=T0))  # the other process's alert
    (state,) = [s for s in second.center.book.store.all_alerts() if s.next_escalation_at]
    due = state.next_escalation_at
    assert due is not None
    paged = next(t for t in seconds(T0 + timedelta(seconds=60), 7200)
                 if first.center.tick(t))
    assert due <= paged < due + RECHECK
