"""Cases as test data: the Coutts case (docs/references.md), shared by the case tests (pure
and store), and one screening input shared by the audit log tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from borderwatch.domain import Assumption, Case, Interception, Person, Relation

MST = dt.timezone(dt.timedelta(hours=-7))


def interception(
    interception_id: str = "int-0001", incident_id: str = "inc-0001", minute: int = 31
) -> Interception:
    """The interception south of Coutts, 2025-02-03 at 06:``minute`` MST (simulated)."""
    return Interception(
        interception_id=interception_id,
        incident_id=incident_id,
        time=dt.datetime(2025, 2, 3, 6, minute, tzinfo=MST),
        lat=49.0012,
        lon=-111.9302,
        unit_id="rcmp-ibet-coutts",
        people_count=9,
        simulated=True,
    )


def coutts_case(case_id: str = "AB-2025-0203-001", at: Interception | None = None) -> Case:
    """The nine people of SCENARIO.md: seven Venezuelans (13, 10, 7 the children), two
    Colombian children (7, 5). Relations were not published: these are assumed."""
    ages = [
        (34, "VE"),
        (31, "VE"),
        (45, "VE"),
        (29, "VE"),
        (13, "VE"),
        (10, "VE"),
        (7, "VE"),
        (7, "CO"),
        (5, "CO"),
    ]
    people = tuple(
        Person(f"p{i + 1}", age, (country,), sex="F" if i in (1, 5, 6) else None)
        for i, (age, country) in enumerate(ages)
    )
    return Case(
        case_id=case_id,
        interception=at or interception(),
        people=people,
        relations=(
            Relation("p2", "mother", "p6"),
            Relation("p2", "mother", "p7"),
            Relation("p6", "sister", "p7"),
            Relation("p1", "uncle", "p5"),
        ),
        assumptions=(
            Assumption(
                "people[p2].relations",
                "mother of p6 and p7",
                "camera images: two small girls holding a woman's hand",
            ),
            Assumption("people[p1].age", "34", "adult; exact age not published"),
            Assumption(
                "interception.position",
                "49.0012,-111.9302",
                "exact point not published; placed between ports",
            ),
        ),
        entry_kind="between_ports",
        entry_date="2025-02-03",
        from_country="US",
        simulated=True,
    )


SCREENED_CASE: dict[str, Any] = {
    "case_id": "AB-2025-0203-001",
    "simulated": True,
    "entry": {
        "kind": "between_ports",
        "date": "2025-02-03",
        "from_country": "US",
        "in_transit_removal_from_us": False,
    },
    "relations": [],
    "people": [
        {
            "id": "p1",
            "age": 30,
            "nationalities": ["VE"],
            "stateless": False,
            "claim_date": "2025-02-03",
            "family_in_canada": [],
            "documents": [],
            "visa_required_canada": True,
            "visa_required_us": True,
            "refused_entry_us_without_claim_adjudicated": False,
            "canadian_pr_removed_from_us": False,
            "death_penalty_charge": "none",
            "has_spouse_or_partner": False,
            "parent_or_guardian_in_canada_or_us": False,
        }
    ],
}
"""One Venezuelan adult in screening input form (`case.json`'s format): what the audit log
tests screen and record."""
