"""The questions still to ask: the engine's ``missing`` facts as an interview checklist,
in English and French, each with the citations of the rules that read it."""

from __future__ import annotations

import copy
import doctest

import pytest
from tests.case_helpers import SCREENED_CASE

from borderwatch.domain import InputError
from borderwatch.screening import checklist, screen
from borderwatch.screening.checklist import FACT_RULES, QUESTIONS_FR, interview
from borderwatch.screening.report import QUESTIONS
from borderwatch.screening.ruleset import RULES


def _unknown(*fields: str, entry_date: bool = True) -> dict:
    case = copy.deepcopy(SCREENED_CASE)
    for field in fields:
        case["people"][0][field] = None
    if not entry_date:
        case["entry"]["date"] = None
    return case


def test_the_doctests_hold() -> None:
    assert doctest.testmod(checklist).failed == 0


def test_every_fact_has_a_question_in_both_languages_and_known_rules() -> None:
    assert set(QUESTIONS) == set(QUESTIONS_FR)
    assert set(FACT_RULES) <= set(QUESTIONS)
    assert {r for rules in FACT_RULES.values() for r in rules} == set(RULES.rules)


def test_each_missing_fact_becomes_a_question_with_its_rules_citations() -> None:
    person = screen(_unknown("documents", "death_penalty_charge")).people[0]
    assert person.missing == ("people[p1].documents", "people[p1].death_penalty_charge")
    english = interview(person, "en")
    assert [q.fact for q in english] == list(person.missing)
    assert english[0].citations == ("IRPR 159.5(f)",)
    assert english[1].citations == ("IRPR 159.6",)
    assert english[1].question.startswith("Is the claimant charged")
    assert all(q.settles == "outcome" for q in english)
    french = interview(person, "fr")
    assert french[0].citations == ("RIPR 159.5f)",)
    assert french[0].question == QUESTIONS_FR["documents"]


def test_an_unknown_entry_date_cites_the_between_ports_rules() -> None:
    person = screen(_unknown(entry_date=False)).people[0]
    (question,) = [q for q in interview(person) if q.fact == "entry.date"]
    assert "IRPR 159.4(1.1)" in question.citations


def test_a_family_members_item_is_asked_about_that_item() -> None:
    case = copy.deepcopy(SCREENED_CASE)
    case["people"][0]["family_in_canada"] = [{"relation": "brother", "age": None, "status": None}]
    questions = interview(screen(case).people[0], "fr")
    assert questions[0].fact == "people[p1].family_in_canada[0].status"
    assert "family_in_canada[0]" in questions[0].question
    assert "RIPR 159.5a)" in questions[0].citations


def test_nothing_to_ask_when_the_outcome_is_settled() -> None:
    assert interview(screen(SCREENED_CASE).people[0], "fr") == []


def test_a_language_other_than_en_or_fr_names_lang() -> None:
    with pytest.raises(InputError) as err:
        interview(screen(SCREENED_CASE).people[0], "de")  # type: ignore[arg-type]
    assert err.value.field == "lang"
