"""The first line of a person's explanation (what the officer's page shows beside the
proposal) in English or French, from a code and its values. Pure.

The engine's full explanation stays English (``decide.py``); the questions
(``checklist.py``) and the decision record (``record.py``) have their own French.
"""

from __future__ import annotations

from typing import Any, Final

from borderwatch.domain.lang import check_lang
from borderwatch.screening.decide import PersonResult

SUMMARIES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "no_claim": "No refugee claim made (claim_date is null): there is no eligibility "
        "decision to support (IRPA 100(1)).",
        "law_date": "Law date {law_date} ({source}); rule set {rule_set}.",
        "source.claim_date": "claim date",
        "source.what_if": "what-if law date",
    },
    "fr": {
        "no_claim": "Aucune demande d'asile présentée (aucune date de demande) : il n'y a "
        "pas de décision de recevabilité à appuyer (LIPR 100(1)).",
        "law_date": "Droit applicable à la date du {law_date} ({source}) ; ensemble de "
        "règles {rule_set}.",
        "source.claim_date": "date de la demande",
        "source.what_if": "date hypothétique",
    },
}
"""Each summary per language; the English is the engine's own first line, word for word.
Dates stay ISO (AAAA-MM-JJ, as federal French writes them in forms)."""


def summary(person: PersonResult, lang: str) -> dict[str, Any]:
    """The person's first explanation line in ``lang``: ``code``, ``params``, ``text``.

    An ``InputError`` names ``lang`` when it is neither ``en`` nor ``fr``.
    """
    words = SUMMARIES[check_lang(lang)]
    if person.outcome == "no_claim" or person.law_date is None:
        return {"code": "no_claim", "params": {}, "text": words["no_claim"]}
    params = {
        "law_date": person.law_date.isoformat(),
        "source": person.law_date_source,
        "rule_set": person.rule_set,
    }
    text = words["law_date"].format(**{**params, "source": words[f"source.{params['source']}"]})
    return {"code": "law_date", "params": params, "text": text}
