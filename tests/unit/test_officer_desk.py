"""The officer's desk on the in-memory storage: facts entered and screened, questions, a
decision per person written with the audit log, the return and its handoff notice
released through the sharing policy (logged)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.case_helpers import coutts_case

from borderwatch.alerts.gate import SharingGate
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.runtime.officers import OfficerDesk
from borderwatch.cases import case_to_json
from borderwatch.domain import InputError
from borderwatch.ports.storage_fake import InMemoryStorage
from borderwatch.screening.decisions import DecisionConflict
from borderwatch.screening.returns import ReturnConflict

CASE = "AB-2025-0203-001"
NOW = datetime(2025, 2, 3, 16, tzinfo=UTC)


def facts(**person: Any) -> dict[str, Any]:
    """Every person claimed on the day of entry, with no exception established."""
    case = case_to_json(coutts_case())
    for p in case["people"]:
        p.update(claim_date="2025-02-03", family_in_canada=[], documents=[],
                 visa_required_canada=True, visa_required_us=True,
                 refused_entry_us_without_claim_adjudicated=False,
                 canadian_pr_removed_from_us=False, death_penalty_charge="none",
                 has_spouse_or_partner=False, parent_or_guardian_in_canada_or_us=True)
        p.update(person)
    return case


@pytest.fixture
def desk() -> OfficerDesk:
    storage = InMemoryStorage()
    storage.cases.open_case(coutts_case())
    ids = iter(f"id-{n}" for n in range(100))
    return OfficerDesk(storage, SharingGate(SharingPolicy.bundled(), storage.disclosures),
                       clock=lambda: NOW, new_id=lambda: next(ids))


def test_before_facts_are_entered_the_case_as_opened_is_screened(desk: OfficerDesk) -> None:
    result = desk.screening(CASE)
    assert {p.outcome for p in result.people} == {"no_claim"}
    assert desk.questions(CASE, "fr")["people"][0]["questions"] == []


def test_entered_facts_are_screened_and_kept_in_the_audit_log(desk: OfficerDesk) -> None:
    entered = facts(documents=None)
    result = desk.enter_facts(CASE, entered, "officer-7")
    assert result.simulated and {p.outcome for p in result.people} == {"needs_information"}
    stored = desk.facts(CASE)
    assert stored["entered_by"] == "officer-7" and stored["people"][0]["documents"] is None
    questions = desk.questions(CASE, "en")["people"][0]["questions"]
    assert questions == [{"fact": "people[p1].documents",
                          "question": questions[0]["question"],
                          "citations": ["IRPR 159.5(f)"], "settles": "outcome"}]
    assert desk.storage.audit.records(CASE)[-1]["kind"] == "screening"


@pytest.mark.parametrize(("change", "field"), [
    (lambda f: f["people"].pop(), "people"),
    (lambda f: f.update(case_id="AB-other"), "case_id"),
    (lambda f: f.update(simulated=False), "simulated"),
    (lambda f: f["people"][2].update(claim_date="2025-13-01"), "people[2].claim_date"),
    (lambda f: f.update(assumptions=[{"field": "x", "value": "y", "reason": ""}]),
     "assumptions[0].reason"),
])
def test_bad_facts_name_the_field_and_store_nothing(desk: OfficerDesk, change: Any,
                                                    field: str) -> None:
    entered = facts()
    change(entered)
    with pytest.raises(InputError) as err:
        desk.enter_facts(CASE, entered, "officer-7")
    assert err.value.field == field
    assert desk.storage.audit.records(CASE) == []


def test_a_decision_is_stored_and_audited_and_a_revision_names_the_last(
    desk: OfficerDesk,
) -> None:
    desk.enter_facts(CASE, facts(), "officer-7")
    first = desk.decide(CASE, "p1", action="confirm", officer_id="officer-7")
    assert first.outcome == "ineligible" and first.rule_set == "stca-2023"
    audit = desk.storage.audit.records(CASE)
    assert audit[-1]["kind"] == "decision"
    assert audit[-1]["data"]["decision_id"] == first.decision_id
    assert "IRPR 159.4(1.1)" in audit[-1]["data"]["citations"]
    with pytest.raises(DecisionConflict):
        desk.decide(CASE, "p1", action="confirm", officer_id="officer-9")
    with pytest.raises(InputError):
        desk.decide(CASE, "p1", action="override", officer_id="officer-9",
                    outcome="exception", reason="", replaces=first.decision_id)
    revised = desk.decide(CASE, "p1", action="override", officer_id="officer-9",
                          outcome="exception", reason="a Canadian visa was found",
                          replaces=first.decision_id)
    view = desk.decisions(CASE)
    assert view["in_force"]["p1"]["decision_id"] == revised.decision_id
    assert view["in_force"]["p2"] is None and len(view["history"]) == 2
    assert len(desk.storage.audit.records(CASE)) == 3  # the screening, two decisions
    with pytest.raises(InputError):
        desk.decide(CASE, "p99", action="confirm", officer_id="officer-7")


def test_the_return_releases_only_the_allowed_notice_and_logs_it(desk: OfficerDesk) -> None:
    desk.enter_facts(CASE, facts(), "officer-7")
    for person in ("p1", "p5", "p8"):
        desk.decide(CASE, person, action="confirm", officer_id="officer-7")
    with pytest.raises(InputError) as err:  # p2 has no decision
        desk.record_return(CASE, port_of_entry="Coutts-Sweetgrass", time=NOW,
                           receiving_agency="USBP", officer_id="officer-7",
                           people=["p1", "p2"])
    assert err.value.field == "people[1]"
    record, notice = desk.record_return(
        CASE, port_of_entry="Coutts-Sweetgrass", time=NOW + timedelta(hours=1),
        receiving_agency="USBP", officer_id="officer-7", people=["p1", "p5", "p8"])
    assert record.people == ("p1", "p5", "p8")
    assert notice == {"notice": "stca_return", "notice_id": record.return_id, "type": "return",
                      "time": "2025-02-03T17:00:00.000Z", "port_of_entry": "Coutts-Sweetgrass",
                      "receiving_agency": "USBP", "people_count": 3,
                      "basis": "IRPA 101(1)(e); IRPR 241(1)(a)", "simulated": True}
    (entry,) = desk.storage.disclosures.entries()
    assert entry["channel"] == "handoff" and entry["agency"] == "USBP"
    assert {"case_id", "officer_id", "children"} <= set(entry["withheld"])
    with pytest.raises(ReturnConflict):
        desk.storage.returns.append(record)
    with pytest.raises(InputError):  # p1 is already returned
        desk.record_return(CASE, port_of_entry="Coutts", time=NOW + timedelta(hours=2),
                           receiving_agency="USBP", officer_id="officer-7", people=["p1"])
    assert desk.notices_for("RCMP", "api") == []
    assert desk.notices_for("USBP", "api") == [notice]


def test_an_agency_without_a_notice_rule_gets_nothing_but_the_mark(desk: OfficerDesk) -> None:
    desk.enter_facts(CASE, copy.deepcopy(facts()), "officer-7")
    desk.decide(CASE, "p1", action="confirm", officer_id="officer-7")
    _, notice = desk.record_return(CASE, port_of_entry="Coutts", time=NOW,
                                   receiving_agency="ICE", officer_id="officer-7",
                                   people=["p1"])
    assert notice == {"simulated": True}


def test_a_notice_rule_naming_a_personal_field_is_refused() -> None:
    with pytest.raises(InputError) as err:
        SharingPolicy.from_dict({"notices": {"stca_return": {"USBP": {"fields": ["people"]}}}})
    assert err.value.field == "notices.stca_return.USBP.fields"
