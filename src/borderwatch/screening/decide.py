"""The screening engine: one decision per person, under the law of the claim date.

Decision support only: the officer decides (IRPA 100(1)); the burden is on the claimant
(IRPA 100(1.1)). :func:`screen` is pure: the same case and law date give the same result and
the input is not modified.

How unknown facts are handled: applicability is worked out as *branches* - every rule id
that may still decide, given what is unknown (N1, N2 first, then the entry rule). Each branch
leads to an outcome (an applying rule goes on to its exceptions: a True exception wins, an
Unknown one matters only when none is True). When every branch leads to the same outcome the
unknown facts do not matter; otherwise the result is ``needs_information`` and ``missing``
lists the facts that would settle it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from borderwatch.domain import InputError
from borderwatch.screening.case_file import Claimant, ScreeningCase, parse_case
from borderwatch.screening.conditions import (
    ENTRY_RULES,
    EXCEPTIONS_FOR,
    PERSON_RULES,
    RULE_LOGIC,
    Context,
)
from borderwatch.screening.logic import Finding, unique
from borderwatch.screening.removal import RemovalNote, removal_notes
from borderwatch.screening.ruleset import RULES

Outcome = Literal["no_claim", "not_applicable", "exception", "ineligible", "needs_information"]
OUTCOMES: tuple[str, ...] = (
    "no_claim",
    "not_applicable",
    "exception",
    "ineligible",
    "needs_information",
)

INELIGIBLE_CONSEQUENCE = (
    "If confirmed: ineligible under IRPA 101(1)(e); report under IRPA 44(1), exclusion order, "
    "return to the US as the country of last presence (IRPR 241(1)(a)); no pre-removal risk "
    "assessment (IRPA 112(2)(b))."
)
OFFICER_DECIDES = (
    "Decision support only: an officer decides eligibility (IRPA 100(1)); the claimant bears "
    "the burden of proof on a balance of probabilities (IRPA 100(1.1))."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonResult:
    """The proposed STCA outcome for one person, with everything that led to it."""

    person_id: str
    outcome: Outcome
    rule: str | None
    """The A/N id that decided applicability (None when no claim, or still open)."""
    exception: str | None
    citations: tuple[str, ...]
    missing: tuple[str, ...]
    """Field paths whose answers would settle a ``needs_information`` outcome."""
    review_flags: tuple[str, ...]
    explanation: tuple[str, ...]
    removal: tuple[RemovalNote, ...]
    """A separate question: never changes the outcome."""
    law_date: date | None
    rule_set: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreeningResult:
    case_id: str
    law_date: date | None
    """The what-if date when given; else the law date shared by everyone (None if they differ)."""
    rule_set: str | None
    simulated: bool
    people: tuple[PersonResult, ...]


@dataclass(frozen=True, slots=True)
class _Branch:
    rule: str
    outcome: Outcome
    exception: str | None
    missing: tuple[str, ...]


def screen(
    case: dict[str, Any] | ScreeningCase, *, law_date: date | None = None
) -> ScreeningResult:
    """Screen every person of ``case``; ``law_date`` overrides the claim date (what-if)."""
    parsed = case if isinstance(case, ScreeningCase) else parse_case(case)
    if law_date is not None and law_date < RULES.agreement_in_force:
        raise InputError(
            "law_date",
            f"{law_date} is before the Agreement came into force ({RULES.agreement_in_force})",
        )
    people = tuple(_screen_person(parsed, person, law_date) for person in parsed.people)
    law_dates = {p.law_date for p in people if p.law_date is not None}
    common = (
        law_date if law_date is not None else (law_dates.pop() if len(law_dates) == 1 else None)
    )
    return ScreeningResult(
        case_id=parsed.case_id,
        law_date=common,
        rule_set=RULES.rule_set_id(common) if common is not None else None,
        simulated=parsed.simulated,
        people=people,
    )


def _rule_line(finding: Finding) -> str:
    rule = RULES.rules[finding.rule_id]
    line = f"{rule.rule_id} {rule.title} ({rule.citation}): {finding.label} - {finding.reason}"
    if finding.status is None and finding.missing:
        line += f"; unknown: {', '.join(finding.missing)}"
    return line + "."


def _evaluate(ctx: Context, rule_id: str) -> Finding:
    rule = RULES.rules[rule_id]
    if not rule.in_force(ctx.law_date):
        return Finding(
            rule_id=rule_id,
            status=False,
            reason=f"not in force on {ctx.law_date} (in force {rule.effective_from}"
            f" to {rule.effective_to or 'now'})",
        )
    return RULE_LOGIC[rule_id](ctx)


def _flags(case: ScreeningCase, person: Claimant, law_date: date) -> list[str]:
    flags: list[str] = []
    entry = case.entry
    assert person.claim_date is not None
    if entry.date is None:
        flags.append(
            "entry date unknown: the 14-day count (IRPR 159.4(1.1)) cannot be made; "
            "establish the day of entry"
        )
    elif entry.kind in (None, "between_ports"):
        days = (person.claim_date - entry.date).days
        if days in (13, 14):
            flags.append(
                f"claim made {days} days after the day of entry: at the 14-day "
                "boundary of IRPR 159.4(1.1); confirm both dates"
            )
    if law_date > RULES.later_law_after:
        flags.append(
            f"a later law may apply: claim after {RULES.later_law_after} "
            f"({RULES.later_law_text.strip()})"
        )
    suspension = RULES.suspension_on(law_date)
    if suspension is not None:
        flags.append(
            f"agreement suspended on {law_date} (IRPR 159.7, notice "
            f"{suspension.period_id}): the Agreement's regulations may not apply"
        )
    if entry.from_country not in (None, "US"):
        flags.append(
            f"entry.from_country={entry.from_country}: the Agreement concerns arrivals from the US"
        )
    return flags


def _branches(ctx: Context, findings: dict[str, Finding]) -> list[tuple[str, tuple[str, ...]]]:
    """Every applicability rule that may decide, with the facts that would make it decide."""
    branches: list[tuple[str, tuple[str, ...]]] = []
    pending: tuple[str, ...] = ()
    for rule_id in PERSON_RULES:
        finding = findings[rule_id]
        if finding.status is True:
            return [*branches, (rule_id, pending)]
        if finding.status is None:
            branches.append((rule_id, unique((*pending, *finding.missing))))
            pending = unique((*pending, *finding.missing))
    for rule_id in ENTRY_RULES:
        finding = findings[rule_id]
        if finding.status is not False:
            branches.append((rule_id, unique((*pending, *finding.missing))))
    if not branches:  # pragma: no cover - the entry rules are exhaustive
        raise RuntimeError(f"no applicability rule can decide for {ctx.claimant.person_id}")
    return branches


def _branch_outcome(rule_id: str, exceptions: dict[str, Finding]) -> _Branch:
    if RULES.rules[rule_id].kind == "not_applicable":
        return _Branch(rule_id, "not_applicable", None, ())
    considered = [exceptions[e] for e in EXCEPTIONS_FOR[rule_id]]
    established = next((f for f in considered if f.status is True), None)
    if established is not None:
        return _Branch(rule_id, "exception", established.rule_id, ())
    open_ = [f for f in considered if f.status is None]
    if open_:
        return _Branch(
            rule_id, "needs_information", None, unique(m for f in open_ for m in f.missing)
        )
    return _Branch(rule_id, "ineligible", None, ())


def _screen_person(case: ScreeningCase, person: Claimant, override: date | None) -> PersonResult:
    removal = removal_notes(person)
    if person.claim_date is None:
        law_date = override or case.entry.date
        return PersonResult(
            person_id=person.person_id,
            outcome="no_claim",
            rule=None,
            exception=None,
            citations=("IRPA 100(1)",),
            missing=(),
            review_flags=(),
            explanation=(
                "No refugee claim made (claim_date is null): there is no eligibility "
                "decision to support (IRPA 100(1)).",
            ),
            removal=removal,
            law_date=law_date,
            rule_set=RULES.rule_set_id(law_date) if law_date else None,
        )
    law_date = override or person.claim_date
    if law_date < RULES.agreement_in_force:
        raise InputError(
            f"people[{person.person_id}].claim_date",
            f"{law_date} is before the Agreement came into force",
        )
    rule_set = RULES.rule_set_id(law_date)
    ctx = Context(case=case, claimant=person, law_date=law_date, claim_date=person.claim_date)
    findings = {rid: _evaluate(ctx, rid) for rid in (*PERSON_RULES, *ENTRY_RULES)}
    branches = _branches(ctx, findings)
    needed = unique(e for rid, _ in branches for e in EXCEPTIONS_FOR.get(rid, ()))
    exceptions = {eid: _evaluate(ctx, eid) for eid in needed}
    outcomes = [(_branch_outcome(rid, exceptions), missing) for rid, missing in branches]

    kinds = {b.outcome for b, _ in outcomes}
    rules = unique(b.rule for b, _ in outcomes)
    excs = tuple(dict.fromkeys(b.exception for b, _ in outcomes))
    if len(kinds) == 1:
        outcome: Outcome = outcomes[0][0].outcome
        missing = unique(m for b, _ in outcomes for m in b.missing)
    else:
        outcome = "needs_information"
        missing = unique(m for b, app_missing in outcomes for m in (*app_missing, *b.missing))
    rule = rules[0] if len(rules) == 1 else None
    exception = excs[0] if len(excs) == 1 and outcome == "exception" else None

    source = "what-if law date" if override else "claim date"
    explanation = [f"Law date {law_date} ({source}); rule set {rule_set}."]
    explanation += [_rule_line(findings[rid]) for rid in (*PERSON_RULES, *ENTRY_RULES)]
    if len(branches) > 1:
        explanation.append(
            "Applicability is open between "
            + ", ".join(f"{b.rule} (-> {b.outcome})" for b, _ in outcomes)
            + "."
        )
    if "A3" in rules:
        explanation.append(
            "Under A3 (IRPR 159.4(2)) only E9 (IRPR 159.6) can apply; the "
            "159.5 exceptions E1-E8 are not available."
        )
    explanation += [_rule_line(exceptions[eid]) for eid in needed]
    if not needed:
        explanation.append("No exception considered: the Agreement does not apply.")
    citations = [RULES.rules[r].citation for r in rules]
    if exception is not None:
        citations.append(RULES.rules[exception].citation)
    if outcome == "needs_information":
        citations += [
            RULES.rules[f.rule_id].citation for f in exceptions.values() if f.status is None
        ]
    conclusion = {
        "not_applicable": f"Outcome: the Agreement does not apply ({rule}).",
        "exception": f"Outcome: the Agreement applies ({rule}) but exception {exception} is "
        "established: the claim may be referred.",
        "ineligible": f"Outcome: the Agreement applies ({rule}) and no exception is "
        "established. " + INELIGIBLE_CONSEQUENCE,
        "needs_information": "Outcome: depends on unknown facts; ask: " + ", ".join(missing) + ".",
    }[outcome]
    if outcome == "ineligible":
        citations += ["IRPA 101(1)(e)", "IRPA 44(1)", "IRPR 241(1)(a)", "IRPA 112(2)(b)"]
    suspension = RULES.suspension_on(law_date)
    if suspension is not None:
        # IRPR 159.7: while a published notice suspends the Agreement's regulations, what
        # the rules above found does not take effect; the suspension itself decides.
        conclusion = (
            f"Outcome: the Agreement's regulations are suspended on {law_date} by notice "
            f"{suspension.period_id} (IRPR 159.7); without the suspension: {conclusion}"
        )
        outcome, rule, exception, missing = "not_applicable", None, None, ()
        citations = ["IRPR 159.7"]
    explanation += [conclusion, OFFICER_DECIDES]
    return PersonResult(
        person_id=person.person_id,
        outcome=outcome,
        rule=rule,
        exception=exception,
        citations=unique(citations),
        missing=missing,
        review_flags=tuple(_flags(case, person, law_date)),
        explanation=tuple(explanation),
        removal=removal,
        law_date=law_date,
        rule_set=rule_set,
    )
