"""Every word the statistics report shows, in English and French: one table, so the two
languages cannot drift (tests/unit/test_stats_i18n.py checks both have the same messages
with the same placeholders), plus month names, period phrases and numbers per language.

English keeps the report's original wording and plain numbers (``23720``); French uses
Babel's fr_CA data (month names, a no-break space grouping thousands, long dates) through
:mod:`borderwatch.domain.lang`, the helper the decision records use too. Pure.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from babel.dates import get_month_names

from borderwatch.domain.lang import LOCALES, Lang, format_day, format_number
from borderwatch.stats.periods import MONTH_NAMES, Period, month_name, year_month

MESSAGES: Final[dict[Lang, dict[str, str]]] = {
    "en": {
        "title": "Borderwatch statistics {period} — {kind}",
        "title_simulated": " (SIMULATED)",
        "h1": "Interceptions between ports of entry, {period}",
        "as_of": "Figures as of {day}.",
        "in_words": "In words",
        "no_sentence": "No interception in the period (or no month released yet).",
        "charts": "Charts",
        "tables": "Tables",
        "kind_internal": "INTERNAL — exact counts, not for publication",
        "kind_word_internal": "internal",
        "kind_word_publishable": "publishable",
        "kind_publishable": "PUBLISHABLE — publication rules applied",
        "heading_simulated": " — SIMULATED DATA",
        "simulated_note": (
            "SIMULATED DATA: these counts come from simulated records (a demo or an exercise); "
            "they are not statistics of real people."
        ),
        "year_note": (
            "Months are calendar months of the local date where each interception was made. "
            "Years are calendar years (Canada's convention); US agencies publish by fiscal "
            "year (1 October - 30 September)."
        ),
        "table_title": "People intercepted per month {label}, {period}",
        "by_region": "by province or state",
        "by_direction": "by direction",
        "by_rcmp_division": "by RCMP division (stretch of border)",
        "by_usbp_sector": "by USBP sector (stretch of border)",
        "by_citizenship": "by citizenship",
        "by_demographic": "by CBP demographic",
        "chart_monthly": "People intercepted per month, {period}",
        "chart_by": "People intercepted {label}",
        "chart_by_usbp_sector": "by USBP sector",
        "chart_people": "people",
        "chart_year_before": "a year before",
        "chart_this_period": "this period",
        "chart_simulated": "SIMULATED DATA",
        "chart_publishable": "publishable values (rounded to 5; -- = 0 to 5)",
        "chart_exact": "exact",
        "rcmp_title": (
            "RCMP interceptions between ports of entry, {year} (calendar year), by province"
        ),
        "rcmp_total": "Total – RCMP",
        "province": "Province",
        "total": "Total",
        "all": "All",
        "rules_note": (
            "Publication rules (IRCC): counts of 0 to 5 are suppressed and shown as --; other "
            "counts are rounded to the nearest 5; totals are computed from unrounded data, "
            "then rounded, so they may differ from the sum of the cells shown."
        ),
        "published_as_of": "Published as of {as_of}; release dates ({source}): {dates}.",
        "release_date": "{month} {day}",
        "withheld": (
            "{month} is not published before {day} (release calendar: {source}); as of "
            "{as_of} it is left out."
        ),
        "internal_note": (
            "Exact counts for internal use: apply the publication rules before release."
        ),
        "assumed_note": (
            "{count} people's demographic rests on relations the case marks as assumed "
            "(stats/demographic.py gives the rule)."
        ),
        "all_months": "all {count} months",
        "suppressed": "Suppressed cells (0 to 5 people): {cells}",
        "suppressed_row": "{label}: {cells}",
        "default_calendar": "release calendar",
        "none": "none",
        "few": "5 or fewer",
        "noun": "interceptions",
        "noun_one": "interception",
        "in": "in {when}",
        "in_year": "in {when}",
        "all_of": "all of {year}",
        "same": "{subject}: {count} {noun} {now}, as many {than_before}.",
        "up": "{subject}: {count} {noun} {now}, up from {previous} {before}.",
        "down": "{subject}: {count} {noun} {now}, down from {previous} {before}.",
        "few_both": "{subject}: {few} {noun} {now}, and {few} {before}.",
        "about_same": "{subject}: about {count} {noun} {now}, about as many {than_before}.",
    },
    "fr": {
        "title": "Statistiques Borderwatch {period} — {kind}",
        "title_simulated": " (SIMULATION)",
        "h1": "Interceptions entre les points d'entrée, {period}",
        "as_of": "Chiffres en date du {day}.",
        "in_words": "En quelques phrases",
        "no_sentence": (
            "Aucune interception pendant la période (ou aucun mois encore publié)."
        ),
        "charts": "Graphiques",
        "tables": "Tableaux",
        "kind_internal": "INTERNE — chiffres exacts, à ne pas publier",
        "kind_word_internal": "interne",
        "kind_word_publishable": "publiable",
        "kind_publishable": "PUBLIABLE — règles de publication appliquées",
        "heading_simulated": " — DONNÉES SIMULÉES",
        "simulated_note": (
            "DONNÉES SIMULÉES : ces chiffres proviennent de dossiers simulés (démonstration "
            "ou exercice); ce ne sont pas des statistiques sur des personnes réelles."
        ),
        "year_note": (
            "Les mois sont les mois civils de la date locale du lieu de chaque interception. "
            "Les années sont des années civiles (la convention du Canada); les organismes "
            "américains publient par exercice financier (du 1er octobre au 30 septembre)."
        ),
        "table_title": "Personnes interceptées par mois {label}, {period}",
        "by_region": "par province ou État",
        "by_direction": "selon la direction",
        "by_rcmp_division": "par division de la GRC (tronçon de la frontière)",
        "by_usbp_sector": "par secteur de l'USBP (tronçon de la frontière)",
        "by_citizenship": "selon la citoyenneté",
        "by_demographic": "par catégorie démographique du CBP",
        "chart_monthly": "Personnes interceptées par mois, {period}",
        "chart_by": "Personnes interceptées {label}",
        "chart_by_usbp_sector": "par secteur de l'USBP",
        "chart_people": "personnes",
        "chart_year_before": "un an plus tôt",
        "chart_this_period": "cette période",
        "chart_simulated": "DONNÉES SIMULÉES",
        "chart_publishable": "valeurs publiables (arrondies à 5; -- = 0 à 5)",
        "chart_exact": "chiffres exacts",
        "rcmp_title": (
            "Interceptions par la GRC entre les points d'entrée, {year} (année civile), "
            "par province"
        ),
        "rcmp_total": "Total – GRC",
        "province": "Province",
        "total": "Total",
        "all": "Ensemble",
        "rules_note": (
            "Règles de publication (IRCC) : les chiffres de 0 à 5 sont supprimés et notés --; "
            "les autres sont arrondis au multiple de 5 le plus proche; les totaux sont "
            "calculés sur les données non arrondies, puis arrondis, et peuvent donc différer "
            "de la somme des cellules affichées."
        ),
        "published_as_of": (
            "Publié en date du {as_of}; dates de publication ({source}) : {dates}."
        ),
        "release_date": "{month} : {day}",
        "withheld": (
            "{month} n'est pas publié avant le {day} (calendrier de publication : {source}); "
            "en date du {as_of}, ce mois est exclu."
        ),
        "internal_note": (
            "Chiffres exacts à usage interne : appliquer les règles de publication avant "
            "toute diffusion."
        ),
        "assumed_note": (
            "Pour {count} personnes, la catégorie démographique repose sur des liens que le "
            "dossier indique comme présumés (la règle : stats/demographic.py)."
        ),
        "all_months": "les {count} mois",
        "suppressed": "Cellules supprimées (0 à 5 personnes) : {cells}",
        "suppressed_row": "{label} : {cells}",
        "default_calendar": "calendrier de publication fourni",
        "none": "aucune",
        "few": "au plus 5",
        "noun": "interceptions",
        "noun_one": "interception",
        "in": "en {when}",
        "in_year": "sur {when}",
        "all_of": "toute l'année {year}",
        "same": "{subject} : {count} {noun} {now}, autant {than_before}.",
        "up": "{subject} : {count} {noun} {now}, en hausse par rapport à {previous} {before}.",
        "down": (
            "{subject} : {count} {noun} {now}, en baisse par rapport à {previous} {before}."
        ),
        "few_both": "{subject} : {few} {noun} {now}, et {few} {before}.",
        "about_same": (
            "{subject} : environ {count} {noun} {now}, à peu près autant {than_before}."
        ),
    },
}

DIMENSIONS_FR: Final = {
    "region": "province ou État",
    "direction": "direction",
    "rcmp_division": "division de la GRC",
    "usbp_sector": "secteur de l'USBP",
    "citizenship": "citoyenneté",
    "demographic": "catégorie démographique (CBP)",
}
"""Column headings of the group columns; English shows the dimension's own name."""

