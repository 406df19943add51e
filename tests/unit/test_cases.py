"""Cases as data: ids, validation and the case.json format (pure, no store)."""

from __future__ import annotations

import copy
import datetime as dt
import string
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.case_helpers import coutts_case

from borderwatch.cases import (
    FORMAT,
    case_from_json,
    case_to_json,
    new_case_id,
    validate_case,
    validate_relations,
)
from borderwatch.domain import (
    RELATIONS,
    Assumption,
    Case,
    InputError,
    Interception,
    Person,
    Relation,
)

SCREENING_PERSON_FIELDS = {
    "id",
    "age",
    "nationalities",
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
}
"""The per-person fields of the screening input (issue "Screening each person under the STCA")."""

MST = dt.timezone(dt.timedelta(hours=-7))


# --- ids --------------------------------------------------------------------------------


def test_new_case_id_is_region_date_and_padded_sequence() -> None:
    assert new_case_id("AB", dt.date(2025, 2, 3), 1) == "AB-2025-0203-001"
    assert new_case_id("AB", dt.date(2025, 12, 31), 42) == "AB-2025-1231-042"


@pytest.mark.parametrize(
    ("region", "seq", "field"),
    [
        ("AB", 0, "seq"),
        ("AB", 1000, "seq"),
        ("AB", True, "seq"),
        ("ab", 1, "region"),
        ("A-B", 1, "region"),
        ("", 1, "region"),
    ],
)
def test_new_case_id_refuses_what_would_not_sort(region: str, seq: int, field: str) -> None:
    with pytest.raises(InputError) as error:
        new_case_id(region, dt.date(2025, 2, 3), seq)
    assert error.value.field == field


# --- the age-18 boundary ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "minor"), [(0, True), (17, True), (18, False), (40, False), (None, None)]
)
def test_under_18_is_a_minor_and_18_is_an_adult(age: int | None, minor: bool | None) -> None:
    # IRPR 159.5(e): "under 18"; unknown age stays unknown, never "adult".
    assert Person("p1", age, ("VE",)).is_minor is minor


def test_ages_at_the_edges_survive_case_json_unchanged() -> None:
    case = coutts_case()
    edges = [18, 17, 0, None]  # 0: an infant is an age, not a missing one
    people = tuple(replace(p, age=age) for p, age in zip(case.people, edges, strict=False))
    back = case_from_json(case_to_json(replace(case, people=(*people, *case.people[4:]))))
    assert [p.age for p in back.people[:4]] == edges
    assert [p.is_minor for p in back.people[:4]] == [False, True, True, None]


# --- case.json --------------------------------------------------------------------------


def test_case_json_is_a_superset_of_the_screening_input() -> None:
    data = case_to_json(coutts_case())
    assert data["format"] == FORMAT == "borderwatch.case/1"
    assert data["case_id"] == "AB-2025-0203-001"
    assert data["simulated"] is True
    assert data["entry"] == {
        "kind": "between_ports",
        "date": "2025-02-03",
        "from_country": "US",
        "in_transit_removal_from_us": False,
    }
    assert data["relations"][0] == {"person": "p2", "is": "mother", "of": "p6", "assumed": True}
    for person in data["people"]:
        assert person.keys() >= SCREENING_PERSON_FIELDS
        assert {"name", "sex", "assumed"} <= person.keys()
    p7 = data["people"][6]
    assert p7["id"] == "p7" and p7["age"] == 7 and p7["nationalities"] == ["VE"]
    unknown = SCREENING_PERSON_FIELDS - {"id", "age", "nationalities"}
    # Unknown is null, never false: the screening engine must not read it as a "no".
    assert {field: p7[field] for field in unknown} == dict.fromkeys(unknown)
    assert p7["name"] is None


def test_case_json_carries_interception_and_assumptions() -> None:
    data = case_to_json(coutts_case())
    assert data["interception"] == {
        "interception_id": "int-0001",
        "incident_id": "inc-0001",
        "time": "2025-02-03T13:31:00.000Z",
        "lat": 49.0012,
        "lon": -111.9302,
        "unit_id": "rcmp-ibet-coutts",
        "people_count": 9,
        "simulated": True,
    }
    assert data["assumptions"][1] == {
        "field": "people[p1].age",
        "value": "34",
        "reason": "adult; exact age not published",
    }


def test_assumed_flags_come_from_the_assumptions() -> None:
    data = case_to_json(coutts_case())
    assumed = {p["id"]: p["assumed"] for p in data["people"]}
    assert assumed["p1"] == ["age"]
    assert assumed["p2"] == ["relations"]
    assert assumed["p3"] == []
    # p2's relations are assumed; p6 sister of p7 and p1 uncle of p5 are not covered.
    assert [r["assumed"] for r in data["relations"]] == [True, True, False, False]


