"""Removal deferrals (ADR, TSR under IRPR 230): a separate question from the Agreement.

A deferral stops removal to a country of nationality. It never changes the STCA outcome and
does not stop a return to the United States. The lists are dated data in ``rules.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from borderwatch.screening.case_file import Claimant
from borderwatch.screening.ruleset import RULES


@dataclass(frozen=True, slots=True, kw_only=True)
class RemovalNote:
    """Whether removal to one country of nationality is deferred, as the lists stood."""

    country: str
    deferred: bool | None
    """None: the list covers only part of the country (the officer checks the region)."""
    programme: str | None
    as_reported: str
    note: str


def removal_notes(person: Claimant) -> tuple[RemovalNote, ...]:
    """One note per nationality; none when nationalities are unknown or none (stateless)."""
    notes = []
    extra = ""
    if person.death_penalty_charge in ("us", "other_country"):
        extra = " Criminal charges reported: ADR may not apply to this person."
    for country in person.nationalities or ():
        deferred: bool | None = False
        programme: str | None = None
        as_reported = "; ".join(f"{r.programme} {r.as_reported}" for r in RULES.removal_lists)
        detail = "not on the ADR or TSR lists"
        for removal_list in RULES.removal_lists:
            if country in removal_list.countries:
                deferred, programme = True, removal_list.programme
                as_reported = removal_list.as_reported
                detail = f"on the {programme} list ({removal_list.countries[country]})"
                break
            if country in removal_list.partial:
                deferred, programme = None, removal_list.programme
                as_reported = removal_list.as_reported
                detail = (
                    f"partly on the {programme} list ({removal_list.partial[country]}): "
                    "check the region"
                )
                break
        notes.append(
            RemovalNote(
                country=country,
                deferred=deferred,
                programme=programme,
                as_reported=as_reported,
                note=f"Removal to {country}: {detail}, as reported {as_reported} "
                f"({RULES.removal_citation}). {RULES.removal_note.strip()}{extra}",
            )
        )
    return tuple(notes)