VALUES_FR: Final = {
    "direction": {"northbound": "vers le nord", "southbound": "vers le sud",
                  "unknown": "inconnue"},
    # CBP's categories, in French words (the English originals are CBP's published labels).
    "demographic": {
        "Single Adults": "Adultes seuls",
        "FMUA": "Membres d'une unité familiale (FMUA)",
        "Accompanied Minors": "Mineurs accompagnés",
        "UC / Single Minors": "Mineurs non accompagnés (UC)",
    },
    "citizenship": {"unknown": "inconnue"},
}  # fmt: skip
"""Group values a French table shows in words; codes (AB, MT, K, ...) stay as they are."""

REGION_NAMES_FR: Final = {
    "NB": "Nouveau-Brunswick", "QC": "Québec", "ON": "Ontario", "MB": "Manitoba",
    "SK": "Saskatchewan", "AB": "Alberta", "BC": "Colombie-Britannique",
    "NS": "Nouvelle-Écosse", "YT": "Yukon",
    "WA": "Washington", "ID": "Idaho", "MT": "Montana", "ND": "Dakota du Nord",
    "MN": "Minnesota", "MI": "Michigan", "NY": "New York", "VT": "Vermont",
    "NH": "New Hampshire", "ME": "Maine", "AK": "Alaska",
}  # fmt: skip
"""The provinces' official French names; the states as French usually writes them."""


