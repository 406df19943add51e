"""The field team's interception report: who was found, in what state, with what — and
nothing that identifies anyone.

A team at −27 °C records what it can see and must act on: how many people, adults or
children, their apparent ages, their condition (hypothermia, frostbite, injuries, whether
an ambulance took them), what they carried. Names, dates of birth, nationalities and
documents are not the field team's to collect: the screening officer records them with the
case (docs/officers.md), and the field roles never see them. A report that carries such a
field is refused, naming it, rather than silently dropping it (the team learns where that
information goes).

The report opens the case the screening officer takes over: one person per person found
(``p1``, ``p2``, ... in the report's order), the apparent age as the age, stated as an
assumption (an estimate by eye, not a fact).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from borderwatch.domain import InputError
from borderwatch.domain.case import Assumption, Case, Interception, Person
from borderwatch.domain.position import check_lat_lon
from borderwatch.domain.time import format_time, parse_time

CONDITIONS = ("hypothermia", "frostbite", "injury", "unconscious", "medical_transport")
"""What the team may record of a person's condition (first aid and transport decisions)."""
IDENTIFIERS = frozenset({
    "name", "names", "first_name", "last_name", "surname", "given_name", "date_of_birth",
    "dob", "birth_date", "nationality", "nationalities", "citizenship", "passport",
    "document", "documents", "id_number", "phone", "address", "photo", "fingerprints",
})
"""Fields refused with the reason that they identify a person."""
MAX_PEOPLE = 200
MAX_BELONGINGS = 500
MAX_AGE = 120
PERSON_FIELDS = frozenset({"apparent_age", "child", "conditions"})
REPORT_FIELDS = frozenset({"time", "lat", "lon", "unit_id", "people", "belongings",
                           "reported_by", "simulated"})
NOT_THEIRS = ("personal identifiers are not the field team's to collect: the screening "
              "officer records them with the case")


@dataclass(frozen=True, slots=True)
class PersonFound:
    apparent_age: int | None
    """Years, by eye (None: not judged)."""
    child: bool
    """Judged under 18 (a child's age is often easier to doubt than the fact)."""
    conditions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"apparent_age": self.apparent_age, "child": self.child,
                "conditions": list(self.conditions)}


@dataclass(frozen=True, slots=True)
class FieldInterception:
    incident_id: str
    time: datetime
    lat: float
    lon: float
    unit_id: str
    people: tuple[PersonFound, ...]
    belongings: str
    reported_by: str
    simulated: bool

    @property
    def children(self) -> int:
        return sum(p.child for p in self.people)

    def conditions(self) -> dict[str, int]:
        """How many people had each condition (for the operations centre and statistics)."""
        return {c: n for c in CONDITIONS
                if (n := sum(c in p.conditions for p in self.people))}

    def to_json(self) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "time": format_time(self.time),
                "lat": round(self.lat, 7), "lon": round(self.lon, 7), "unit_id": self.unit_id,
                "people_count": len(self.people), "children": self.children,
                "people": [p.to_json() for p in self.people],
                "conditions": self.conditions(), "belongings": self.belongings,
                "reported_by": self.reported_by, "simulated": self.simulated}


def parse_field_report(body: Any, *, incident_id: str, reported_by: str,
                       simulated: bool = False) -> FieldInterception:
    """The report from its JSON body (``InputError`` names the field and the reason).

    >>> r = parse_field_report({"time": "2025-02-03T13:27:00Z", "lat": 49.004,
    ...     "lon": -111.9, "unit_id": "RCMP-K-IBET",
    ...     "people": [{"apparent_age": 34, "child": False},
    ...                {"apparent_age": 7, "child": True, "conditions": ["hypothermia"]}]},
    ...     incident_id="INC-1", reported_by="RCMP (k1)")
    >>> len(r.people), r.children, r.conditions()
    (2, 1, {'hypothermia': 1})
    """
    if not isinstance(body, Mapping):
        raise InputError(None, "the report must be a JSON object")
    _refuse_unknown(body, REPORT_FIELDS, "")
    try:
        lat, lon = check_lat_lon(body.get("lat"), body.get("lon"))
    except InputError as err:
        raise err.at() from None
    unit_id = body.get("unit_id")
    if not isinstance(unit_id, str) or not unit_id.strip() or len(unit_id) > 100:
        raise InputError("unit_id", "the unit that intercepted: a non-empty id",
                         code="unit_required")
    people = body.get("people")
    if not isinstance(people, list) or not people:
        raise InputError("people", "list each person found (at least one)",
                         code="people_required")
    if len(people) > MAX_PEOPLE:
        raise InputError("people", f"at most {MAX_PEOPLE} people in one report",
                         code="people_max", params={"max": MAX_PEOPLE})
    belongings = body.get("belongings", "")
    if not isinstance(belongings, str) or len(belongings) > MAX_BELONGINGS:
        raise InputError("belongings", f"a text of at most {MAX_BELONGINGS} characters",
                         code="belongings_max", params={"max": MAX_BELONGINGS})
    return FieldInterception(
        incident_id=incident_id, time=parse_time(body.get("time"), "time"), lat=lat, lon=lon,
        unit_id=unit_id.strip(),
        people=tuple(_person(p, f"people[{n}]") for n, p in enumerate(people)),
        belongings=belongings.strip(), reported_by=reported_by,
        simulated=simulated or bool(body.get("simulated")))