def test_an_assumption_on_all_relations_marks_every_relation() -> None:
    case = coutts_case()
    case = replace(case, assumptions=(Assumption("relations", "as listed", "not published"),))
    assert all(r["assumed"] for r in case_to_json(case)["relations"])


def test_in_transit_removal_is_unknown_at_an_airport() -> None:
    case = replace(coutts_case(), entry_kind="airport")
    assert case_to_json(case)["entry"]["in_transit_removal_from_us"] is None


def test_case_json_round_trips_through_bytes() -> None:
    case = coutts_case()
    assert case_from_json(orjson.loads(orjson.dumps(case_to_json(case)))) == case


def test_case_json_keeps_time_to_the_millisecond_only() -> None:
    # format_time writes milliseconds; finer precision does not survive case.json.
    case = coutts_case()
    fine_time = dt.datetime(2025, 2, 3, 13, 31, 0, 123456, tzinfo=dt.UTC)
    fine = replace(case.interception, time=fine_time)
    back = case_from_json(case_to_json(replace(case, interception=fine)))
    assert back.interception.time == dt.datetime(2025, 2, 3, 13, 31, 0, 123000, tzinfo=dt.UTC)


def _bad(path: list[Any], value: Any, *, delete: bool = False) -> dict[str, Any]:
    data = copy.deepcopy(case_to_json(coutts_case()))
    target = data
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        (["people", 3, "age"], "29", "people[3].age", "integer"),
        (["people", 3, "age"], 131, "people[3].age", "[0, 130]"),
        (["people", 3, "age"], True, "people[3].age", "integer"),
        (["people", 3, "nationalities"], ["Venezuela"], "people[3].nationalities[0]", "alpha-2"),
        (["people", 3, "nationalities"], "VE", "people[3].nationalities", "array"),
        (["people", 3, "stateless"], "no", "people[3].stateless", "true or false"),
        (["people", 3, "claim_date"], "2025-02-10", "people[3].claim_date", "must be null"),
        (["people", 3, "documents"], [], "people[3].documents", "must be null"),
        (["people", 3, "assumed"], ["age"], "people[3].assumed", "match the assumptions"),
        (["people", 3, "id"], "p1", "people[3].id", "repeats person id 'p1'"),
        (["people", 3, "id"], "p 4", "people[3].id", "letters, digits"),
        (["people", 3], "p4", "people[3]", "JSON object"),
        (["people"], [], "people", "at least one person"),
        (["relations", 0, "of"], "p99", "relations[0].of", "unknown person 'p99'"),
        (["relations", 0, "is"], "friend", "relations[0].is", "must be one of"),
        (["relations", 0, "of"], "p2", "relations[0]", "themself"),
        (["relations", 2, "assumed"], True, "relations[2].assumed", "match the assumptions"),
        (["assumptions", 1, "field"], "people[p99].age", "assumptions[1].field", "unknown person"),
        (["assumptions", 1, "reason"], "", "assumptions[1].reason", "empty"),
        (["interception", "lat"], None, "interception.lat", "required"),
        (["interception", "lat"], 91.0, "interception.lat", "within"),
        (["interception", "time"], "2025-02-03T06:31:00", "interception.time", "offset"),
        (["interception", "people_count"], 0, "interception.people_count", ">= 1"),
        (["entry", "date"], "2025-2-3", "entry.date", "YYYY-MM-DD"),
        (["entry", "kind"], "beach", "entry.kind", "must be one of"),
        (["entry", "from_country"], "USA", "entry.from_country", "alpha-2"),
        (
            ["entry", "in_transit_removal_from_us"],
            True,
            "entry.in_transit_removal_from_us",
            "false",
        ),
        (["simulated"], False, "simulated", "interception is simulated"),
        (["format"], "borderwatch.case/2", "format", "borderwatch.case/1"),
        (["case_id"], 7, "case_id", "string"),
    ],
)
def test_case_from_json_names_the_field_path_and_the_reason(
    path: list[Any], value: Any, field: str, reason: str
) -> None:
    with pytest.raises(InputError) as error:
        case_from_json(_bad(path, value))
    assert error.value.field == field
    assert reason in error.value.reason
    assert str(error.value).startswith(f"field {field}: ")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (["case_id"], "case_id"),
        (["interception"], "interception"),
        (["interception", "unit_id"], "interception.unit_id"),
        (["people", 0, "id"], "people[0].id"),
        (["people", 0, "nationalities"], "people[0].nationalities"),
        (["relations", 1, "person"], "relations[1].person"),
        (["entry", "kind"], "entry.kind"),
    ],
)
def test_case_from_json_names_a_missing_field(path: list[Any], field: str) -> None:
    with pytest.raises(InputError) as error:
        case_from_json(_bad(path, None, delete=True))
    assert (error.value.field, error.value.reason) == (field, "is required")


