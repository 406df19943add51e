"""The questions still to ask: a person's ``missing`` facts as an interview checklist, in
English or French.

Each item is one fact the engine still needs (its field path, as ``missing`` names it), a
plain-language question, and the citations of the rules that read that fact and are still
open for the person, so the officer knows why it is asked. For an ``eligible_either_way``
person the answers settle which rule applies, not the result (``settles`` says which).
Citations are written with the statutes' French abbreviations in French (LIPR for IRPA,
RIPR for IRPR). Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from borderwatch.domain.lang import Lang, check_lang
from borderwatch.screening.decide import PersonResult
from borderwatch.screening.report import QUESTIONS
from borderwatch.screening.ruleset import RULES

FACT_RULES: dict[str, tuple[str, ...]] = {
    "nationalities": ("N1", "N2"),
    "stateless": ("N2",),
    "former_habitual_residence": ("N2",),
    "entry.kind": ("A1", "A2", "A3", "N3", "N4", "N5"),
    "entry.date": ("A2", "N4", "N5"),
    "entry.in_transit_removal_from_us": ("A3", "N3"),
    "family_in_canada": ("E1", "E2", "E3", "E4"),
    "age": ("E5",),
    "has_spouse_or_partner": ("E5",),
    "parent_or_guardian_in_canada_or_us": ("E5",),
    "documents": ("E6",),
    "visa_required_canada": ("E7",),
    "visa_required_us": ("E7",),
    "refused_entry_us_without_claim_adjudicated": ("E8",),
    "canadian_pr_removed_from_us": ("E8",),
    "death_penalty_charge": ("E9",),
}
"""Which rules read each fact (screening/conditions.py); a test checks every key is a fact
the engine can ask for."""

QUESTIONS_FR: dict[str, str] = {
    "nationalities": "Quelles sont les nationalités du demandeur ?",
    "stateless": "Le demandeur est-il apatride ?",
    "former_habitual_residence": "Quel était le pays de résidence habituelle du demandeur ?",
    "age": "Quel âge a le demandeur ?",
    "has_spouse_or_partner": "Le demandeur a-t-il un époux ou un conjoint de fait ?",
    "parent_or_guardian_in_canada_or_us": (
        "La mère, le père ou le tuteur légal du demandeur est-il au Canada ou aux États-Unis ?"
    ),
    "family_in_canada": (
        "Quels membres de sa famille le demandeur a-t-il au Canada, et quel est leur statut ?"
    ),
    "documents": (
        "Quels visas, permis ou titres de voyage canadiens le demandeur détient-il ?"
    ),
    "visa_required_canada": "Le demandeur a-t-il besoin d'un visa pour entrer au Canada ?",
    "visa_required_us": "Le demandeur a-t-il besoin d'un visa pour entrer aux États-Unis ?",
    "refused_entry_us_without_claim_adjudicated": (
        "Le demandeur s'est-il vu refuser l'entrée aux États-Unis sans qu'une demande d'asile "
        "y ait été jugée ?"
    ),
    "canadian_pr_removed_from_us": (
        "Le demandeur est-il un résident permanent du Canada renvoyé des États-Unis ?"
    ),
    "death_penalty_charge": (
        "Le demandeur est-il accusé ou reconnu coupable d'une infraction punissable de mort ?"
    ),
    "entry.kind": (
        "Où le groupe est-il entré (point d'entrée terrestre, entre les points d'entrée, "
        "aéroport, port) ?"
    ),
    "entry.date": "Quel jour le groupe est-il entré au Canada ?",
    "entry.in_transit_removal_from_us": (
        "Le demandeur était-il en transit, en cours de renvoi des États-Unis ?"
    ),
}
_LEAF_FR = {
    "relation": "Quel est le lien de parenté de ce membre de la famille ({where}) ?",
    "age": "Quel âge a ce membre de la famille ({where}) ?",
    "status": "Quel est le statut au Canada de ce membre de la famille ({where}) ?",
    "type": "De quel type est ce document ({where}) ?",
    "transit_only": "Ce document ({where}) est-il valable pour le transit seulement ?",
}
_LEAF_EN = {
    "relation": "What is this family member's relation to the claimant ({where})?",
    "age": "How old is this family member ({where})?",
    "status": "What is this family member's status in Canada ({where})?",
    "type": "What kind of document is this ({where})?",
    "transit_only": "Is this document ({where}) for transit only?",
}
_ITEM = re.compile(r"(family_in_canada|documents)\[\d+\]")


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """One fact to establish in the interview."""

    fact: str
    """The field path, as the engine's ``missing`` names it."""
    question: str
    citations: tuple[str, ...]
    settles: str
    """``outcome`` (the answer can change the outcome) or ``rule`` (it settles which rule
    applies; the result stays: ``eligible_either_way``)."""

    def to_json(self) -> dict[str, Any]:
        return {"fact": self.fact, "question": self.question,
                "citations": list(self.citations), "settles": self.settles}


