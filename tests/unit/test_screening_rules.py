"""The rule data (rules.yaml) is validated, dated, and every id is explained to the officer."""

from __future__ import annotations

import copy
from datetime import date
from importlib import resources
from typing import Any

import pytest
import yaml
from tests.unit.test_screening import case_of, one

import borderwatch.screening as screening
from borderwatch.domain import RELATIONS, InputError
from borderwatch.screening import RULES, format_text, screen
from borderwatch.screening.ruleset import parse_rule_set


def raw_rules() -> dict[str, Any]:
    text = resources.files("borderwatch.screening").joinpath("rules.yaml").read_text("utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def test_exports() -> None:
    for name in (
        "screen",
        "ScreeningResult",
        "result_to_json",
        "format_text",
        "parse_case",
    ):
        assert name in screening.__all__


def test_rule_dates_and_rule_sets() -> None:
    assert RULES.rules["A2"].effective_from == date(2023, 3, 25)
    assert RULES.rules["N5"].entry_before == date(2023, 3, 25)
    assert all(r.effective_to is None for r in RULES.rules.values())
    assert RULES.rule_set_id(date(2023, 3, 24)) == "stca-2004"
    assert RULES.rule_set_id(date(2023, 3, 25)) == "stca-2023"
    assert RULES.family_members == RELATIONS
    assert RULES.suspensions == ()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["rules"][0].update(kind="maybe"), "rules[0].kind"),
        (lambda d: d["rules"][1].update(effective_from="soon"), "rules[1].effective_from"),
        (lambda d: d["rules"][2].pop("citation"), "rules[2].citation"),
        (lambda d: d["rules"].append(dict(d["rules"][0])), f"rules[{17}].id"),
    ],
)
def test_bad_rule_data_names_the_field(mutate: Any, field: str) -> None:
    data = copy.deepcopy(raw_rules())
    mutate(data)
    with pytest.raises(InputError) as err:
        parse_rule_set(data)
    assert err.value.field == field


def test_a_dated_suspension_can_be_entered_as_data() -> None:
    data = copy.deepcopy(raw_rules())
    data["suspensions"] = [
        {
            "id": "notice-1",
            "effective_from": "2027-01-01",
            "effective_to": "2027-03-31",
            "citation": "IRPR 159.7",
        }
    ]
    rules = parse_rule_set(data)
    assert rules.suspension_on(date(2027, 2, 1)) is not None
    assert rules.suspension_on(date(2027, 4, 1)) is None


def test_explanation_names_every_rule_considered_with_citation() -> None:
    person = one(case_of(documents=None))
    text = "\n".join(person["explanation"])
    for rule in RULES.rules.values():
        assert f"{rule.rule_id} {rule.title} ({rule.citation})" in text


def test_text_format_says_what_to_ask() -> None:
    text = format_text(
        screen(case_of(documents=None, parent_or_guardian_in_canada_or_us=None, age=9))
    )
    assert "To ask:" in text
    assert "[people[p1].documents]" in text
    assert "[people[p1].parent_or_guardian_in_canada_or_us]" in text
    assert "IRPR 159.4(1.1)" in text


def test_removal_partial_listing_and_no_effect_on_outcome() -> None:
    somali = one(case_of(nationalities=["SO"]))
    venezuelan = one(case_of(nationalities=["VE"]))
    assert somali["removal"][0]["deferred"] is None
    assert somali["outcome"] == venezuelan["outcome"] == "ineligible"
    assert one(case_of(nationalities=["AF"]))["removal"][0]["programme"] == "TSR"


def test_a_dated_suspension_entered_as_data_decides(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dataclasses
    from datetime import date

    from borderwatch.screening import decide as engine
    from borderwatch.screening import result_to_json, screen
    from borderwatch.screening.ruleset import DatedPeriod

    case = {
        "case_id": "AB-2025-0203-010",
        "simulated": True,
        "entry": {"kind": "land_port", "date": "2025-02-03", "from_country": "US"},
        "relations": [],
        "people": [
            {
                "id": "p1",
                "age": 30,
                "nationalities": ["VE"],
                "claim_date": "2025-02-03",
                "family_in_canada": [],
                "documents": [],
                "visa_required_canada": True,
                "visa_required_us": True,
                "refused_entry_us_without_claim_adjudicated": False,
                "canadian_pr_removed_from_us": False,
                "death_penalty_charge": "none",
                "stateless": False,
            }
        ],
    }
    assert result_to_json(screen(case))["people"][0]["outcome"] == "ineligible"
    notice = DatedPeriod(
        period_id="test-notice",
        text="suspended for a test",
        effective_from=date(2025, 1, 1),
        effective_to=date(2025, 3, 31),
    )
    monkeypatch.setattr(engine, "RULES", dataclasses.replace(engine.RULES, suspensions=(notice,)))
    person = result_to_json(screen(case))["people"][0]
    assert person["outcome"] == "not_applicable"
    assert person["citations"] == ["IRPR 159.7"]
    assert any("suspended" in flag for flag in person["review_flags"])
    later = result_to_json(screen(case, law_date=date(2025, 4, 1)))["people"][0]
    assert later["outcome"] == "ineligible"