def say(lang: Lang, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled in."""
    return MESSAGES[lang][key].format(**values)


def number(value: int, lang: Lang) -> str:
    """A count as the report prints it: English as before (``23720``), French per fr_CA."""
    return str(value) if lang == "en" else format_number(value, lang)


def day(value: date, lang: Lang) -> str:
    """A date: ISO in English (as before), in words in French (``1er mars 2025``)."""
    if lang == "en":
        return value.isoformat()
    # CLDR writes "1 mars"; French writes the first of the month as an ordinal, "1er".
    return format_day(value, lang) if value.day != 1 else f"1er {format_day(value, lang)[2:]}"


def calendar_source(source: str, lang: Lang) -> str:
    """The release calendar's source: a file path as it is, the unnamed default in words."""
    return say(lang, "default_calendar") if source == MESSAGES["en"]["default_calendar"] else source


def sentence_case(text: str) -> str:
    """The first letter capitalised: French month names are lower case mid-sentence."""
    return text[:1].upper() + text[1:]


def region_name(code: str, english: str, lang: Lang) -> str:
    """A province or state by name in ``lang`` (unknown codes keep the English name)."""
    return english if lang == "en" else REGION_NAMES_FR.get(code, english)


def dimension_heading(dimension: str, lang: Lang) -> str:
    return dimension if lang == "en" else DIMENSIONS_FR.get(dimension, dimension)


def group_value(dimension: str, value: str, lang: Lang) -> str:
    if lang == "en":
        return value
    return VALUES_FR.get(dimension, {}).get(value, value)


def month_word(month: int, lang: Lang, *, short: bool = False) -> str:
    """A month (1-12) without its year: ``February``/``Feb``, ``février``/``févr.``."""
    if lang == "en":
        return MONTH_NAMES[month - 1][:3] if short else MONTH_NAMES[month - 1]
    names = get_month_names("abbreviated" if short else "wide", locale=LOCALES[lang])
    return str(names[month])


def month_text(index: int, lang: Lang, *, short: bool = False) -> str:
    """``February 2025`` / ``février 2025`` (short: ``Feb 2025`` / ``févr. 2025``)."""
    if lang == "en":
        return month_name(index, short=short)
    year, month = year_month(index)
    return f"{month_word(month, lang, short=short)} {year}"


def describe(period: Period, lang: Lang) -> str:
    """``Jan–Feb 2025`` / ``janv.–févr. 2025``, ``all of 2024`` / ``toute l'année 2024``."""
    if lang == "en":
        return period.describe()
    (y1, m1), (y2, m2) = year_month(period.first), year_month(period.last)
    if period.first == period.last:
        return month_text(period.first, lang)
    if y1 == y2:
        if m1 == 1 and m2 == 12:
            return say(lang, "all_of", year=y1)
        return f"{month_word(m1, lang, short=True)}–{month_word(m2, lang, short=True)} {y1}"
    first = month_text(period.first, lang, short=True)
    last = month_text(period.last, lang, short=True)
    return f"{first}–{last}"
