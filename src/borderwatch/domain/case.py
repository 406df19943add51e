"""Interceptions and cases: the people met on the ground, and what is known of them.

Facts a source did not give are never invented silently: an assumed value carries an
:class:`Assumption` saying so, and outputs show it as assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Assumption:
    """A value the record holds although no source stated it."""

    field: str
    """Which fact, e.g. ``people[p2].relations`` or ``interception.position``."""
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str
    age: int | None
    nationalities: tuple[str, ...]
    """ISO 3166-1 alpha-2 codes; empty when unknown."""
    name: str | None = None
    sex: str | None = None
    stateless: bool | None = None

    @property
    def is_minor(self) -> bool | None:
        """Under 18 (IRPR 159.5(e) uses "under 18"; 18 exactly is an adult). None if unknown.

        >>> [Person(p, age, ()).is_minor for p, age in (("a", 17), ("b", 18), ("c", None))]
        [True, False, None]
        """
        return None if self.age is None else self.age < 18


RELATIONS = frozenset(
    {
        "spouse",
        "common_law_partner",
        "legal_guardian",
        "child",
        "father",
        "mother",
        "brother",
        "sister",
        "grandfather",
        "grandmother",
        "grandchild",
        "uncle",
        "aunt",
        "nephew",
        "niece",
    }
)
"""Relations inside a case; the family-member list of IRPR 159.1."""


@dataclass(frozen=True, slots=True)
class Relation:
    """``person`` is ``is_`` of ``of``: e.g. p2 is mother of p5."""

    person: str
    is_: str
    of: str


@dataclass(frozen=True, slots=True)
class Interception:
    interception_id: str
    incident_id: str
    time: datetime
    lat: float
    lon: float
    unit_id: str
    people_count: int
    simulated: bool


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    interception: Interception
    people: tuple[Person, ...]
    relations: tuple[Relation, ...]
    assumptions: tuple[Assumption, ...]
    entry_kind: str
    """``between_ports``, ``land_port``, ``airport`` or ``harbour_port`` (screening input)."""
    entry_date: str | None
    from_country: str
    simulated: bool
