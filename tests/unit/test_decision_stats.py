"""Statistics from the officers' records: people by decision and exception, returns, per
local month, with the publication rules; the time from detection to interception."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta

from tests.case_helpers import coutts_case
from tests.unit.test_officer_desk import CASE, NOW, facts

from borderwatch.alerts.gate import SharingGate
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.runtime.officers import OfficerDesk
from borderwatch.ports.storage_fake import InMemoryStorage
from borderwatch.respond.times import InterventionTimes, Milestone, record
from borderwatch.stats import outcomes
from borderwatch.stats.outcomes import DecisionRow, decision_tables
from borderwatch.stats.periods import month_index

FEB = month_index(2025, 2)


def test_the_doctests_hold() -> None:
    assert doctest.testmod(outcomes).failed == 0


def test_exact_and_publishable_counts_by_outcome_exception_and_return() -> None:
    rows = ([DecisionRow(FEB, "ineligible", None, True, False)] * 7
            + [DecisionRow(FEB, "exception", "E1", False, False)] * 2
            + [DecisionRow(FEB + 1, "undecided", None, False, False)])
    exact = decision_tables(rows, publishable=False)
    assert exact["by_outcome"] == [
        {"month": "2025-02", "outcome": "exception", "count": 2},
        {"month": "2025-02", "outcome": "ineligible", "count": 7},
        {"month": "2025-03", "outcome": "undecided", "count": 1}]
    assert exact["by_exception"] == [{"month": "2025-02", "exception": "E1", "count": 2}]
    assert exact["returned"]["total"] == 7 and exact["people"] == 10
    public = decision_tables(rows, publishable=True)
    assert [c["count"] for c in public["by_outcome"]] == [None, 5, None]
    assert public["returned"]["total"] == 5 and public["people"] == 10


def test_children_are_counted_under_the_same_rules() -> None:
    rows = ([DecisionRow(FEB, "ineligible", None, True, False, child=True)] * 5
            + [DecisionRow(FEB, "ineligible", None, True, False)] * 4)
    assert decision_tables(rows, publishable=False)["children"] == 5
    assert decision_tables(rows, publishable=True)["children"] is None  # 0-5 suppressed


def test_the_desk_counts_the_records_by_the_local_month() -> None:
    storage = InMemoryStorage()
    storage.cases.open_case(coutts_case())
    desk = OfficerDesk(storage, SharingGate(SharingPolicy.bundled(), storage.disclosures),
                       clock=lambda: NOW)
    desk.enter_facts(CASE, facts(), "officer-7")
    for person in ("p1", "p2", "p3"):
        desk.decide(CASE, person, action="confirm", officer_id="officer-7")
    desk.record_return(CASE, port_of_entry="Coutts", time=NOW, receiving_agency="USBP",
                       officer_id="officer-7", people=["p1", "p2"])
    t0 = datetime(2025, 2, 3, 13, 16, tzinfo=UTC)
    times = record(InterventionTimes(incident_id="inc-0001"), Milestone.DETECTION, t0)
    storage.interventions.put(record(times, Milestone.INTERCEPTION, t0 + timedelta(minutes=15)))
    stats = desk.statistics(publishable=False)
    assert {(c["outcome"], c["count"]) for c in stats["by_outcome"]} == {
        ("ineligible", 3), ("undecided", 6)}
    assert {c["month"] for c in stats["by_outcome"]} == {"2025-02"}
    assert stats["returned"]["total"] == 2 and stats["simulated"] is True
    assert stats["detection_to_interception"] == {"interceptions": 1, "median_s": 900.0,
                                                  "max_s": 900.0}
