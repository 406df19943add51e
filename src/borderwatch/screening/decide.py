"""The screening engine: one decision per person, under the law of the claim date.

Decision support only: the officer decides (IRPA 100(1)); the burden is on the claimant
(IRPA 100(1.1)). :func:`screen` is pure: the same case and law date give the same result and
the input is not modified.

How unknown facts are handled: applicability is worked out as *branches* - every rule id
that may still decide, given what is unknown (N1, N2 first, then the entry rule). Each branch
leads to an outcome (an applying rule goes on to its exceptions: a True exception wins, an
Unknown one matters only when none is True). :func:`combine_branches` turns the branches into
one outcome: the same outcome on every branch is that outcome; eligible on every branch
(``exception`` or ``not_applicable``, mixed) is ``eligible_either_way``; anything else is
``needs_information``, and ``missing`` lists the facts that would settle it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

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

Outcome = Literal[
    "no_claim",
    "not_applicable",
    "exception",
    "ineligible",
    "needs_information",
    "eligible_either_way",
]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
ELIGIBLE: frozenset[str] = frozenset({"exception", "not_applicable"})
"""Branch outcomes under which the Agreement does not bar referral to the Board: IRPA
101(1)(e) does not apply (N1-N5) or an exception is established (IRPR 159.5, 159.6).
``no_claim`` is not eligibility: there is no claim to refer (IRPA 100(1))."""

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
class Branch:
    """One applicability rule that may decide, and the outcome it leads to."""

    rule: str
    outcome: Outcome
    """``not_applicable``, ``exception``, ``ineligible`` or ``needs_information``."""
    exception: str | None
    """The exception established on this branch (first in IRPR 159.5 order), if any."""
    citations: tuple[str, ...]
    selected_by: tuple[str, ...]
    """Field paths whose answers would make this rule the one that decides."""
    missing: tuple[str, ...]
    """Field paths of the open exceptions on this branch (``needs_information`` only)."""


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
    """Field paths whose answers would settle a ``needs_information`` outcome, or, for
    ``eligible_either_way``, which rule applies (the result stays)."""
    review_flags: tuple[str, ...]
    explanation: tuple[str, ...]
    next_step: str
    """What the officer does next, in one or two sentences (the outcome in practice)."""
    branches: tuple[Branch, ...]
    """Every applicability rule that may still decide, each with where it leads (one when
    applicability is settled; none when there is no claim or a suspension decides)."""
    removal: tuple[RemovalNote, ...]
    """A separate question: never changes the outcome."""
    law_date: date | None
    rule_set: str | None
    law_date_source: Literal["claim_date", "what_if"] = "claim_date"
    """Where ``law_date`` came from: the claim date, or a what-if date given to screen."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreeningResult:
    case_id: str
    law_date: date | None
    """The what-if date when given; else the law date shared by everyone (None if they differ)."""
    rule_set: str | None
    simulated: bool
    people: tuple[PersonResult, ...]


