"""The storage contract's part for the officers' records: decisions per person (append-only,
a revision names the record in force) and returns to the US (a person returned once).
``StorageContract`` inherits it, so the fake, SQLite and PostgreSQL all run it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from borderwatch.ports.storage import Storage
from borderwatch.screening import screen
from borderwatch.screening.decisions import DecisionConflict, OfficerDecision, decide
from borderwatch.screening.returns import ReturnConflict, ReturnRecord
from tests.case_helpers import SCREENED_CASE

AT = datetime(2025, 2, 3, 15, 0, tzinfo=UTC)


def a_decision(decision_id: str, *, case_id: str = "AB-2025-0203-001", person: str = "p1",
               replaces: str | None = None, override: bool = False,
               current: OfficerDecision | None = None) -> OfficerDecision:
    case = {**SCREENED_CASE, "case_id": case_id,
            "people": [{**SCREENED_CASE["people"][0], "id": person}]}
    result = screen(case).people[0]
    return decide(decision_id=decision_id, case_id=case_id, person=result,
                  action="override" if override else "confirm", officer_id="officer-7",
                  at=AT, reason="document seen" if override else "",
                  outcome="exception" if override else None, replaces=replaces,
                  current=current, simulated=True)


def a_return(return_id: str, people: tuple[str, ...], case_id: str = "AB-2025-0203-001"
             ) -> ReturnRecord:
    return ReturnRecord(return_id=return_id, case_id=case_id, port_of_entry="Coutts-Sweetgrass",
                        time=AT + timedelta(hours=3), receiving_agency="USBP",
                        officer_id="officer-7", people=people,
                        decisions=tuple(f"d-{p}" for p in people), simulated=True)


class OfficerContract:
    def test_decisions_chain_per_person_and_the_latest_is_in_force(
        self, storage: Storage
    ) -> None:
        decisions = storage.decisions
        assert decisions.latest("AB-2025-0203-001", "p1") is None
        first = a_decision("d1")
        decisions.append(first)
        decisions.append(a_decision("d2", person="p2"))
        revised = a_decision("d3", replaces="d1", override=True, current=first)
        decisions.append(revised)
        assert decisions.latest("AB-2025-0203-001", "p1") == revised
        assert decisions.latest("AB-2025-0203-001", "p2") == a_decision("d2", person="p2")
        assert [d.decision_id for d in decisions.history("AB-2025-0203-001")] == [
            "d1", "d2", "d3"]
        assert [d.decision_id for d in decisions.history("AB-2025-0203-001", "p1")] == [
            "d1", "d3"]
        assert decisions.history("AB-other") == []
        assert [d.decision_id for d in decisions.all()] == ["d1", "d2", "d3"]
        back = decisions.latest("AB-2025-0203-001", "p1")
        assert back is not None and back.decided_at == AT and back.proposal == first.proposal
        assert back.outcome == "exception" and back.reason == "document seen"

    def test_a_revision_must_name_the_record_in_force(self, storage: Storage) -> None:
        decisions = storage.decisions
        first = a_decision("d1")
        decisions.append(first)
        decisions.append(a_decision("d2", replaces="d1", current=first))
        for stale in (a_decision("d3"), replace(a_decision("d3"), replaces="d1"),
                      replace(a_decision("d3"), replaces="d-none")):
            with pytest.raises(DecisionConflict):
                decisions.append(stale)
        with pytest.raises(DecisionConflict):  # an id is used once
            decisions.append(replace(a_decision("d1"), replaces="d2"))
        assert [d.decision_id for d in decisions.all()] == ["d1", "d2"]

    def test_a_person_is_returned_once(self, storage: Storage) -> None:
        returns = storage.returns
        assert returns.for_case("AB-2025-0203-001") == []
        returns.append(a_return("r1", ("p1", "p2")))
        returns.append(a_return("r2", ("p1",), case_id="AB-other"))
        for twice in (a_return("r3", ("p3", "p2")), a_return("r1", ("p4",))):
            with pytest.raises(ReturnConflict):
                returns.append(twice)
        assert returns.for_case("AB-2025-0203-001") == [a_return("r1", ("p1", "p2"))]
        assert [r.return_id for r in returns.all()] == ["r1", "r2"]
        returns.append(a_return("r4", ("p3",)))
        assert [r.people for r in returns.for_case("AB-2025-0203-001")] == [
            ("p1", "p2"), ("p3",)]

    def test_a_racing_writers_stale_read_is_still_refused(
        self, storage: Storage, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Two officers read "no decision" at once; the second write must fail in the store
        # itself (unique indexes in the databases), and leave nothing behind.
        first = a_decision("d1")
        storage.decisions.append(first)
        storage.decisions.append(a_decision("d2", replaces="d1", current=first))
        storage.returns.append(a_return("r1", ("p1",)))
        monkeypatch.setattr(storage.returns, "for_case", lambda *args: [])
        # What each racing writer read: nothing yet, or d1 before d2 replaced it.
        for seen, stale in ((None, a_decision("d3")),
                            (first, replace(a_decision("d3"), replaces="d1"))):
            monkeypatch.setattr(storage.decisions, "latest", lambda *args, seen=seen: seen)
            with pytest.raises(DecisionConflict):
                storage.decisions.append(stale)
        with pytest.raises(ReturnConflict):
            storage.returns.append(a_return("r2", ("p2", "p1")))
        monkeypatch.undo()
        assert [d.decision_id for d in storage.decisions.all()] == ["d1", "d2"]
        assert [r.return_id for r in storage.returns.all()] == ["r1"]