def cite(citation: str, lang: Lang) -> str:
    """A citation in ``lang``: the French abbreviations of the two statutes in French.

    >>> cite("IRPA 101(1)(e); IRPR 159.3, 159.5", "fr")
    'LIPR 101(1)e); RIPR 159.3, 159.5'
    """
    if lang == "en":
        return citation
    # French statutory style writes a paragraph as "e)", not "(e)".
    text = re.sub(r"\(([a-z])\)", r"\1)", citation)
    return re.sub(r"\bIRPR\b", "RIPR", re.sub(r"\bIRPA\b", "LIPR", text))


def question_text(fact: str, lang: Lang) -> str:
    """The plain question for a fact path (``people[p1].documents[0].type`` included).

    >>> question_text("people[p3].parent_or_guardian_in_canada_or_us", "fr")
    'La mère, le père ou le tuteur légal du demandeur est-il au Canada ou aux États-Unis ?'
    """
    field = fact.split("].", 1)[-1] if fact.startswith("people[") else fact
    table = QUESTIONS if lang == "en" else QUESTIONS_FR
    if field in table:
        return table[field]
    match = _ITEM.match(field)
    if match:
        leaf = field.rsplit(".", 1)[-1]
        leaves = _LEAF_EN if lang == "en" else _LEAF_FR
        if leaf in leaves:
            return leaves[leaf].format(where=match.group(0))
    return f"{field} ?" if lang == "fr" else f"What is {field}?"


def _fact_key(fact: str) -> str:
    """The key of :data:`FACT_RULES` for a path: ``people[p1].documents[0].type`` ->
    ``documents``; an entry fact is its own key."""
    field = fact.split("].", 1)[-1] if fact.startswith("people[") else fact
    if field.startswith("entry."):
        return field
    return _ITEM.sub(r"\1", field).split(".", 1)[0]


def interview(person: PersonResult, lang: Lang = "en") -> list[Question]:
    """The person's checklist, in the order of ``missing`` (empty when nothing is asked).

    The citations are those of the rules reading the fact that are still open for the
    person: the branches' rules, and the exceptions the proposal cites."""
    lang = check_lang(lang)
    open_rules = {b.rule for b in person.branches}
    cited = set(person.citations) | {c for b in person.branches for c in b.citations}
    settles = "rule" if person.outcome == "eligible_either_way" else "outcome"
    questions = []
    for fact in person.missing:
        rules = FACT_RULES.get(_fact_key(fact), ())
        relevant = [r for r in rules if r in open_rules or RULES.rules[r].citation in cited]
        citations = tuple(dict.fromkeys(cite(RULES.rules[r].citation, lang)
                                        for r in (relevant or rules)))
        questions.append(Question(fact=fact, question=question_text(fact, lang),
                                  citations=citations, settles=settles))
    return questions