def combine_branches(branches: Sequence[Branch]) -> tuple[Outcome, tuple[str, ...]]:
    """One outcome from the open branches, and the facts (field paths) still to ask.

    The branches are the rules that may still decide; the facts that would pick one are
    unknown. The outcome is what holds whichever rule turns out to decide:

    - every branch the same outcome: that outcome. A settled outcome asks for nothing (N1
      or N3 both ``not_applicable``: which one decides changes nothing); ``needs_information``
      asks for every branch's open facts.
    - every branch eligible (ELIGIBLE), mixing ``exception`` and ``not_applicable``:
      ``eligible_either_way``, asking for the facts that would settle the rule. They do not
      change the result, but on an ``exception`` branch the claimant must establish the
      exception (IRPR 159.5, IRPA 100(1.1)): knowing the rule tells the officer whether that
      evidence is what the referral rests on.
    - anything else: ``needs_information`` with every fact that could settle it. An
      ``ineligible`` branch beside an eligible one is a different practical result (return
      to the US, IRPR 241(1)(a), against referral), and so is a branch that is itself
      ``needs_information`` (its open exception may end ineligible). A removal deferral on
      an ineligible branch changes nothing here: it does not stop a return to the US.

    ``no_claim`` is never a branch (no claim, nothing to refer: decided before any rule),
    and a suspension (IRPR 159.7) decides after this, whatever the branches say.

    >>> a2 = Branch(rule="A2", outcome="exception", exception="E1", citations=(),
    ...             selected_by=("entry.date",), missing=())
    >>> n4 = Branch(rule="N4", outcome="not_applicable", exception=None, citations=(),
    ...             selected_by=("entry.date",), missing=())
    >>> combine_branches([a2, n4])
    ('eligible_either_way', ('entry.date',))
    >>> combine_branches([Branch(rule="A2", outcome="ineligible", exception=None,
    ...     citations=(), selected_by=("entry.date",), missing=()), n4])
    ('needs_information', ('entry.date',))
    """
    if not branches:
        raise ValueError("no branch to combine")
    kinds = {b.outcome for b in branches}
    if len(kinds) == 1:
        (only,) = kinds
        if only != "needs_information":
            return only, ()
        return only, unique(m for b in branches for m in (*b.selected_by, *b.missing))
    if kinds <= ELIGIBLE:
        return "eligible_either_way", unique(m for b in branches for m in b.selected_by)
    return "needs_information", unique(m for b in branches for m in (*b.selected_by, *b.missing))


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


def _branch_outcome(
    rule_id: str, selected_by: tuple[str, ...], exceptions: dict[str, Finding]
) -> Branch:
    rule = RULES.rules[rule_id]
    if rule.kind == "not_applicable":
        return Branch(
            rule=rule_id,
            outcome="not_applicable",
            exception=None,
            citations=(rule.citation,),
            selected_by=selected_by,
            missing=(),
        )
    considered = [exceptions[e] for e in EXCEPTIONS_FOR[rule_id]]
    established = next((f for f in considered if f.status is True), None)
    if established is not None:
        return Branch(
            rule=rule_id,
            outcome="exception",
            exception=established.rule_id,
            citations=(rule.citation, RULES.rules[established.rule_id].citation),
            selected_by=selected_by,
            missing=(),
        )
    open_ = [f for f in considered if f.status is None]
    if open_:
        return Branch(
            rule=rule_id,
            outcome="needs_information",
            exception=None,
            citations=(rule.citation, *(RULES.rules[f.rule_id].citation for f in open_)),
            selected_by=selected_by,
            missing=unique(m for f in open_ for m in f.missing),
        )
    return Branch(
        rule=rule_id,
        outcome="ineligible",
        exception=None,
        citations=(rule.citation, "IRPA 101(1)(e)"),
        selected_by=selected_by,
        missing=(),
    )


