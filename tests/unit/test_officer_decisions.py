"""The officer's decision per person and the return under the Agreement (pure rules): a
confirmation takes the proposal, an override needs a reason and another outcome, a
revision names the record in force, and only a person decided ineligible is returned."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta

import pytest
from tests.case_helpers import SCREENED_CASE

from borderwatch.domain import InputError
from borderwatch.screening import decisions, returns, screen
from borderwatch.screening.decisions import DecisionConflict, decide, decision_from_json
from borderwatch.screening.returns import handoff_notice, make_return, return_from_json

AT = datetime(2025, 2, 3, 15, tzinfo=UTC)
PERSON = screen(SCREENED_CASE).people[0]


def test_the_doctests_hold() -> None:
    for module in (decisions, returns):
        assert doctest.testmod(module).failed == 0


def test_a_confirmation_records_the_proposal_rule_set_officer_and_time() -> None:
    made = decide(decision_id="d1", case_id="AB-1", person=PERSON, action="confirm",
                  officer_id=" officer-7 ", at=AT, reason="facts confirmed", simulated=True)
    assert PERSON.outcome == "ineligible"
    assert (made.outcome, made.action, made.officer_id) == ("ineligible", "confirm", "officer-7")
    assert made.proposal.citations == PERSON.citations
    assert "IRPR 159.4(1.1)" in made.proposal.citations
    assert made.rule_set == "stca-2023" and made.decided_at == AT and made.replaces is None
    assert decision_from_json(made.to_json()) == made


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"action": "approve"}, "action"),
    ({"action": "confirm", "outcome": "exception"}, "outcome"),
    ({"action": "override", "outcome": "exception", "reason": ""}, "reason"),
    ({"action": "override", "outcome": "exception", "reason": " \n"}, "reason"),
    ({"action": "override", "outcome": "maybe", "reason": "x"}, "outcome"),
    ({"action": "override", "outcome": "ineligible", "reason": "x"}, "outcome"),
    ({"action": "confirm", "officer_id": " "}, "officer_id"),
    ({"action": "confirm", "at": datetime(2025, 2, 3, 15)}, "decided_at"),  # noqa: DTZ001 - the point
    ({"action": "confirm", "reason": "x" * 4001}, "reason"),
])
def test_a_bad_decision_names_the_field(kwargs: dict, field: str) -> None:
    args = {"decision_id": "d1", "case_id": "AB-1", "person": PERSON, "officer_id": "o7",
            "at": AT, **kwargs}
    with pytest.raises(InputError) as err:
        decide(**args)
    assert err.value.field == field


def test_an_override_keeps_the_proposal_beside_the_decision() -> None:
    made = decide(decision_id="d2", case_id="AB-1", person=PERSON, action="override",
                  officer_id="o7", at=AT, outcome="exception",
                  reason="a Canadian visa was found in her luggage")
    assert (made.proposal.outcome, made.outcome) == ("ineligible", "exception")


def test_a_revision_names_the_record_in_force() -> None:
    first = decide(decision_id="d1", case_id="AB-1", person=PERSON, action="confirm",
                   officer_id="o7", at=AT)
    with pytest.raises(DecisionConflict):  # a second "first" decision
        decide(decision_id="d2", case_id="AB-1", person=PERSON, action="confirm",
               officer_id="o7", at=AT, current=first)
    with pytest.raises(DecisionConflict):  # names a record that is not in force
        decide(decision_id="d2", case_id="AB-1", person=PERSON, action="confirm",
               officer_id="o7", at=AT, current=first, replaces="d0")
    second = decide(decision_id="d2", case_id="AB-1", person=PERSON, action="confirm",
                    officer_id="o9", at=AT, current=first, replaces="d1")
    assert second.replaces == "d1"


def _in_force(outcome: str = "ineligible") -> decisions.OfficerDecision:
    made = decide(decision_id="d1", case_id="AB-1", person=PERSON, action="confirm",
                  officer_id="o7", at=AT)
    if outcome != made.outcome:
        made = decide(decision_id="d1", case_id="AB-1", person=PERSON, action="override",
                      officer_id="o7", at=AT, outcome=outcome, reason="x")
    return made


def _return(**kwargs: object) -> returns.ReturnRecord:
    args: dict = {"return_id": "r1", "case_id": "AB-1", "port_of_entry": "Coutts-Sweetgrass",
                  "time": AT + timedelta(hours=2), "receiving_agency": "USBP",
                  "officer_id": "o7", "people": ["p1"], "case_people": ["p1", "p2"],
                  "in_force": {"p1": _in_force()}, **kwargs}
    return make_return(**args)


def test_a_return_records_the_decisions_it_rests_on() -> None:
    made = _return(simulated=True)
    assert made.decisions == ("d1",) and made.people == ("p1",)
    assert return_from_json(made.to_json()) == made
    assert made.to_json()["citations"] == ["IRPA 101(1)(e)", "IRPR 241(1)(a)"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"people": []}, "people"),
    ({"people": ["p9"]}, "people[0]"),
    ({"people": ["p1", "p1"]}, "people[1]"),
    ({"people": ["p1", "p2"]}, "people[1]"),
    ({"in_force": {"p1": _in_force("exception")}}, "people[0]"),
    ({"returned": ["p1"]}, "people[0]"),
    ({"receiving_agency": "us border patrol"}, "receiving_agency"),
    ({"port_of_entry": " "}, "port_of_entry"),
    ({"officer_id": ""}, "officer_id"),
    ({"time": AT - timedelta(minutes=1)}, "time"),
    ({"time": datetime(2025, 2, 3, 20)}, "time"),  # noqa: DTZ001 - the point
])
def test_a_bad_return_names_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        _return(**kwargs)
    assert err.value.field == field


def test_the_notice_counts_people_and_names_no_one() -> None:
    notice = handoff_notice(_return(), minors=0)
    assert notice["people_count"] == 1 and "people" not in notice
    assert notice["notice"] == "stca_return"
