"""Cases as data: ids, validation and the ``case.json`` format. Pure functions, no I/O.

``case.json`` (format ``borderwatch.case/1``) is a superset of the screening input of the
issue "Screening each person under the Safe Third Country Agreement", so a screening engine
reads it directly. Every screening fact is present; ``null`` means *unknown* and is never read
as false (docs/references.md, STCA: unknown facts go to officer review, not to a guess).

What this format adds beside the screening input:

- ``format``, ``interception`` (where, when, by whom), ``assumptions``;
- per person ``name``, ``sex`` and ``assumed`` (the person's fields held although no source
  stated them, from assumptions whose field is ``people[<id>].<field>``);
- per relation ``assumed: true`` when an assumption with field ``relations`` or
  ``people[<id>].relations`` (for either person of the relation) covers it.

``assumed`` flags are derived: on reading they are checked against the assumptions, not
stored. Unknown keys are ignored so the format can grow (as in the detection wire format).
Times are written with :func:`borderwatch.domain.time.format_time`, i.e. UTC to the
millisecond: a finer time does not survive a trip through ``case.json``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Final

from borderwatch.domain import (
    RELATIONS,
    Assumption,
    Case,
    InputError,
    Interception,
    Person,
    Relation,
    check_lat_lon,
)
from borderwatch.domain.time import format_time, parse_time

FORMAT: Final = "borderwatch.case/1"

ENTRY_KINDS: Final = frozenset({"between_ports", "land_port", "airport", "harbour_port"})
"""How the people entered Canada (screening input; IRPR 159.4 distinguishes them)."""

SCREENING_PERSON_FIELDS: Final = (
    "stateless",
    "former_habitual_residence",
    "claim_date",
    "has_spouse_or_partner",
    "parent_or_guardian_in_canada_or_us",
    "family_in_canada",
    "documents",
    "visa_required_canada",
    "visa_required_us",
    "refused_entry_us_without_claim_adjudicated",
    "canadian_pr_removed_from_us",
    "death_penalty_charge",
)
"""Per-person facts the screening input names besides ``id``, ``age`` and ``nationalities``."""

_UNHELD_PERSON_FIELDS: Final = SCREENING_PERSON_FIELDS[1:]
"""Screening facts the domain :class:`Person` cannot hold yet: always ``null`` for now."""

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_REGION = re.compile(r"[A-Z0-9]{1,3}")
_PERSON_FIELD = re.compile(r"people\[([^\]]*)\]\.(.+)")
MAX_AGE: Final = 130


# --- ids ---------------------------------------------------------------------------------


def new_case_id(region: str, date: date, seq: int) -> str:
    """The id of the ``seq``-th case opened in ``region`` on ``date``.

    >>> import datetime
    >>> new_case_id("AB", datetime.date(2025, 2, 3), 1)
    'AB-2025-0203-001'

    Ids sort by region, then date, then sequence: ``seq`` is therefore 1 to 999.

    >>> new_case_id("AB", datetime.date(2025, 2, 3), 1000)
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field seq: must be an integer in [1, 999], got 1000
    """
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise InputError("region", f"must be 1 to 3 capital letters or digits, got {region!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= 999:
        raise InputError("seq", f"must be an integer in [1, 999], got {seq!r}")
    return f"{region}-{date:%Y-%m%d}-{seq:03d}"


# --- validation of domain objects --------------------------------------------------------


def validate_relations(people: Sequence[Person], relations: Sequence[Relation]) -> None:
    """Check that every relation joins two different known people with a IRPR 159.1 word.

    >>> validate_relations([Person("p1", 30, ())], [Relation("p1", "mother", "p9")])
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field relations[0].of: names unknown person 'p9'
    """
    known = {p.person_id for p in people}
    for index, relation in enumerate(relations):
        where = f"relations[{index}]"
        if relation.person not in known:
            raise InputError(f"{where}.person", f"names unknown person {relation.person!r}")
        if relation.of not in known:
            raise InputError(f"{where}.of", f"names unknown person {relation.of!r}")
        if relation.is_ not in RELATIONS:
            raise InputError(
                f"{where}.is",
                f"must be one of {', '.join(sorted(RELATIONS))}, got {relation.is_!r}",
            )
        if relation.person == relation.of:
            raise InputError(where, f"relates person {relation.person!r} to themself")


def validate_interception(interception: Interception, where: str = "interception") -> None:
    """Check an interception before it is stored. A position is required, never defaulted."""
    _check_id(f"{where}.interception_id", interception.interception_id)
    _check_text(f"{where}.incident_id", interception.incident_id)
    _check_text(f"{where}.unit_id", interception.unit_id)
    time = interception.time
    if not isinstance(time, datetime):
        raise InputError(f"{where}.time", f"must be a datetime, got {type(time).__name__}")
    if time.tzinfo is None or time.utcoffset() is None:
        # A naive time would be read as the machine's local time: refuse it.
        raise InputError(f"{where}.time", "must be timezone-aware (UTC inside)")
    try:
        check_lat_lon(interception.lat, interception.lon)
    except InputError as error:
        raise InputError(f"{where}.{error.field}", error.reason) from None
    count = interception.people_count
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InputError(f"{where}.people_count", f"must be an integer >= 1, got {count!r}")
    _check_bool(f"{where}.simulated", interception.simulated)


def validate_case(case: Case) -> None:
    """Check a whole case before anything of it is stored; the error names the field path."""
    _check_id("case_id", case.case_id)
    validate_interception(case.interception)
    _check_bool("simulated", case.simulated)
    if case.interception.simulated and not case.simulated:
        # Simulated data is marked as such in every output (docs/references.md).
        raise InputError("simulated", "must be true: the interception is simulated")
    if case.entry_kind not in ENTRY_KINDS:
        kinds = ", ".join(sorted(ENTRY_KINDS))
        raise InputError("entry.kind", f"must be one of {kinds}, got {case.entry_kind!r}")
    if case.entry_date is not None:
        _parse_date("entry.date", case.entry_date)
    _check_country("entry.from_country", case.from_country)
    if not case.people:
        raise InputError("people", "must name at least one person")
    seen: set[str] = set()
    for index, person in enumerate(case.people):
        _validate_person(f"people[{index}]", person)
        if person.person_id in seen:
            raise InputError(f"people[{index}].id", f"repeats person id {person.person_id!r}")
        seen.add(person.person_id)
    validate_relations(case.people, case.relations)
    for index, assumption in enumerate(case.assumptions):
        where = f"assumptions[{index}]"
        _check_text(f"{where}.field", assumption.field)
        _check_str(f"{where}.value", assumption.value)
        _check_text(f"{where}.reason", assumption.reason)
        match = _PERSON_FIELD.fullmatch(assumption.field)
        if match and match.group(1) not in seen:
            raise InputError(f"{where}.field", f"names unknown person {match.group(1)!r}")


def _validate_person(where: str, person: Person) -> None:
    _check_id(f"{where}.id", person.person_id)
    age = person.age
    if age is not None and (
        isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= MAX_AGE
    ):
        raise InputError(
            f"{where}.age", f"must be null or an integer in [0, {MAX_AGE}], got {age!r}"
        )
    if not isinstance(person.nationalities, tuple):
        raise InputError(f"{where}.nationalities", "must be a tuple of country codes")
    for i, country in enumerate(person.nationalities):
        _check_country(f"{where}.nationalities[{i}]", country)
    if len(set(person.nationalities)) != len(person.nationalities):
        raise InputError(f"{where}.nationalities", "repeats a country")
    if person.name is not None:
        _check_text(f"{where}.name", person.name)
    if person.sex is not None:
        _check_text(f"{where}.sex", person.sex)
    if person.stateless is not None:
        _check_bool(f"{where}.stateless", person.stateless)


def normalise_interception(interception: Interception) -> Interception:
    """The interception as every store returns it: time in UTC, coordinates as floats."""
    return replace(
        interception,
        time=interception.time.astimezone(UTC),
        lat=float(interception.lat),
        lon=float(interception.lon),
    )


# --- derived "assumed" flags -------------------------------------------------------------


def assumed_fields(case: Case, person_id: str) -> list[str]:
    """The person's fields that assumptions cover, in assumption order, without repeats."""
    fields: list[str] = []
    for assumption in case.assumptions:
        match = _PERSON_FIELD.fullmatch(assumption.field)
        if match and match.group(1) == person_id and match.group(2) not in fields:
            fields.append(match.group(2))
    return fields