def _refuse_unknown(item: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in item:
        name = f"{where}{key}"
        if str(key).lower() in IDENTIFIERS:
            raise InputError(name, NOT_THEIRS, code="identifier_refused")
        if key not in allowed:
            raise InputError(name, f"not a field of the report (use {', '.join(sorted(allowed))})",
                             code="not_a_report_field")


def _person(item: Any, where: str) -> PersonFound:
    if not isinstance(item, Mapping):
        raise InputError(where, "each person is an object (apparent_age, child, conditions)")
    _refuse_unknown(item, PERSON_FIELDS, f"{where}.")
    age = item.get("apparent_age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int | float)
                            or not math.isfinite(age) or not 0 <= age <= MAX_AGE):
        raise InputError(f"{where}.apparent_age", f"years from 0 to {MAX_AGE}, or null",
                         code="apparent_age_range", params={"max": MAX_AGE})
    child = item.get("child")
    if child is None and age is not None:
        child = age < 18
    if not isinstance(child, bool):
        raise InputError(f"{where}.child", "true or false (under 18 as judged)",
                         code="child_bool")
    if age is not None and child != (age < 18):
        raise InputError(f"{where}.child", f"says {'a child' if child else 'an adult'} but "
                         f"the apparent age is {age:g}",
                         code="child_but_adult_age" if child else "adult_but_child_age",
                         params={"age": age})
    conditions = item.get("conditions") or []
    if not isinstance(conditions, list) or any(c not in CONDITIONS for c in conditions):
        raise InputError(f"{where}.conditions", f"a list of {', '.join(CONDITIONS)}",
                         code="conditions_list")
    return PersonFound(None if age is None else round(age), child,
                       tuple(c for c in CONDITIONS if c in conditions))


def case_from_report(report: FieldInterception, *, case_id: str, interception_id: str,
                     entry_kind: str = "between_ports", from_country: str = "US",
                     entry_date: str | None = None) -> Case:
    """The case the screening officer takes over: the people as found, nothing more."""
    interception = Interception(interception_id, report.incident_id, report.time, report.lat,
                                report.lon, report.unit_id, len(report.people),
                                report.simulated)
    people = tuple(Person(f"p{n}", p.apparent_age, ())
                   for n, p in enumerate(report.people, start=1))
    assumptions: list[Assumption] = [Assumption(
        f"people[p{n}].age", str(p.apparent_age),
        "apparent age, estimated by the field team at the interception")
        for n, p in enumerate(report.people, start=1) if p.apparent_age is not None]
    assumptions.append(Assumption("person_ids", ", ".join(x.person_id for x in people),
                                  "numbered in the field team's order; no names recorded"))
    return Case(case_id, interception, people, (), tuple(assumptions), entry_kind,
                entry_date, from_country, report.simulated)


def summary_line(report: FieldInterception, where: Sequence[str] = ()) -> str:
    """One line for the timeline and the operations centre."""
    conditions = ", ".join(f"{n} {c.replace('_', ' ')}" for c, n in report.conditions().items())
    return (f"{report.unit_id} intercepted {len(report.people)} people ({report.children} "
            f"children){'; ' + conditions if conditions else ''}"
            + (f"; {', '.join(where)}" if where else ""))
