"""The decision record of one person, for the person's file: in English or French, as HTML
(Jinja2) and PDF (``record_pdf.py``).

It holds the person as a screening officer may see them, the engine's proposal as recorded
with the decision (outcome, rule, exception, citations, the facts it still asked for), the
officer's decision and reason, the rule-set version, the earlier records it revised, and the
removal deferrals beside it (a separate question: they never change the outcome). A
simulated case is marked SIMULATED at the top of every page. Dates, times and numbers are
formatted for the language's Canadian locale (Babel); times are shown in ``tz``. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, StrictUndefined

from borderwatch.domain import Case, Person
from borderwatch.domain.lang import LOCALES, Lang, check_lang
from borderwatch.screening.checklist import cite, question_text
from borderwatch.screening.decisions import OfficerDecision
from borderwatch.screening.removal import RemovalNote
from borderwatch.screening.ruleset import RULES

OUTCOME_LABELS = {
    "en": {
        "no_claim": "No claim made",
        "not_applicable": "The Agreement does not apply",
        "exception": "Exception established: the claim may be referred",
        "ineligible": "Ineligible: the Agreement applies, no exception",
        "needs_information": "Needs information",
        "eligible_either_way": "Eligible whichever rule applies",
    },
    "fr": {
        "no_claim": "Aucune demande d'asile",
        "not_applicable": "L'Entente ne s'applique pas",
        "exception": "Exception établie : la demande peut être déférée",
        "ineligible": "Irrecevable : l'Entente s'applique, sans exception",
        "needs_information": "Renseignements manquants",
        "eligible_either_way": "Recevable quelle que soit la règle applicable",
    },
}

RULE_TITLES_FR = {
    "A1": "Arrivée des États-Unis à un point d'entrée terrestre",
    "A2": "Entrée entre les points d'entrée, demande dans les 14 jours",
    "A3": "Aéroport, en transit lors d'un renvoi des États-Unis",
    "N1": "Citoyen des États-Unis",
    "N2": "Apatride dont le pays de résidence habituelle est les États-Unis",
    "N3": "Aéroport (hors transit lors d'un renvoi) ou port maritime",
    "N4": "Entre les points d'entrée, demande 14 jours ou plus après l'entrée",
    "N5": "Entre les points d'entrée, entrée avant le 2023-03-25",
    "E1": "Un membre de la famille au Canada est citoyen canadien",
    "E2": "Un membre de la famille au Canada est résident permanent, personne protégée "
          "ou visé par un sursis (RIPR 233)",
    "E3": "Un membre de la famille adulte au Canada a une demande déférée à la Commission",
    "E4": "Un membre de la famille adulte au Canada détient un permis de travail ou d'études",
    "E5": "Mineur non accompagné",
    "E6": "Détient un visa, un permis ou un titre de voyage canadien",
    "E7": "Dispensé de visa pour le Canada mais non pour les États-Unis",
    "E8": "Entrée refusée aux États-Unis sans décision sur la demande, ou résident "
          "permanent renvoyé des États-Unis",
    "E9": "Accusé ou reconnu coupable d'une infraction punissable de mort",
}

WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Decision record: Safe Third Country Agreement eligibility",
        "simulated": "SIMULATED: exercise data, not a real case",
        "case": "Case", "person": "Person", "name": "Name", "sex": "Sex", "age": "Age",
        "nationalities": "Nationalities", "unknown": "unknown", "assumed": "Assumed",
        "interception": "Interception", "at": "at", "position": "Position",
        "proposal": "The engine's proposal (decision support)", "outcome": "Outcome",
        "rule": "Rule", "exception": "Exception", "citations": "Citations",
        "law_date": "Law date", "rule_set": "Rule set", "asked": "Facts still asked for",
        "decision": "The officer's decision", "action": "Decision",
        "confirm": "Confirmed the proposal", "override": "Overrode the proposal",
        "decided": "Outcome decided", "reason": "Reason", "no_reason": "(none given)",
        "officer": "Officer", "time": "Time", "record": "Record", "replaces": "Revises",
        "history": "Earlier records (revised)", "removal": "Removal deferrals",
        "removal_note": "A separate question: a deferral stops removal to a country of "
                        "nationality only and never changes the outcome above.",
        "deferred": {True: "deferred", False: "not deferred", None: "partly: check the region"},
        "none": "none",
        "footer": "Borderwatch proposes; the officer decides (IRPA 100(1)). The claimant "
                  "bears the burden of proof (IRPA 100(1.1)).",
    },
    "fr": {
        "title": "Relevé de décision : recevabilité selon l'Entente sur les tiers pays sûrs",
        "simulated": "SIMULÉ : données d'exercice, pas un cas réel",
        "case": "Dossier", "person": "Personne", "name": "Nom", "sex": "Sexe", "age": "Âge",
        "nationalities": "Nationalités", "unknown": "inconnu", "assumed": "Supposé",
        "interception": "Interception", "at": "à", "position": "Position",
        "proposal": "Proposition du moteur (aide à la décision)", "outcome": "Résultat",
        "rule": "Règle", "exception": "Exception", "citations": "Références",
        "law_date": "Date du droit applicable", "rule_set": "Version des règles",
        "asked": "Faits encore demandés",
        "decision": "Décision de l'agent", "action": "Décision",
        "confirm": "A confirmé la proposition", "override": "A infirmé la proposition",
        "decided": "Résultat décidé", "reason": "Motif", "no_reason": "(aucun)",
        "officer": "Agent", "time": "Heure", "record": "Relevé", "replaces": "Révise",
        "history": "Relevés antérieurs (révisés)", "removal": "Sursis aux renvois",
        "removal_note": "Question distincte : un sursis empêche seulement le renvoi vers un "
                        "pays de nationalité et ne change jamais le résultat ci-dessus.",
        "deferred": {True: "sursis", False: "pas de sursis",
                     None: "en partie : vérifier la région"},
        "none": "aucune",
        "footer": "Borderwatch propose; l'agent décide (LIPR 100(1)). Il incombe au "
                  "demandeur de prouver sa recevabilité (LIPR 100(1.1)).",
    },
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordInput:
    """What a decision record is made from (the desk gathers it from the stores)."""

    case: Case
    person_id: str
    decision: OfficerDecision
    """The decision in force."""
    earlier: tuple[OfficerDecision, ...]
    """The records it revised, oldest first."""
    removal: tuple[RemovalNote, ...]
    law_date: date | None
    facts: dict[str, Any]
    """The facts in force (the person's nationalities and age as entered)."""


def record_data(source: RecordInput, lang: str = "en", tz: str = "UTC") -> dict[str, Any]:
    """Everything the record shows, as text already formatted for ``lang``."""
    chosen: Lang = check_lang(lang)
    locale = LOCALES[chosen]
    words = WORDS[chosen]
    case = source.case
    person = next(p for p in case.people if p.person_id == source.person_id)
    entered: dict[str, Any] = next((p for p in source.facts.get("people", [])
                    if p.get("id") == source.person_id), {})
    territories = Locale.parse(locale).territories

    def when(at: datetime) -> str:
        return str(format_datetime(at, "long", tzinfo=ZoneInfo(tz), locale=locale))

    def rule_text(rule_id: str | None) -> str | None:
        if rule_id is None:
            return None
        title = RULES.rules[rule_id].title if chosen == "en" else RULE_TITLES_FR[rule_id]
        return f"{rule_id}: {title}"

    def decision_rows(decision: OfficerDecision) -> dict[str, Any]:
        return {
            "id": decision.decision_id,
            "action": words[decision.action],
            "outcome": OUTCOME_LABELS[chosen][decision.outcome],
            "reason": decision.reason or words["no_reason"],
            "officer": decision.officer_id,
            "time": when(decision.decided_at),
            "replaces": decision.replaces,
        }

    proposal = source.decision.proposal
    nationalities = entered.get("nationalities", list(person.nationalities)) or []
    interception = case.interception
    return {
        "lang": chosen,
        "w": words,
        "simulated": case.simulated or source.decision.simulated,
        "case_id": case.case_id,
        "person": _person_rows(person, entered, words, locale),
        "nationalities": [f"{territories.get(c, c)} ({c})" for c in nationalities],
        "assumed": _assumed(person.person_id, case, source.facts),
        "interception": {
            "time": when(interception.time),
            # A decimal comma in French: the two numbers are parted by a semicolon there.
            "position": f"{format_decimal(interception.lat, '#,##0.0000', locale=locale)}"
                        f"{', ' if chosen == 'en' else ' ; '}"
                        f"{format_decimal(interception.lon, '#,##0.0000', locale=locale)}",
            "unit": interception.unit_id,
        },
        "proposal": {
            "outcome": OUTCOME_LABELS[chosen][proposal.outcome],
            "rule": rule_text(proposal.rule),
            "exception": rule_text(proposal.exception),
            "citations": [cite(c, chosen) for c in proposal.citations],
            "asked": [f"{question_text(f, chosen)} [{f}]" for f in proposal.missing],
            "law_date": None if source.law_date is None
            else format_date(source.law_date, "long", locale=locale),
            "rule_set": source.decision.rule_set,
        },
        "decision": decision_rows(source.decision),
        "earlier": [decision_rows(d) for d in source.earlier],
        "removal": [{"country": f"{territories.get(n.country, n.country)} ({n.country})",
                     "status": words["deferred"][n.deferred],
                     "programme": n.programme or "-", "as_reported": n.as_reported}
                    for n in source.removal],
    }


def _assumed(person_id: str, case: Case, facts: dict[str, Any]) -> list[str]:
    """The person's assumed facts (the case's and the officer's assumptions), once each."""
    fields = [a.field for a in case.assumptions] + [
        str(a.get("field", "")) for a in facts.get("assumptions", []) if isinstance(a, dict)]
    mine = (f for f in fields if f.startswith(f"people[{person_id}]"))
    return list(dict.fromkeys(mine))


def _person_rows(person: Person, entered: dict[str, Any], words: dict[str, Any],
                 locale: str) -> list[tuple[str, str]]:
    age = entered.get("age", person.age)
    return [
        (words["person"], person.person_id),
        (words["name"], entered.get("name") or person.name or words["unknown"]),
        (words["sex"], entered.get("sex") or person.sex or words["unknown"]),
        (words["age"], words["unknown"] if age is None
         else str(format_decimal(age, locale=locale))),
    ]


_HTML = """<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<title>{{ w.title }} - {{ case_id }} {{ person[0][1] }}</title>
<style>
body { font-family: sans-serif; max-width: 50em; margin: 2em auto; }
.simulated { border: 3px solid #b00; color: #b00; font-weight: bold; padding: .5em; }
th { text-align: left; padding-right: 1em; vertical-align: top; }
.note { font-size: .9em; color: #444; }
</style></head><body>
{% if simulated %}<p class="simulated">{{ w.simulated }}</p>{% endif %}
<h1>{{ w.title }}</h1>
<p>{{ w.case }} {{ case_id }}</p>
<table>
{% for label, value in person %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}
<tr><th>{{ w.nationalities }}</th><td>{{ nationalities | join(", ") or w.unknown }}</td></tr>
{% if assumed %}<tr><th>{{ w.assumed }}</th><td>{{ assumed | join(", ") }}</td></tr>{% endif %}
<tr><th>{{ w.interception }}</th><td>{{ interception.time }}, {{ interception.unit }}
({{ w.position }} {{ interception.position }})</td></tr>
</table>
<h2>{{ w.proposal }}</h2>
<table>
<tr><th>{{ w.outcome }}</th><td>{{ proposal.outcome }}</td></tr>
{% if proposal.rule %}<tr><th>{{ w.rule }}</th><td>{{ proposal.rule }}</td></tr>{% endif %}
{% if proposal.exception %}
<tr><th>{{ w.exception }}</th><td>{{ proposal.exception }}</td></tr>{% endif %}
<tr><th>{{ w.citations }}</th><td><ul class="citations">
{% for c in proposal.citations %}<li>{{ c }}</li>{% endfor %}</ul></td></tr>
<tr><th>{{ w.law_date }}</th><td>{{ proposal.law_date or w.unknown }}</td></tr>
<tr><th>{{ w.rule_set }}</th><td>{{ proposal.rule_set or w.unknown }}</td></tr>
{% if proposal.asked %}<tr><th>{{ w.asked }}</th><td><ul>
{% for q in proposal.asked %}<li>{{ q }}</li>{% endfor %}</ul></td></tr>{% endif %}
</table>
<h2>{{ w.decision }}</h2>
<table>
<tr><th>{{ w.action }}</th><td>{{ decision.action }}</td></tr>
<tr><th>{{ w.decided }}</th><td><strong>{{ decision.outcome }}</strong></td></tr>
<tr><th>{{ w.reason }}</th><td>{{ decision.reason }}</td></tr>
<tr><th>{{ w.officer }}</th><td>{{ decision.officer }}</td></tr>
<tr><th>{{ w.time }}</th><td>{{ decision.time }}</td></tr>
<tr><th>{{ w.record }}</th><td>{{ decision.id }}
{% if decision.replaces %}({{ w.replaces }} {{ decision.replaces }}){% endif %}</td></tr>
</table>
{% if earlier %}<h3>{{ w.history }}</h3><ul>
{% for d in earlier %}<li>{{ d.time }}: {{ d.action }}, {{ d.outcome }} - {{ d.reason }}
({{ d.officer }}, {{ d.id }})</li>{% endfor %}
</ul>{% endif %}
<h2>{{ w.removal }}</h2>
<p class="note">{{ w.removal_note }}</p>
{% if removal %}<ul>{% for r in removal %}
<li>{{ r.country }}: {{ r.status }} ({{ r.programme }}, {{ r.as_reported }})</li>{% endfor %}</ul>
{% else %}<p>{{ w.none }}</p>{% endif %}
<p class="note">{{ w.footer }}</p>
{% if simulated %}<p class="simulated">{{ w.simulated }}</p>{% endif %}
</body></html>
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
_TEMPLATE = _ENV.from_string(_HTML)


def render_html(data: dict[str, Any]) -> str:
    """The record as one HTML page (every value escaped)."""
    return _TEMPLATE.render(**data)
