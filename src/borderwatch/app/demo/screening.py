"""The demo's screening stage: the nine people of Coutts under the Safe Third Country
Agreement, first with only what the reports say, then under stated assumptions.

Kept apart from demo.py so each stays readable; the demo calls :func:`screen_coutts_case`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from borderwatch.adapters.sqlite.audit import AuditLog
from borderwatch.screening import result_to_json, screen

CLAIM_ASSUMPTION = (
    "The reports do not say whether anyone claimed asylum; each person is screened as if "
    "they claimed on the day of entry."
)
STATED_ASSUMPTIONS = (
    "no family member in Canada",
    "no Canadian visa, permit or travel document",
    "visas required for both Canada and the US (VE, CO nationals)",
    "not refused entry to the US without a claim adjudicated; not a Canadian PR removed "
    "from the US",
    "no death-penalty charge",
    "no spouse or partner (the children)",
    "the Colombian children's parent or guardian is in the US",
)


@dataclass(frozen=True)
class ScreeningOutcome:
    facts_only: dict[str, Any]
    assumed: dict[str, Any]
    audit_problems: list[str]


def _with_claims(case: dict[str, Any]) -> dict[str, Any]:
    claimed = copy.deepcopy(case)
    for person in claimed["people"]:
        person["claim_date"] = claimed["entry"]["date"]
    return claimed


def _with_assumptions(case: dict[str, Any]) -> dict[str, Any]:
    assumed = copy.deepcopy(case)
    accompanied = {
        r["of"]
        for r in assumed.get("relations", [])
        if r["is"] in ("mother", "father", "legal_guardian")
    }
    for person in assumed["people"]:
        person.update(
            family_in_canada=[],
            documents=[],
            visa_required_canada=True,
            visa_required_us=True,
            refused_entry_us_without_claim_adjudicated=False,
            canadian_pr_removed_from_us=False,
            death_penalty_charge="none",
            stateless=False,
        )
        if person["age"] is not None and person["age"] < 18:
            person["has_spouse_or_partner"] = False
            if person["id"] not in accompanied:
                person["parent_or_guardian_in_canada_or_us"] = True
    return assumed


def with_claims_and_assumptions(case: dict[str, Any]) -> dict[str, Any]:
    """``case`` (``case.json``) as screened under the claim and the stated assumptions."""
    return _with_assumptions(_with_claims(case))


def screen_coutts_case(case: dict[str, Any], out: Path, audit_db: Path) -> ScreeningOutcome:
    """Screen twice, record both screenings in the audit log, write screening.json."""
    facts_case = _with_claims(case)
    assumed_case = _with_assumptions(facts_case)
    facts_result, assumed_result = screen(facts_case), screen(assumed_case)
    facts, assumed = result_to_json(facts_result), result_to_json(assumed_result)
    audit = AuditLog(audit_db)
    audit.record_screening(facts_case, facts_result)
    audit.record_screening(assumed_case, assumed_result)
    problems = audit.verify()
    document = {
        "simulated": True,
        "claim_assumption": CLAIM_ASSUMPTION,
        "facts_the_reports_give": facts,
        "stated_assumptions": list(STATED_ASSUMPTIONS),
        "under_stated_assumptions": assumed,
        "decision_support_only": "An officer decides (IRPA 100(1)).",
    }
    (out / "screening.json").write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return ScreeningOutcome(facts, assumed, problems)


def questions_for(person: dict[str, Any]) -> list[str]:
    """The facts an officer must still establish, as short field names."""
    return [field.split("].", 1)[-1] for field in person.get("missing", [])]
