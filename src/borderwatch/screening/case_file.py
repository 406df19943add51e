"""The case file as the screening reads it: parsed, validated, every fact possibly unknown.

``None`` always means *unknown* and is never read as false. Unknown top-level and per-person
keys (``format``, ``interception``, ``name``, ``assumed``...) are ignored: ``case.json`` is a
superset of what screening needs. One exception to "null is unknown": a null ``claim_date``
means no claim has been made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from borderwatch.domain import RELATIONS, InputError

ENTRY_KINDS: tuple[str, ...] = ("land_port", "between_ports", "airport", "harbour_port")

FAMILY_STATUSES: frozenset[str] = frozenset(
    {
        "citizen",
        "permanent_resident",
        "protected_person",
        "removal_stayed_233",
        "refugee_claim_referred",
        "refugee_claim_ended",
        "work_permit",
        "study_permit",
        "work_permit_206b",
        "permit_invalid",
        "visitor",
        "none",
    }
)
DOCUMENT_TYPES: frozenset[str] = frozenset(
    {
        "permanent_resident_visa",
        "temporary_resident_visa",
        "temporary_resident_permit",
        "travel_document_31_3",
        "refugee_travel_papers",
        "temporary_travel_document",
        "work_permit",
        "study_permit",
        "eta",
        "passport",
        "other",
    }
)
DEATH_PENALTY_VALUES: frozenset[str] = frozenset({"none", "us", "other_country"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """How and when the group came into Canada."""

    kind: str | None
    """One of :data:`ENTRY_KINDS`, or None when unknown."""
    date: date | None
    from_country: str | None
    in_transit_removal_from_us: bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FamilyMember:
    """A relative in Canada; ``relation`` may be outside the 159.1 list (e.g. cousin)."""

    relation: str | None
    age: int | None
    status: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    type: str | None
    transit_only: bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Claimant:
    """One person of the group and the facts the Agreement turns on."""

    person_id: str
    age: int | None
    nationalities: tuple[str, ...] | None
    """ISO 3166-1 alpha-2 codes; None when unknown (an empty list means: none, stateless)."""
    stateless: bool | None
    former_habitual_residence: str | None
    claim_date: date | None
    """None: no claim has been made."""
    has_spouse_or_partner: bool | None
    parent_or_guardian_in_canada_or_us: bool | None
    family_in_canada: tuple[FamilyMember, ...] | None
    documents: tuple[Document, ...] | None
    visa_required_canada: bool | None
    visa_required_us: bool | None
    refused_entry_us_without_claim_adjudicated: bool | None
    canadian_pr_removed_from_us: bool | None
    death_penalty_charge: str | None

    def path(self, field: str) -> str:
        """The field path used in ``missing``: ``people[p8].parent_or_guardian_in_canada_or_us``."""
        return f"people[{self.person_id}].{field}"


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRelation:
    """``person`` is ``is_`` of ``of``: p2 is mother of p5."""

    person: str
    is_: str
    of: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreeningCase:
    case_id: str
    simulated: bool
    entry: Entry
    relations: tuple[GroupRelation, ...]
    people: tuple[Claimant, ...]


def _nullable_bool(raw: dict[str, Any], key: str, where: str) -> bool | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        raise InputError(
            f"{where}.{key}", f"must be true, false or null, got {value!r}", code="bool_or_null"
        )
    return value


def _nullable_date(raw: dict[str, Any], key: str, where: str) -> date | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(
        f"{where}.{key}",
        f"must be an ISO date YYYY-MM-DD or null, got {value!r}",
        code="date_or_null",
    )


def _nullable_choice(
    raw: dict[str, Any], key: str, where: str, allowed: frozenset[str]
) -> str | None:
    value = raw.get(key)
    # A list or object is no choice (and `in` a frozenset would raise TypeError on it).
    if value is not None and (not isinstance(value, str) or value not in allowed):
        raise InputError(
            f"{where}.{key}",
            f"must be one of {sorted(allowed)} or null, got {value!r}",
            code="choice_or_null",
        )
    return value


def _nullable_age(raw: dict[str, Any], key: str, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 130:
        raise InputError(
            f"{where}.{key}",
            f"must be a whole number of years 0-130 or null, got {value!r}",
            code="age_years",
            params={"max": 130},
        )
    return value


def _nullable_country(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not (isinstance(value, str) and len(value) == 2 and value.isalpha() and value.isupper()):
        raise InputError(
            f"{where}.{key}",
            f"must be an ISO 3166-1 alpha-2 code, got {value!r}",
            code="country_code",
        )
    return value


def _object(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InputError(where, f"must be an object, got {type(raw).__name__}")
    return raw


def _nullable_list(raw: dict[str, Any], key: str, where: str) -> list[Any] | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, list):
        raise InputError(f"{where}.{key}", f"must be a list or null, got {type(value).__name__}")
    return value


def _entry(raw: Any) -> Entry:
    item = _object(raw, "entry")
    kind = item.get("kind")
    if kind is not None and kind not in ENTRY_KINDS:
        raise InputError("entry.kind", f"must be one of {list(ENTRY_KINDS)} or null, got {kind!r}")
    return Entry(
        kind=kind,
        date=_nullable_date(item, "date", "entry"),
        from_country=_nullable_country(item, "from_country", "entry"),
        in_transit_removal_from_us=_nullable_bool(item, "in_transit_removal_from_us", "entry"),
    )


def _family_member(raw: Any, where: str) -> FamilyMember:
    item = _object(raw, where)
    relation = item.get("relation")
    if relation is not None and (not isinstance(relation, str) or not relation.strip()):
        raise InputError(f"{where}.relation", f"must be a relation name or null, got {relation!r}")
    return FamilyMember(
        relation=relation,
        age=_nullable_age(item, "age", where),
        status=_nullable_choice(item, "status", where, FAMILY_STATUSES),
    )


def _document(raw: Any, where: str) -> Document:
    item = _object(raw, where)
    return Document(
        type=_nullable_choice(item, "type", where, DOCUMENT_TYPES),
        transit_only=_nullable_bool(item, "transit_only", where),
    )


def _claimant(raw: Any, where: str) -> Claimant:
    item = _object(raw, where)
    person_id = item.get("id")
    if not isinstance(person_id, str) or not person_id.strip():
        raise InputError(f"{where}.id", f"must be a non-empty string, got {person_id!r}")
    raw_nationalities = _nullable_list(item, "nationalities", where)
    nationalities: tuple[str, ...] | None = None
    if raw_nationalities is not None:
        nationalities = tuple(
            _nullable_country({"n": code}, "n", f"{where}.nationalities[{i}]") or ""
            for i, code in enumerate(raw_nationalities)
        )
        if "" in nationalities:
            raise InputError(
                f"{where}.nationalities", "must not contain null", code="nationality_null"
            )
    family = _nullable_list(item, "family_in_canada", where)
    documents = _nullable_list(item, "documents", where)
    return Claimant(
        person_id=person_id,
        age=_nullable_age(item, "age", where),
        nationalities=nationalities,
        stateless=_nullable_bool(item, "stateless", where),
        former_habitual_residence=_nullable_country(item, "former_habitual_residence", where),
        claim_date=_nullable_date(item, "claim_date", where),
        has_spouse_or_partner=_nullable_bool(item, "has_spouse_or_partner", where),
        parent_or_guardian_in_canada_or_us=_nullable_bool(
            item, "parent_or_guardian_in_canada_or_us", where
        ),
        family_in_canada=None
        if family is None
        else tuple(
            _family_member(m, f"{where}.family_in_canada[{i}]") for i, m in enumerate(family)
        ),
        documents=None
        if documents is None
        else tuple(_document(d, f"{where}.documents[{i}]") for i, d in enumerate(documents)),
        visa_required_canada=_nullable_bool(item, "visa_required_canada", where),
        visa_required_us=_nullable_bool(item, "visa_required_us", where),
        refused_entry_us_without_claim_adjudicated=_nullable_bool(
            item, "refused_entry_us_without_claim_adjudicated", where
        ),
        canadian_pr_removed_from_us=_nullable_bool(item, "canadian_pr_removed_from_us", where),
        death_penalty_charge=_nullable_choice(
            item, "death_penalty_charge", where, DEATH_PENALTY_VALUES
        ),
    )


def parse_case(raw: Any) -> ScreeningCase:
    """Validate a case file (already decoded from JSON).

    Raises :class:`~borderwatch.domain.InputError` naming the field path, e.g.
    ``people[2].family_in_canada[0].status``, and the reason.

    >>> parse_case({"case_id": "X", "simulated": True, "entry": {"kind": "car"}, "people": []})
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field entry.kind: must be one of [...] or null, got 'car'
    """
    doc = _object(raw, "case")
    case_id = doc.get("case_id")
    if not isinstance(case_id, str) or not case_id.strip():
        raise InputError("case_id", f"must be a non-empty string, got {case_id!r}")
    simulated = doc.get("simulated", False)
    if not isinstance(simulated, bool):
        raise InputError("simulated", f"must be true or false, got {simulated!r}")
    if "entry" not in doc:
        raise InputError("entry", "is required (its facts may be null)")
    entry = _entry(doc["entry"])
    raw_people = doc.get("people")
    if not isinstance(raw_people, list) or not raw_people:
        raise InputError("people", "must be a non-empty list")
    people = tuple(_claimant(p, f"people[{i}]") for i, p in enumerate(raw_people))
    ids = [p.person_id for p in people]
    for i, person_id in enumerate(ids):
        if person_id in ids[:i]:
            raise InputError(f"people[{i}].id", f"duplicate person id {person_id!r}")
        claim_date = people[i].claim_date
        if entry.date is not None and claim_date is not None and claim_date < entry.date:
            raise InputError(
                f"people[{i}].claim_date", f"{claim_date} is before the entry date {entry.date}"
            )
    raw_relations = doc.get("relations") or []
    if not isinstance(raw_relations, list):
        raise InputError("relations", "must be a list")
    relations = []
    for i, rel in enumerate(raw_relations):
        item = _object(rel, f"relations[{i}]")
        for key in ("person", "of"):
            if item.get(key) not in ids:
                raise InputError(f"relations[{i}].{key}", f"{item.get(key)!r} is not a person id")
        if not isinstance(item.get("is"), str) or item["is"] not in RELATIONS:
            raise InputError(
                f"relations[{i}].is", f"must be one of {sorted(RELATIONS)}, got {item.get('is')!r}"
            )
        if item["person"] == item["of"]:
            raise InputError(f"relations[{i}]", "a person cannot be related to themself")
        relations.append(GroupRelation(person=item["person"], is_=item["is"], of=item["of"]))
    return ScreeningCase(
        case_id=case_id,
        simulated=simulated,
        entry=entry,
        relations=tuple(relations),
        people=people,
    )
