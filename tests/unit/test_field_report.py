"""The field team's interception report (respond/field_report.py): what it takes, what
it refuses (anything that identifies a person, named), and the case it opens."""

from __future__ import annotations

from typing import Any

import pytest

from borderwatch.cases.records import validate_case
from borderwatch.domain import InputError
from borderwatch.respond.field_report import NOT_THEIRS, case_from_report, parse_field_report

GOOD: dict[str, Any] = {
    "time": "2025-02-03T13:27:00Z", "lat": 49.004, "lon": -111.9, "unit_id": "RCMP-K-IBET",
    "belongings": "two backpacks, a phone",
    "people": [{"apparent_age": 34, "child": False},
               {"apparent_age": 7, "conditions": ["hypothermia", "medical_transport"]},
               {"child": True}],
}


def parse(body: dict[str, Any]) -> Any:
    return parse_field_report(body, incident_id="INC-20250203-0002", reported_by="RCMP-K (k1)",
                              simulated=True)


def test_a_report_gives_people_children_and_conditions() -> None:
    report = parse(GOOD)
    assert len(report.people) == 3 and report.children == 2
    assert report.conditions() == {"hypothermia": 1, "medical_transport": 1}
    assert report.people[1].child  # judged from the apparent age when not given
    assert report.to_json()["simulated"] is True


@pytest.mark.parametrize(("change", "field"), [
    ({"people": [{"apparent_age": 30, "name": "Ana"}]}, "people[0].name"),
    ({"people": [{"child": True, "nationality": "VE"}]}, "people[0].nationality"),
    ({"passport": "X123"}, "passport"),
])
def test_identifiers_are_refused_and_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        parse({**GOOD, **change})
    assert err.value.field == field and err.value.reason == NOT_THEIRS


@pytest.mark.parametrize(("change", "field"), [
    ({"people": []}, "people"),
    ({"people": [{"apparent_age": 40, "child": True}]}, "people[0].child"),
    ({"people": [{"apparent_age": -1}]}, "people[0].apparent_age"),
    ({"people": [{"apparent_age": 9, "conditions": ["sad"]}]}, "people[0].conditions"),
    ({"people": [{"apparent_age": 9, "mood": "calm"}]}, "people[0].mood"),
    ({"unit_id": ""}, "unit_id"),
    ({"lat": 91}, "lat"),
    ({"time": "2025-02-03 13:27"}, "time"),
    ({"belongings": "x" * 501}, "belongings"),
])
def test_a_bad_report_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        parse({**GOOD, **change})
    assert err.value.field == field


def test_the_case_holds_the_people_as_found_and_says_the_ages_are_estimates() -> None:
    case = case_from_report(parse(GOOD), case_id="CASE-1", interception_id="ICP-1")
    validate_case(case)
    assert [p.person_id for p in case.people] == ["p1", "p2", "p3"]
    assert [p.age for p in case.people] == [34, 7, None]
    assert all(p.nationalities == () and p.name is None for p in case.people)
    assert case.interception.people_count == 3 and case.simulated
    ages = [a for a in case.assumptions if a.field.endswith(".age")]
    assert len(ages) == 2 and "estimated by the field team" in ages[0].reason
