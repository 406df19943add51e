"""The result as JSON (for the audit log and other programs) and as text (for an officer)."""

from __future__ import annotations

from typing import Any

from borderwatch.screening.decide import Branch, PersonResult, ScreeningResult

QUESTIONS: dict[str, str] = {
    "nationalities": "What are the claimant's nationalities?",
    "stateless": "Is the claimant stateless?",
    "former_habitual_residence": "Which country was the claimant's former habitual residence?",
    "age": "How old is the claimant?",
    "has_spouse_or_partner": "Does the claimant have a spouse or common-law partner?",
    "parent_or_guardian_in_canada_or_us": (
        "Is a mother, father or legal guardian of the claimant in Canada or the US?"
    ),
    "family_in_canada": "Which family members does the claimant have in Canada, and their status?",
    "documents": "Which Canadian visas, permits or travel documents does the claimant hold?",
    "visa_required_canada": "Does the claimant need a visa to enter Canada?",
    "visa_required_us": "Does the claimant need a visa to enter the US?",
    "refused_entry_us_without_claim_adjudicated": (
        "Was the claimant refused entry to the US without a claim adjudicated there?"
    ),
    "canadian_pr_removed_from_us": "Is the claimant a Canadian PR removed from the US?",
    "death_penalty_charge": "Is the claimant charged with or convicted of a capital offence?",
    "entry.kind": "Where did the group enter (land port, between ports, airport, harbour)?",
    "entry.date": "On what day did the group enter Canada?",
    "entry.in_transit_removal_from_us": "Was the claimant in transit, being removed from the US?",
}


def question_for(path: str) -> str:
    """A plain question for a missing field path (falls back to the path itself)."""
    if path in QUESTIONS:
        return QUESTIONS[path]
    field = path.split("].", 1)[-1]
    leaf = field.rsplit(".", 1)[-1]
    if field.startswith(("family_in_canada[", "documents[")):
        return f"{field}: what is the {leaf.replace('_', ' ')}?"
    return QUESTIONS.get(field, f"What is {field}?")


def person_to_json(person: PersonResult) -> dict[str, Any]:
    return {
        "id": person.person_id,
        "outcome": person.outcome,
        "rule": person.rule,
        "exception": person.exception,
        "citations": list(person.citations),
        "missing": list(person.missing),
        "review_flags": list(person.review_flags),
        "explanation": list(person.explanation),
        "next_step": person.next_step,
        "branches": [
            {
                "rule": branch.rule,
                "outcome": branch.outcome,
                "exception": branch.exception,
                "citations": list(branch.citations),
                "selected_by": list(branch.selected_by),
                "missing": list(branch.missing),
            }
            for branch in person.branches
        ],
        "removal": [
            {
                "country": note.country,
                "deferred": note.deferred,
                "programme": note.programme,
                "as_reported": note.as_reported,
                "note": note.note,
            }
            for note in person.removal
        ],
        "law_date": person.law_date.isoformat() if person.law_date else None,
        "rule_set": person.rule_set,
    }


def result_to_json(result: ScreeningResult) -> dict[str, Any]:
    """Plain JSON types only (dates as ISO strings); key order is stable."""
    return {
        "case_id": result.case_id,
        "law_date": result.law_date.isoformat() if result.law_date else None,
        "rule_set": result.rule_set,
        "simulated": result.simulated,
        "people": [person_to_json(p) for p in result.people],
    }


def _branch_line(branch: Branch) -> str:
    result = branch.outcome.upper() + (f" {branch.exception}" if branch.exception else "")
    line = f"{branch.rule} -> {result} ({'; '.join(branch.citations)})"
    if branch.selected_by:
        line += f"; settled by {', '.join(branch.selected_by)}"
    return line


def format_text(result: ScreeningResult) -> str:
    """Readable per person: outcome, next step, rules with citations, flags, open branches,
    what to ask, removal."""
    lines = [
        f"STCA screening - case {result.case_id}" + (" (SIMULATED)" if result.simulated else ""),
        f"Law date: {result.law_date or 'per person'}; rule set: {result.rule_set or 'per person'}",
        "Decision support only: an officer decides (IRPA 100(1)).",
    ]
    for person in result.people:
        lines.append("")
        decided = " ".join(
            part
            for part in (
                person.rule and f"rule {person.rule}",
                person.exception and f"exception {person.exception}",
            )
            if part
        )
        lines.append(
            f"== {person.person_id}: {person.outcome.upper()}"
            + (f" ({decided})" if decided else "")
        )
        lines.append(f"   Next step: {person.next_step}")
        if person.citations:
            lines.append(f"   Citations: {'; '.join(person.citations)}")
        for flag in person.review_flags:
            lines.append(f"   REVIEW: {flag}")
        if len(person.branches) > 1:
            lines.append("   Open: the rule that decides, and where each leads:")
            lines += [f"    - {_branch_line(branch)}" for branch in person.branches]
        if person.missing:
            # eligible_either_way: the answers settle the rule, not the result.
            settles = person.outcome == "eligible_either_way"
            lines.append("   To settle the rule (the result stays):" if settles else "   To ask:")
            lines += [f"    - {question_for(path)} [{path}]" for path in person.missing]
        lines.append("   Why:")
        lines += [f"    - {line}" for line in person.explanation]
        if person.removal:
            lines.append("   Removal (separate question; does not change the outcome):")
            lines += [f"    - {note.note}" for note in person.removal]
    return "\n".join(lines) + "\n"