def _next_step(
    outcome: Outcome, missing: tuple[str, ...], branches: Sequence[Branch], exception: str | None
) -> str:
    """What the officer does next: the outcome said as an action (decision support)."""
    asks = ", ".join(missing)
    if outcome == "no_claim":
        return "No refugee claim: no eligibility decision to make (IRPA 100(1))."
    if outcome == "not_applicable":
        return (
            "The Agreement does not bar referral (IRPA 101(1)(e) does not apply); go on with "
            "the other eligibility grounds (IRPA 101(1))."
        )
    if outcome == "exception":
        return (
            f"Confirm the evidence for exception {exception or 'established'}: the claimant "
            "must establish it (IRPA 100(1.1)); if confirmed, the Agreement does not bar "
            "referral."
        )
    if outcome == "ineligible":
        return "Confirm the facts and the absence of any exception. " + INELIGIBLE_CONSEQUENCE
    if outcome == "needs_information":
        return f"Establish {asks} before deciding: the answers change the outcome."
    resting = [b for b in branches if b.outcome == "exception"]
    return (
        "The Agreement does not bar referral whichever rule applies ("
        + ", ".join(b.rule for b in branches)
        + f"): the Agreement question need not wait for {asks}. Confirm the evidence for "
        + ", ".join(f"{b.exception} ({b.citations[-1]}, needed under {b.rule})" for b in resting)
        + ": the claimant must establish it (IRPA 100(1.1)) and referral rests on it if that "
        + f"rule applies. Record {asks}: it settles which rule applies."
    )


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
            next_step=_next_step("no_claim", (), (), None),
            branches=(),
            removal=removal,
            law_date=law_date,
            rule_set=RULES.rule_set_id(law_date) if law_date else None,
        )
    law_date = override or person.claim_date
    if law_date < RULES.agreement_in_force:
        raise InputError(
            f"people[{person.person_id}].claim_date",
            f"{law_date} is before the Agreement came into force",
            code="claim_before_agreement",
            params={"date": law_date.isoformat()},
        )
    rule_set = RULES.rule_set_id(law_date)
    ctx = Context(case=case, claimant=person, law_date=law_date, claim_date=person.claim_date)
    findings = {rid: _evaluate(ctx, rid) for rid in (*PERSON_RULES, *ENTRY_RULES)}
    branches = _branches(ctx, findings)
    needed = unique(e for rid, _ in branches for e in EXCEPTIONS_FOR.get(rid, ()))
    exceptions = {eid: _evaluate(ctx, eid) for eid in needed}
    outcomes = tuple(_branch_outcome(rid, selected, exceptions) for rid, selected in branches)

    rules = unique(b.rule for b in outcomes)
    excs = tuple(dict.fromkeys(b.exception for b in outcomes))
    outcome, missing = combine_branches(outcomes)
    rule = rules[0] if len(rules) == 1 else None
    exception = excs[0] if len(excs) == 1 and outcome == "exception" else None

    source = "what-if law date" if override else "claim date"
    explanation = [f"Law date {law_date} ({source}); rule set {rule_set}."]
    explanation += [_rule_line(findings[rid]) for rid in (*PERSON_RULES, *ENTRY_RULES)]
    if len(branches) > 1:
        explanation.append(
            "Applicability is open between "
            + ", ".join(
                f"{b.rule} (-> {b.outcome}{' ' + b.exception if b.exception else ''})"
                for b in outcomes
            )
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
    if outcome == "eligible_either_way":
        citations += [c for b in outcomes for c in b.citations]
    conclusion = {
        "not_applicable": f"Outcome: the Agreement does not apply ({rule}).",
        "exception": f"Outcome: the Agreement applies ({rule}) but exception {exception} is "
        "established: the claim may be referred.",
        "ineligible": f"Outcome: the Agreement applies ({rule}) and no exception is "
        "established. " + INELIGIBLE_CONSEQUENCE,
        "needs_information": "Outcome: depends on unknown facts; ask: " + ", ".join(missing) + ".",
        "eligible_either_way": "Outcome: eligible either way - whichever of "
        + ", ".join(
            f"{b.rule} ({b.outcome}{' ' + b.exception if b.exception else ''})" for b in outcomes
        )
        + " decides, the Agreement does not make the claim ineligible (IRPA 101(1)(e)); "
        + ", ".join(missing)
        + " would settle which rule applies.",
    }[outcome]
    next_step = _next_step(outcome, missing, outcomes, exception)
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
        outcomes = ()
        next_step = (
            "The Agreement's regulations are suspended (IRPR 159.7): it does not bar "
            "referral; go on with the other eligibility grounds (IRPA 101(1))."
        )
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
        next_step=next_step,
        branches=outcomes,
        removal=removal,
        law_date=law_date,
        rule_set=rule_set,
        law_date_source="what_if" if override else "claim_date",
    )