def relation_is_assumed(case: Case, relation: Relation) -> bool:
    """Whether an assumption covers the relation (``relations`` or a person's ``relations``)."""
    covering = {
        "relations",
        f"people[{relation.person}].relations",
        f"people[{relation.of}].relations",
    }
    return any(a.field in covering for a in case.assumptions)


# --- case.json ---------------------------------------------------------------------------


def case_to_json(case: Case) -> dict[str, Any]:
    """The ``case.json`` object for a case (see the module docstring)."""
    return {
        "format": FORMAT,
        "case_id": case.case_id,
        "simulated": case.simulated,
        "entry": {
            "kind": case.entry_kind,
            "date": case.entry_date,
            "from_country": case.from_country,
            # IRPR 159.4(2): only an airport arrival can be an in-transit removal from the US;
            # any other entry is known not to be one. At an airport it is unknown for now.
            "in_transit_removal_from_us": None if case.entry_kind == "airport" else False,
        },
        "interception": _interception_to_json(case.interception),
        "relations": [
            {
                "person": r.person,
                "is": r.is_,
                "of": r.of,
                "assumed": relation_is_assumed(case, r),
            }
            for r in case.relations
        ],
        "people": [_person_to_json(case, p) for p in case.people],
        "assumptions": [
            {"field": a.field, "value": a.value, "reason": a.reason} for a in case.assumptions
        ],
    }


