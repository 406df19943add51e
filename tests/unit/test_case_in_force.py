"""The facts in force: the officer's latest entry over the case as the field team opened it
(cases/in_force.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from borderwatch.cases import case_to_json
from borderwatch.cases.in_force import case_in_force, entered_by_case, entered_facts
from borderwatch.domain import Case, InputError
from borderwatch.domain.case import Interception, Person

OPENED = Case(
    case_id="AB-2025-0203-001",
    interception=Interception(
        "ICP-1",
        "INC-1",
        datetime(2025, 2, 3, 13, 27, tzinfo=UTC),
        49.004,
        -111.9,
        "RCMP-K-IBET",
        2,
        simulated=True,
    ),
    people=(Person("p1", 34, ()), Person("p2", 7, ())),
    relations=(),
    assumptions=(),
    entry_kind="between_ports",
    entry_date="2025-02-03",
    from_country="US",
    simulated=True,
)


def _entry() -> dict:  # type: ignore[type-arg]
    facts = case_to_json(OPENED)
    facts["people"][0].update(
        nationalities=["VE"],
        sex="female",
        claim_date="2025-02-03",
        family_in_canada=[],
        assumed=["claim_date"],
    )
    facts["people"][1].update(nationalities=["CO"])
    facts["relations"] = [{"person": "p1", "is": "mother", "of": "p2", "assumed": True}]
    facts["assumptions"] = [
        {"field": "relations", "value": "p1 is mother of p2", "reason": "said at interview"},
        {"field": "people[p1].claim_date", "value": "2025-02-03", "reason": "assumed"},
    ]
    facts["entered_by"] = "CBSA officer"
    return facts


def test_the_entry_gives_the_people_and_relations_the_opening_stays() -> None:
    case = case_in_force(OPENED, _entry())
    assert [p.nationalities for p in case.people] == [("VE",), ("CO",)]
    assert case.people[0].sex == "female"
    assert [(r.person, r.is_, r.of) for r in case.relations] == [("p1", "mother", "p2")]
    assert case.interception == OPENED.interception and case.simulated


def test_no_entry_is_the_case_as_opened() -> None:
    assert case_in_force(OPENED, None) is OPENED


def test_an_entry_for_another_case_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError, match="case_id"):
        case_in_force(OPENED, {**_entry(), "case_id": "AB-2025-0203-002"})


def test_a_damaged_entry_names_the_field() -> None:
    bad = _entry()
    bad["people"][1]["age"] = "seven"
    with pytest.raises(InputError, match=r"people\[1\]\.age"):
        case_in_force(OPENED, bad)


def test_the_latest_screening_record_is_in_force() -> None:
    first, second = _entry(), _entry()
    second["people"][1]["nationalities"] = ["VE"]
    records = [
        {"kind": "screening", "data": {"case": first}},
        {"kind": "decision", "data": {}},
        {"kind": "screening", "data": {"case": second}},
    ]
    assert entered_facts(records) == second
    assert entered_facts(records) is not second  # a copy: the caller may change it


def test_every_cases_latest_entry_by_case_id() -> None:
    second = _entry()
    second["people"][1]["nationalities"] = ["VE"]
    other = {**_entry(), "case_id": "AB-other"}
    latest = [
        {"kind": "screening", "case_id": "AB-other", "data": {"case": other}},
        {"kind": "screening", "case_id": OPENED.case_id, "data": {"case": second}},
    ]
    by_case = entered_by_case(latest)
    assert by_case == {"AB-other": other, OPENED.case_id: second}
    assert by_case[OPENED.case_id] is not second
    assert entered_by_case([]) == {}