def test_case_from_json_refuses_what_is_not_an_object() -> None:
    with pytest.raises(InputError, match="must be a JSON object, got list"):
        case_from_json([])


def test_case_from_json_ignores_unknown_keys_and_accepts_absent_derived_flags() -> None:
    data = case_to_json(coutts_case())
    data["added_by_a_later_version"] = {"x": 1}
    for person in data["people"]:
        del person["assumed"]
    del data["entry"]["in_transit_removal_from_us"]
    assert case_from_json(data) == coutts_case()


# --- validation of domain objects -------------------------------------------------------


def test_validate_relations_names_the_relation() -> None:
    people = [Person("p1", 30, ("VE",)), Person("p2", 7, ("VE",))]
    validate_relations(people, [Relation("p1", "mother", "p2")])
    cases = [
        (Relation("p9", "mother", "p2"), "relations[1].person"),
        (Relation("p1", "mother", "p9"), "relations[1].of"),
        (Relation("p1", "cousin", "p2"), "relations[1].is"),  # not a family member in 159.1
        (Relation("p1", "mother", "p1"), "relations[1]"),
    ]
    for relation, field in cases:
        with pytest.raises(InputError) as error:
            validate_relations(people, [Relation("p2", "child", "p1"), relation])
        assert error.value.field == field


def test_a_naive_interception_time_is_refused() -> None:
    case = coutts_case()
    naive = replace(case.interception, time=dt.datetime(2025, 2, 3, 6, 31))  # noqa: DTZ001 - the point
    with pytest.raises(InputError) as error:
        validate_case(replace(case, interception=naive))
    assert error.value.field == "interception.time"


# --- property: case.json is lossless ----------------------------------------------------

_ids = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=12)
_text = st.text(min_size=1, max_size=20).filter(str.strip)
_country = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2)
_times = st.datetimes(
    # hypothesis wants naive bounds and adds the zone itself.
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([dt.UTC, MST, dt.timezone(dt.timedelta(hours=5, minutes=30))]),
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
_people = st.lists(
    st.builds(
        Person,
        person_id=_ids,
        age=st.none() | st.integers(0, 130),
        nationalities=st.lists(_country, max_size=3, unique=True).map(tuple),
        name=st.none() | _text,
        sex=st.none() | st.sampled_from(["F", "M", "X"]),
        stateless=st.none() | st.booleans(),
    ),
    min_size=1,
    max_size=9,
    unique_by=lambda p: p.person_id,
)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    people = draw(_people)
    ids = [p.person_id for p in people]
    relations: list[Relation] = []
    if len(ids) > 1:
        for _ in range(draw(st.integers(0, 6))):
            person, of = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
            relations.append(Relation(person, draw(st.sampled_from(sorted(RELATIONS))), of))
    fields = st.sampled_from(["relations", "interception.position", "entry.date"]) | st.builds(
        "people[{}].{}".format,
        st.sampled_from(ids),
        st.sampled_from(["age", "relations", "nationalities"]),
    )
    assumptions = draw(
        st.lists(st.builds(Assumption, fields, st.text(max_size=10), _text), max_size=5)
    )
    simulated = draw(st.booleans())
    interception = Interception(
        interception_id=draw(_ids),
        incident_id=draw(_text),
        time=draw(_times),
        lat=draw(st.floats(-90, 90)),
        lon=draw(st.floats(-180, 180)),
        unit_id=draw(_text),
        people_count=draw(st.integers(1, 50)),
        simulated=simulated and draw(st.booleans()),
    )
    return Case(
        case_id=draw(_ids),
        interception=interception,
        people=tuple(people),
        relations=tuple(relations),
        assumptions=tuple(assumptions),
        entry_kind=draw(st.sampled_from(["between_ports", "land_port", "airport", "harbour_port"])),
        entry_date=draw(st.none() | st.dates().map(dt.date.isoformat)),
        from_country=draw(_country),
        simulated=simulated,
    )


@given(cases())
def test_case_json_round_trip_is_lossless(case: Case) -> None:
    data = orjson.loads(orjson.dumps(case_to_json(case)))
    assert case_from_json(data) == case


def test_a_time_finer_than_a_millisecond_reads_back_the_same_after_a_round_trip() -> None:
    # Found by bench/fuzz.py: "13:31:00.00015Z" was read to the microsecond and written to
    # the millisecond, so a case read, written and read again was another case.
    obj = orjson.loads(orjson.dumps(case_to_json(coutts_case())))
    obj["interception"]["time"] = "2025-02-03T13:31:00.00015Z"
    once = case_from_json(obj)
    assert once.interception is not None
    assert once.interception.time.microsecond == 0
    assert case_from_json(case_to_json(once)) == once