def _interception_to_json(interception: Interception) -> dict[str, Any]:
    return {
        "interception_id": interception.interception_id,
        "incident_id": interception.incident_id,
        "time": format_time(interception.time),
        "lat": interception.lat,
        "lon": interception.lon,
        "unit_id": interception.unit_id,
        "people_count": interception.people_count,
        "simulated": interception.simulated,
    }


def _person_to_json(case: Case, person: Person) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": person.person_id,
        "name": person.name,
        "sex": person.sex,
        "age": person.age,
        "nationalities": list(person.nationalities),
        "stateless": person.stateless,
    }
    out.update(dict.fromkeys(_UNHELD_PERSON_FIELDS))
    out["assumed"] = assumed_fields(case, person.person_id)
    return out


def case_from_json(data: Any) -> Case:
    """The case a ``case.json`` object describes; the inverse of :func:`case_to_json`.

    Invalid input raises :class:`InputError` naming the field path and the reason:

    >>> case_from_json({"format": "borderwatch.case/1", "case_id": 7})
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field case_id: must be a string, got int
    """
    obj = _object("", data)
    form = obj.get("format")
    if form != FORMAT:
        raise InputError("format", f"must be {FORMAT!r}, got {form!r}")
    case_id = _string("case_id", _required(obj, "case_id", ""))
    simulated = _boolean("simulated", _required(obj, "simulated", ""))
    entry = _object("entry", _required(obj, "entry", ""))
    entry_kind = _string("entry.kind", _required(entry, "kind", "entry."))
    entry_date = entry.get("date")
    if entry_date is not None:
        _parse_date("entry.date", entry_date)
    from_country = _string("entry.from_country", _required(entry, "from_country", "entry."))
    interception = _interception_from_json(
        _object("interception", _required(obj, "interception", ""))
    )
    people = tuple(
        _person_from_json(f"people[{i}]", item)
        for i, item in enumerate(_array("people", _required(obj, "people", "")))
    )
    relations = tuple(
        _relation_from_json(f"relations[{i}]", item)
        for i, item in enumerate(_array("relations", obj.get("relations", [])))
    )
    assumptions = tuple(
        _assumption_from_json(f"assumptions[{i}]", item)
        for i, item in enumerate(_array("assumptions", obj.get("assumptions", [])))
    )
    case = Case(
        case_id=case_id,
        interception=interception,
        people=people,
        relations=relations,
        assumptions=assumptions,
        entry_kind=entry_kind,
        entry_date=entry_date,
        from_country=from_country,
        simulated=simulated,
    )
    validate_case(case)
    _check_derived(case, obj, entry)
    return case


def _interception_from_json(obj: Mapping[str, Any]) -> Interception:
    p = "interception."
    lat = _required(obj, "lat", p)
    lon = _required(obj, "lon", p)
    try:
        lat, lon = check_lat_lon(lat, lon)
    except InputError as error:
        raise InputError(f"{p}{error.field}", error.reason) from None
    count = _required(obj, "people_count", p)
    if isinstance(count, bool) or not isinstance(count, int):
        raise InputError(f"{p}people_count", f"must be an integer, got {count!r}")
    return Interception(
        interception_id=_string(f"{p}interception_id", _required(obj, "interception_id", p)),
        incident_id=_string(f"{p}incident_id", _required(obj, "incident_id", p)),
        time=_to_millisecond(parse_time(_required(obj, "time", p), f"{p}time")),
        lat=lat,
        lon=lon,
        unit_id=_string(f"{p}unit_id", _required(obj, "unit_id", p)),
        people_count=count,
        simulated=_boolean(f"{p}simulated", _required(obj, "simulated", p)),
    )


