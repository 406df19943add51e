"""The statistics report in English and French: one message table with both languages, and
a French report with no English left in it."""

from __future__ import annotations

import re
import string
from datetime import date

import pytest

from borderwatch.domain import InputError
from borderwatch.stats import DuckDbEngine, Period, ReleaseCalendar, build_report, load_regions
from borderwatch.stats.base import EncounterRow, RowEncounters
from borderwatch.stats.i18n import MESSAGES, REGION_NAMES_FR, describe, say
from borderwatch.stats.periods import month_index
from borderwatch.stats.report import render_html

FEBRUARY_2025 = month_index(2025, 2)

ENGLISH_HEADINGS = (
    'lang="en"', "In words", "Charts", "<h2>Tables", "People intercepted", "INTERNAL",
    "PUBLISHABLE", "SIMULATED", "by province or state", "RCMP interceptions", "January",
    "February", "Suppressed cells", "Exact counts", "Months are calendar months",
    "Figures as of", "Publication rules", "Alberta:", "up from", "northbound",
    "Single Adults", "Total – RCMP", "<th>region</th>", "<th>citizenship</th>", "British Columbia",
)  # fmt: skip
"""What an English report shows and a French one must not."""


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_is_in_both_languages_with_the_same_placeholders() -> None:
    assert MESSAGES["en"].keys() == MESSAGES["fr"].keys()
    for key, english in MESSAGES["en"].items():
        french = MESSAGES["fr"][key]
        assert french.strip(), key
        assert _placeholders(english) == _placeholders(french), key


def test_every_bundled_province_and_state_has_a_french_name() -> None:
    assert set(load_regions()) <= set(REGION_NAMES_FR)
    assert REGION_NAMES_FR["BC"] == "Colombie-Britannique" and REGION_NAMES_FR["QC"] == "Québec"
    assert REGION_NAMES_FR["ND"] == "Dakota du Nord"


def test_french_periods() -> None:
    assert describe(Period.parse("2025-02"), "fr") == "février 2025"
    assert describe(Period.parse("2024-01..2024-12"), "fr") == "toute l'année 2024"
    assert say("fr", "suppressed", cells="AB") == "Cellules supprimées (0 à 5 personnes) : AB"


def _row(month: int, region: str, direction: str = "northbound") -> EncounterRow:
    return EncounterRow(month, "CA", region, f"{region}-MT", "K", "HVM", "RCMP-K-IBET", "RCMP",
                        direction, "MX", "Single Adults", "between_ports", True)  # fmt: skip


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str], str]:
    # 1 234 people in Alberta in February 2025 (a number with a thousands separator), 7 a
    # year before, 2 in British Columbia: simulated, as every row says.
    rows = [_row(FEBRUARY_2025, "AB") for _ in range(1234)]
    rows += [_row(FEBRUARY_2025 - 12, "AB", "southbound") for _ in range(7)]
    rows += [_row(FEBRUARY_2025, "BC") for _ in range(2)]
    encounters = RowEncounters(rows).encounters()
    engine = DuckDbEngine(threads=1)
    out = {}
    for kind in ("internal", "publishable"):
        for lang in ("en", "fr"):
            built = build_report(
                encounters, engine, Period.parse("2025-01..2025-02"), kind=kind,  # type: ignore[arg-type]
                regions=load_regions(), calendar=ReleaseCalendar.bundled(),
                as_of=date(2025, 6, 1), lang=lang,
            )  # fmt: skip
            out[kind, lang] = render_html(built)
    engine.close()
    return out


@pytest.mark.parametrize("kind", ["internal", "publishable"])
def test_the_french_report_is_french_throughout(
    reports: dict[tuple[str, str], str], kind: str
) -> None:
    text = reports[kind, "fr"]
    assert '<html lang="fr">' in text
    assert "<h2>En quelques phrases</h2>" in text and "<h2>Tableaux</h2>" in text
    assert "Personnes interceptées par mois par province ou État" in text
    assert "DONNÉES SIMULÉES" in text and "(SIMULATION)" in text
    assert "<th>février</th>" in text  # the RCMP table's month columns
    assert "Colombie-Britannique : " in text
    english_left = [h for h in ENGLISH_HEADINGS if h in text]
    assert not english_left, english_left


def test_french_numbers_dates_and_sentences(reports: dict[tuple[str, str], str]) -> None:
    internal, publishable = reports["internal", "fr"], reports["publishable", "fr"]
    # Babel's fr_CA groups thousands with a no-break space (U+00A0; fr uses U+202F).
    assert "<td>1\u00a0234</td>" in internal
    assert (
        "Alberta : 1\u00a0234 interceptions en février 2025, en hausse par rapport à 7 en "
        "février 2024."
    ) in internal
    assert "<td>1\u00a0235</td>" in publishable  # rounded to 5, then written in French
    assert "Chiffres en date du 1er juin 2025." in publishable
    assert "Cellules supprimées (0 à 5 personnes)" in publishable
    assert "<td>vers le nord</td>" in internal


def test_the_english_report_is_as_before(reports: dict[tuple[str, str], str]) -> None:
    text = reports["internal", "en"]
    assert '<html lang="en">' in text and "<h2>In words</h2>" in text
    assert "<td>1234</td>" in text and "<th>February</th>" in text
    assert "Alberta: 1234 interceptions in February 2025, up from 7 in February 2024." in text
    assert not re.search("[éÉ]", text)


def test_a_language_other_than_en_or_fr_is_refused() -> None:
    with pytest.raises(InputError, match="lang"):
        build_report(RowEncounters([]).encounters(), DuckDbEngine(threads=1),
                     Period.parse("2025-02"), kind="internal", regions=load_regions(),
                     calendar=ReleaseCalendar.bundled(), as_of=date(2025, 6, 1),
                     lang="de")  # fmt: skip
