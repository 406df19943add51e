"""The officer's page shows the first line of each person's explanation in the page's
language (screening/explain.py): the English is the engine's own line, word for word, the
French a real translation, and both languages say every line."""

from __future__ import annotations

import re
from datetime import date

import pytest
from tests.unit.test_officer_desk import facts

from borderwatch.domain.errors import InputError
from borderwatch.screening.decide import screen
from borderwatch.screening.explain import SUMMARIES, summary


def test_both_languages_say_every_summary_with_the_same_values() -> None:
    assert set(SUMMARIES["en"]) == set(SUMMARIES["fr"])
    for key, english in SUMMARIES["en"].items():
        french = SUMMARIES["fr"][key]
        assert set(re.findall(r"\{(\w+)\}", english)) == set(re.findall(r"\{(\w+)\}", french))


def test_the_english_summary_is_the_engines_first_line_and_the_french_is_french() -> None:
    claimed = screen(facts()).people[0]
    what_if = screen(facts(), law_date=date(2025, 6, 1)).people[0]
    unclaimed = screen(facts(claim_date=None)).people[0]
    for person in (claimed, what_if, unclaimed):
        assert summary(person, "en")["text"] == person.explanation[0]
    said = summary(claimed, "fr")
    assert said["code"] == "law_date" and said["params"]["law_date"] == "2025-02-03"
    assert said["text"].startswith(
        "Droit applicable à la date du 2025-02-03 (date de la demande) ; ensemble de règles "
    ), said
    assert "(date hypothétique)" in summary(what_if, "fr")["text"]
    assert summary(unclaimed, "fr")["text"].startswith("Aucune demande d'asile présentée")
    with pytest.raises(InputError, match="lang"):
        summary(claimed, "de")