def _person_from_json(where: str, item: Any) -> Person:
    obj = _object(where, item)
    for field in _UNHELD_PERSON_FIELDS:
        if obj.get(field) is not None:
            # Dropping a stated fact would be worse than refusing it.
            raise InputError(f"{where}.{field}", f"{FORMAT} cannot hold it yet; must be null")
    age = obj.get("age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int)):
        raise InputError(f"{where}.age", f"must be null or an integer, got {age!r}")
    nationalities = _array(f"{where}.nationalities", _required(obj, "nationalities", f"{where}."))
    for i, country in enumerate(nationalities):
        _string(f"{where}.nationalities[{i}]", country)
    name = obj.get("name")
    sex = obj.get("sex")
    stateless = obj.get("stateless")
    return Person(
        person_id=_string(f"{where}.id", _required(obj, "id", f"{where}.")),
        age=age,
        nationalities=tuple(nationalities),
        name=None if name is None else _string(f"{where}.name", name),
        sex=None if sex is None else _string(f"{where}.sex", sex),
        stateless=None if stateless is None else _boolean(f"{where}.stateless", stateless),
    )


def _relation_from_json(where: str, item: Any) -> Relation:
    obj = _object(where, item)
    p = f"{where}."
    return Relation(
        person=_string(f"{p}person", _required(obj, "person", p)),
        is_=_string(f"{p}is", _required(obj, "is", p)),
        of=_string(f"{p}of", _required(obj, "of", p)),
    )


def _assumption_from_json(where: str, item: Any) -> Assumption:
    obj = _object(where, item)
    p = f"{where}."
    return Assumption(
        field=_string(f"{p}field", _required(obj, "field", p)),
        value=_string(f"{p}value", _required(obj, "value", p)),
        reason=_string(f"{p}reason", _required(obj, "reason", p)),
    )


def _check_derived(case: Case, obj: Mapping[str, Any], entry: Mapping[str, Any]) -> None:
    """Derived flags, when given, must agree with what the case says."""
    transit = entry.get("in_transit_removal_from_us")
    expected_transit = None if case.entry_kind == "airport" else False
    if transit is not None and transit is not expected_transit:
        raise InputError(
            "entry.in_transit_removal_from_us",
            f"must be {_json_word(expected_transit)} for a {case.entry_kind} entry"
            + (f" ({FORMAT} cannot hold it yet)" if expected_transit is None else ""),
        )
    for i, person in enumerate(case.people):
        given = obj["people"][i].get("assumed")
        expected = assumed_fields(case, person.person_id)
        if given is not None and given != expected:
            raise InputError(
                f"people[{i}].assumed", f"must match the assumptions: {expected!r}, got {given!r}"
            )
    for i, relation in enumerate(case.relations):
        given = obj["relations"][i].get("assumed")
        expected_flag = relation_is_assumed(case, relation)
        if given is not None and given is not expected_flag:
            raise InputError(
                f"relations[{i}].assumed",
                f"must match the assumptions: {_json_word(expected_flag)}, got {given!r}",
            )


# --- small checks ------------------------------------------------------------------------


def _json_word(value: bool | None) -> str:
    return "null" if value is None else str(value).lower()


def _required(obj: Mapping[str, Any], key: str, prefix: str) -> Any:
    if key not in obj or obj[key] is None:
        raise InputError(f"{prefix}{key}", "is required")
    return obj[key]


def _object(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InputError(where or None, f"must be a JSON object, got {type(value).__name__}")
    return value


def _array(where: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(where, f"must be a JSON array, got {type(value).__name__}")
    return value


def _string(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InputError(where, f"must be a string, got {type(value).__name__}")
    return value


def _boolean(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError(where, f"must be true or false, got {value!r}")
    return value


def _check_str(where: str, value: object) -> None:
    _string(where, value)


def _check_text(where: str, value: object) -> None:
    if not _string(where, value).strip():
        raise InputError(where, "must not be empty")


def _check_bool(where: str, value: object) -> None:
    _boolean(where, value)


def _check_id(where: str, value: object) -> None:
    if not _ID.fullmatch(_string(where, value)):
        raise InputError(where, f"must be 1 to 64 letters, digits, '_' or '-', got {value!r}")


def _check_country(where: str, value: object) -> None:
    if not _COUNTRY.fullmatch(_string(where, value)):
        raise InputError(where, f"must be an ISO 3166-1 alpha-2 code like 'VE', got {value!r}")


def _parse_date(where: str, value: object) -> date:
    text = _string(where, value)
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise InputError(where, f"must be a date as YYYY-MM-DD, got {text!r}") from None
    if parsed.isoformat() != text:
        raise InputError(where, f"must be a date as YYYY-MM-DD, got {text!r}")
    return parsed


def _to_millisecond(time: datetime) -> datetime:
    """``time`` cut to the millisecond, the precision ``case.json`` writes (format_time): a
    case read, written and read again is the same case (bench/fuzz.py checks it)."""
    return time.replace(microsecond=time.microsecond // 1000 * 1000)
