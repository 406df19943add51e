"""The logic of every rule id in ``rules.yaml``: one function per id, each citing its section.

Every function takes a :class:`Context` and returns a :class:`Finding` (True / False /
Unknown with the missing facts). :data:`RULE_LOGIC` is the registry; a test checks that it
and ``rules.yaml`` hold exactly the same ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from borderwatch.screening.case_file import Claimant, FamilyMember, ScreeningCase
from borderwatch.screening.logic import Finding, Tri, all3, any3, known, not3
from borderwatch.screening.ruleset import RULES, Rule


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """One person of one case, decided under the law of ``law_date``."""

    case: ScreeningCase
    claimant: Claimant
    law_date: date
    claim_date: date
    """The day the claim was made (screening is only asked for people who claimed)."""


def _finding(rule_id: str, tri: Tri, reason: str) -> Finding:
    return Finding(rule_id=rule_id, status=tri.status, reason=reason, missing=tri.missing)


# --- Who the Agreement does not apply to --------------------------------------------------


def n1_us_citizen(ctx: Context) -> Finding:
    # IRPA 101(1)(e): the Agreement concerns claimants coming from the US who are not its
    # citizens; a dual national holding US citizenship is a US citizen.
    nationalities = ctx.claimant.nationalities
    if nationalities is None:
        return _finding(
            "N1", known(None, ctx.claimant.path("nationalities")), "nationalities unknown"
        )
    holds = "US" in nationalities
    return _finding(
        "N1",
        Tri(holds),
        f"nationalities {list(nationalities)} " + ("include US" if holds else "do not include US"),
    )


def n2_stateless_former_us_resident(ctx: Context) -> Finding:
    # IRPR 159.2: stateless person whose country of former habitual residence is the US.
    person = ctx.claimant
    if person.nationalities:
        # Holding any nationality means not stateless, whatever `stateless` says.
        return _finding("N2", Tri(False), f"holds a nationality {list(person.nationalities)}")
    residence = person.former_habitual_residence
    stateless = known(person.stateless, person.path("stateless"))
    from_us = known(
        None if residence is None else residence == "US", person.path("former_habitual_residence")
    )
    tri = all3([stateless, from_us])
    return _finding(
        "N2", tri, f"stateless={person.stateless}, former_habitual_residence={residence}"
    )


def _kind_is(ctx: Context, kind: str) -> Tri:
    return known(None if ctx.case.entry.kind is None else ctx.case.entry.kind == kind, "entry.kind")


def _transit(ctx: Context) -> Tri:
    return known(ctx.case.entry.in_transit_removal_from_us, "entry.in_transit_removal_from_us")


def a1_land_port(ctx: Context) -> Finding:
    # IRPA 101(1)(e); IRPR 159.3 (the US is a designated country), 159.5 (exceptions).
    return _finding("A1", _kind_is(ctx, "land_port"), f"entry.kind={ctx.case.entry.kind}")


def a3_airport_transit_removal(ctx: Context) -> Finding:
    # IRPR 159.4(2): in transit through a Canadian airport while being removed from the US.
    tri = all3([_kind_is(ctx, "airport"), _transit(ctx)])
    return _finding(
        "A3",
        tri,
        f"entry.kind={ctx.case.entry.kind}, in_transit_removal_from_us="
        f"{ctx.case.entry.in_transit_removal_from_us}",
    )


def n3_airport_or_harbour(ctx: Context) -> Finding:
    # IRPR 159.4(1)(b),(c): airports (other than 159.4(2) transit) and harbour ports.
    tri = any3(
        [_kind_is(ctx, "harbour_port"), all3([_kind_is(ctx, "airport"), not3(_transit(ctx))])]
    )
    return _finding(
        "N3",
        tri,
        f"entry.kind={ctx.case.entry.kind}, in_transit_removal_from_us="
        f"{ctx.case.entry.in_transit_removal_from_us}",
    )


def _entry_covered(ctx: Context, rule: Rule) -> Tri:
    """Entry on/after the transitional date (SOR/2023-58): unknown entry dates stay unknown.

    The entry cannot be after the claim, so a claim before the date settles it.
    """
    start = rule.entry_on_or_after
    entry_date = ctx.case.entry.date
    if start is None:
        return Tri(True)
    if entry_date is not None:
        return Tri(entry_date >= start)
    if ctx.claim_date < start:
        return Tri(False)
    return Tri(None, ("entry.date",))


def _days_after_entry(ctx: Context, limit: int, *, within: bool) -> Tri:
    """IRPR 159.4(1.1): ``claim_date - entry_date < limit`` days; day 0 is the day of entry.

    A claim 13 days after entry is within 14 days; 14 days after is not.
    """
    entry_date = ctx.case.entry.date
    if entry_date is None:
        return Tri(None, ("entry.date",))
    days = (ctx.claim_date - entry_date).days
    return Tri(days < limit if within else days >= limit)


def _between_ports_reason(ctx: Context) -> str:
    entry_date = ctx.case.entry.date
    days = "unknown" if entry_date is None else str((ctx.claim_date - entry_date).days)
    return (
        f"entry.kind={ctx.case.entry.kind}, entry.date={entry_date}, "
        f"claim_date={ctx.claim_date}, days after entry={days}, law date={ctx.law_date}"
    )


def a2_between_ports_within_14_days(ctx: Context) -> Finding:
    # IRPR 159.4(1.1) (SOR/2023-58, in force 2023-03-25): between ports, claim < 14 days.
    rule = RULES.rules["A2"]
    if not rule.in_force(ctx.law_date):
        return Finding(
            rule_id="A2",
            status=False,
            reason=f"not in force on {ctx.law_date} (from {rule.effective_from})",
        )
    assert rule.days_limit is not None
    tri = all3(
        [
            _kind_is(ctx, "between_ports"),
            _entry_covered(ctx, rule),
            _days_after_entry(ctx, rule.days_limit, within=True),
        ]
    )
    return _finding("A2", tri, _between_ports_reason(ctx))


def n4_between_ports_after_14_days(ctx: Context) -> Finding:
    # IRPR 159.4(1)(a), (1.1): between ports, claim 14 or more days after the day of entry.
    rule = RULES.rules["N4"]
    if not rule.in_force(ctx.law_date):
        return Finding(
            rule_id="N4",
            status=False,
            reason=f"not in force on {ctx.law_date} (from {rule.effective_from})",
        )
    assert rule.days_limit is not None
    days_ok = _days_after_entry(ctx, rule.days_limit, within=False)
    start = rule.entry_on_or_after
    if (
        ctx.case.entry.date is None
        and start is not None
        and (ctx.claim_date - start).days < rule.days_limit
    ):
        days_ok = Tri(False)  # no covered entry date lies 14+ days before this claim
    tri = all3([_kind_is(ctx, "between_ports"), _entry_covered(ctx, rule), days_ok])
    return _finding("N4", tri, _between_ports_reason(ctx))


def n5_between_ports_before_2023(ctx: Context) -> Finding:
    # IRPR 159.4(1)(a) before SOR/2023-58; its transitional provision keeps entries made
    # before 2023-03-25 outside the Agreement whatever the claim date.
    a2 = RULES.rules["A2"]
    n5 = RULES.rules["N5"]
    if not a2.in_force(ctx.law_date):
        outside = Tri(True)
    else:
        outside = not3(_entry_covered(ctx, a2))
        if n5.entry_before is not None and ctx.case.entry.date is not None:
            outside = Tri(ctx.case.entry.date < n5.entry_before)
    tri = all3([_kind_is(ctx, "between_ports"), outside])
    return _finding("N5", tri, _between_ports_reason(ctx))


# --- Exceptions (IRPR 159.5, 159.6) --------------------------------------------------------


def _family_exception(
    rule_id: str, ctx: Context, statuses: frozenset[str], *, adult: bool, what: str
) -> Finding:
    """Any family member (IRPR 159.1 list) in Canada with one of ``statuses`` (and 18+)."""
    person = ctx.claimant
    family = person.family_in_canada
    if family is None:
        return _finding(
            rule_id, known(None, person.path("family_in_canada")), "family in Canada unknown"
        )
    parts: list[Tri] = []
    notes: list[str] = []
    for index, member in enumerate(family):
        where = person.path(f"family_in_canada[{index}]")
        parts.append(_member_qualifies(member, where, statuses, adult=adult))
        notes.append(f"{member.relation} aged {member.age} ({member.status})")
    tri = any3(parts)
    listed = "; ".join(notes) if notes else "none listed"
    return _finding(rule_id, tri, f"{what}; family in Canada: {listed}")


def _member_qualifies(
    member: FamilyMember, where: str, statuses: frozenset[str], *, adult: bool
) -> Tri:
    # IRPR 159.1: only the listed relations are family members (a cousin is not).
    relation = known(
        None if member.relation is None else member.relation in RULES.family_members,
        f"{where}.relation",
    )
    status = known(None if member.status is None else member.status in statuses, f"{where}.status")
    parts = [relation, status]
    if adult:
        # IRPR 159.5(c),(d): "at least 18 years of age" - exactly 18 counts.
        parts.append(known(None if member.age is None else member.age >= 18, f"{where}.age"))
    return all3(parts)


def e1_family_citizen(ctx: Context) -> Finding:
    # IRPR 159.5(a): a family member in Canada is a Canadian citizen.
    return _family_exception(
        "E1",
        ctx,
        frozenset({"citizen"}),
        adult=False,
        what="needs a family member who is a Canadian citizen",
    )


def e2_family_pr_protected_stayed(ctx: Context) -> Finding:
    # IRPR 159.5(b): permanent resident, protected person, or removal stayed under IRPR 233.
    return _family_exception(
        "E2",
        ctx,
        frozenset({"permanent_resident", "protected_person", "removal_stayed_233"}),
        adult=False,
        what="needs a family member who is a PR, protected person or stayed (233)",
    )


def e3_family_claim_referred(ctx: Context) -> Finding:
    # IRPR 159.5(c): adult family member whose claim was referred and is still open
    # ("refugee_claim_ended" covers withdrawn, abandoned, rejected, terminated, nullified).
    return _family_exception(
        "E3",
        ctx,
        frozenset({"refugee_claim_referred"}),
        adult=True,
        what="needs a family member aged 18+ with a referred, open claim",
    )


def e4_family_work_study_permit(ctx: Context) -> Finding:
    # IRPR 159.5(d): adult family member with a work or study permit, not a 206(b) work
    # permit and not invalidated under 209/222 (those statuses are excluded here).
    return _family_exception(
        "E4",
        ctx,
        frozenset({"work_permit", "study_permit"}),
        adult=True,
        what="needs a family member aged 18+ holding a work or study permit",
    )


ACCOMPANYING = frozenset({"mother", "father", "legal_guardian"})


def accompanied(case: ScreeningCase, person_id: str) -> bool:
    """A mother, father or legal guardian of ``person_id`` is in the group (``relations``).

    "X is child of Y" also makes Y a parent of X.
    """
    for rel in case.relations:
        if rel.of == person_id and rel.is_ in ACCOMPANYING:
            return True
        if rel.person == person_id and rel.is_ == "child":
            return True
    return False


def e5_unaccompanied_minor(ctx: Context) -> Finding:
    """Exception E5, the unaccompanied minor: true, false or unknown (an unknown age or
    family fact leaves it unknown), with the facts it was decided on."""
    # IRPR 159.5(e): under 18 (18 is an adult), not accompanied by mother, father or legal
    # guardian, no spouse or common-law partner, and no mother, father or legal guardian in
    # Canada or the United States.
    person = ctx.claimant
    minor = known(None if person.age is None else person.age < 18, person.path("age"))
    with_parent = accompanied(ctx.case, person.person_id)
    tri = all3(
        [
            minor,
            Tri(not with_parent),
            not3(known(person.has_spouse_or_partner, person.path("has_spouse_or_partner"))),
            not3(
                known(
                    person.parent_or_guardian_in_canada_or_us,
                    person.path("parent_or_guardian_in_canada_or_us"),
                )
            ),
        ]
    )
    return _finding(
        "E5",
        tri,
        (
            f"age={person.age}, accompanied by mother/father/guardian in the group="
            f"{with_parent}, has_spouse_or_partner={person.has_spouse_or_partner}, "
            f"parent_or_guardian_in_canada_or_us={person.parent_or_guardian_in_canada_or_us}"
        ),
    )


QUALIFYING_DOCUMENTS = frozenset(
    {
        "permanent_resident_visa",
        "temporary_resident_visa",
        "temporary_resident_permit",
        "travel_document_31_3",
        "refugee_travel_papers",
        "temporary_travel_document",
    }
)


def e6_canadian_document(ctx: Context) -> Finding:
    # IRPR 159.5(f): holds a Canadian PR/TR visa, TRP, 31(3) travel document, refugee travel
    # papers or temporary travel document; a transit-only document does not count. Work and
    # study permits held by the claimant are not on this list (only under 159.5(d)).
    person = ctx.claimant
    documents = person.documents
    if documents is None:
        return _finding("E6", known(None, person.path("documents")), "documents unknown")
    parts = []
    for index, doc in enumerate(documents):
        where = person.path(f"documents[{index}]")
        kind = known(
            None if doc.type is None else doc.type in QUALIFYING_DOCUMENTS, f"{where}.type"
        )
        parts.append(all3([kind, not3(known(doc.transit_only, f"{where}.transit_only"))]))
    listed = ", ".join(f"{d.type} (transit_only={d.transit_only})" for d in documents)
    return _finding("E6", any3(parts), f"documents: {listed or 'none'}")


def e7_visa_exempt_canada_not_us(ctx: Context) -> Finding:
    # IRPR 159.5(g): needs no visa for Canada but does need one for the US.
    person = ctx.claimant
    tri = all3(
        [
            not3(known(person.visa_required_canada, person.path("visa_required_canada"))),
            known(person.visa_required_us, person.path("visa_required_us")),
        ]
    )
    return _finding(
        "E7",
        tri,
        f"visa_required_canada={person.visa_required_canada}, "
        f"visa_required_us={person.visa_required_us}",
    )


def e8_refused_by_us_or_pr_removed(ctx: Context) -> Finding:
    # IRPR 159.5(h) with 159.01: refused entry to the US without a claim adjudicated there,
    # or a Canadian permanent resident removed from the US.
    person = ctx.claimant
    tri = any3(
        [
            known(
                person.refused_entry_us_without_claim_adjudicated,
                person.path("refused_entry_us_without_claim_adjudicated"),
            ),
            known(person.canadian_pr_removed_from_us, person.path("canadian_pr_removed_from_us")),
        ]
    )
    return _finding(
        "E8",
        tri,
        "refused_entry_us_without_claim_adjudicated="
        f"{person.refused_entry_us_without_claim_adjudicated}, "
        f"canadian_pr_removed_from_us={person.canadian_pr_removed_from_us}",
    )


def e9_death_penalty(ctx: Context) -> Finding:
    # IRPR 159.6: charged with or convicted of an offence punishable by death, in the US or
    # in another country. Applies to A3 (159.4(2)) as well.
    charge = ctx.claimant.death_penalty_charge
    tri = known(
        None if charge is None else charge in ("us", "other_country"),
        ctx.claimant.path("death_penalty_charge"),
    )
    return _finding("E9", tri, f"death_penalty_charge={charge}")


RuleLogic = Callable[[Context], Finding]

# N1, N2 first (they override how the person came); then the entry rules, which exclude
# one another.
PERSON_RULES: tuple[str, ...] = ("N1", "N2")
ENTRY_RULES: tuple[str, ...] = ("A1", "A2", "A3", "N3", "N4", "N5")
EXCEPTION_ORDER: tuple[str, ...] = ("E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9")
EXCEPTIONS_FOR: dict[str, tuple[str, ...]] = {
    "A1": EXCEPTION_ORDER,  # IRPR 159.5 (a)-(h) and 159.6
    "A2": EXCEPTION_ORDER,  # IRPR 159.4(1.1): 159.5(a)-(h) and 159.6
    "A3": ("E9",),  # IRPR 159.4(2): 159.5 does not help in transit on removal; 159.6 does
}

RULE_LOGIC: dict[str, RuleLogic] = {
    "A1": a1_land_port,
    "A2": a2_between_ports_within_14_days,
    "A3": a3_airport_transit_removal,
    "N1": n1_us_citizen,
    "N2": n2_stateless_former_us_resident,
    "N3": n3_airport_or_harbour,
    "N4": n4_between_ports_after_14_days,
    "N5": n5_between_ports_before_2023,
    "E1": e1_family_citizen,
    "E2": e2_family_pr_protected_stayed,
    "E3": e3_family_claim_referred,
    "E4": e4_family_work_study_permit,
    "E5": e5_unaccompanied_minor,
    "E6": e6_canadian_document,
    "E7": e7_visa_exempt_canada_not_us,
    "E8": e8_refused_by_us_or_pr_removed,
    "E9": e9_death_penalty,
}

if set(RULE_LOGIC) != set(RULES.rules):  # pragma: no cover - guarded by a unit test too
    raise RuntimeError(
        "rules.yaml and the engine disagree: "
        f"data-only {sorted(set(RULES.rules) - set(RULE_LOGIC))}, "
        f"logic-only {sorted(set(RULE_LOGIC) - set(RULES.rules))}"
    )
