"""One contract suite over every case store, so the fake cannot drift from the real one.

``memory`` is the official fake; ``sqlite`` is the SQL store on a real file under tmp_path.
The tests after the contract suite are about the SQL store alone (reopening, pragmas,
PostgreSQL DDL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateIndex, CreateTable
from tests.case_helpers import coutts_case, interception

from borderwatch.adapters.sqlite import case_schema as schema
from borderwatch.adapters.sqlite.case_schema import UtcDateTime
from borderwatch.adapters.sqlite.cases import SqlCaseStore
from borderwatch.cases import (
    CaseExists,
    CaseNotFound,
    CaseStore,
    InMemoryCaseStore,
    InterceptionConflict,
)
from borderwatch.domain import (
    BorderwatchError,
    InputError,
    Person,
    Relation,
)

MST = dt.timezone(dt.timedelta(hours=-7))
CREATED = dt.datetime(2025, 2, 3, 14, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    if request.param == "memory":
        yield InMemoryCaseStore()
    else:
        with SqlCaseStore(f"sqlite:///{tmp_path / 'borderwatch.db'}", clock=lambda: CREATED) as sql:
            yield sql


def row_counts(store: CaseStore) -> dict[str, int]:
    """Rows per table, read past the store's API (SQL store only; {} for the fake)."""
    if not isinstance(store, SqlCaseStore):
        return {}
    engine = store._engine  # the test looks at the tables themselves on purpose
    with engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in schema.metadata.sorted_tables
        }


# --- contract ---------------------------------------------------------------------------


def test_a_nine_person_case_comes_back_equal(store: CaseStore) -> None:
    case = coutts_case()
    store.open_case(case)
    back = store.get_case(case.case_id)
    assert back == case
    assert [p.person_id for p in back.people] == [f"p{i}" for i in range(1, 10)]
    assert back.relations == case.relations  # order kept
    assert back.assumptions == case.assumptions
    assert [p.is_minor for p in back.people].count(True) == 5
    assert store.list_cases() == [case.case_id]


def test_a_second_case_with_the_same_id_is_refused_and_the_first_kept(store: CaseStore) -> None:
    first = coutts_case()
    store.open_case(first)
    before = row_counts(store)
    second = replace(
        coutts_case(at=interception("int-0002", "inc-0002")),
        people=(Person("p1", 40, ("CO",)),),
        relations=(),
        assumptions=(),
    )
    with pytest.raises(CaseExists) as error:
        store.open_case(second)
    assert isinstance(error.value, BorderwatchError)
    assert store.get_case(first.case_id) == first
    assert store.list_cases() == [first.case_id]
    # The second case's own interception was not written either.
    assert store.interceptions_for_incident("inc-0002") == []
    assert row_counts(store) == before


def test_a_relation_to_an_unknown_person_stores_nothing(store: CaseStore) -> None:
    case = coutts_case()
    broken = replace(case, relations=(*case.relations, Relation("p2", "mother", "p10")))
    with pytest.raises(InputError) as error:
        store.open_case(broken)
    assert error.value.field == "relations[4].of"
    assert store.list_cases() == []
    assert store.interceptions_for_incident("inc-0001") == []  # no interception row
    with pytest.raises(CaseNotFound):
        store.get_case(case.case_id)
    assert set(row_counts(store).values()) <= {0}  # no people, relations, ... rows
    store.open_case(case)  # the id is still free
    assert store.get_case(case.case_id) == case


def test_unknown_case_is_case_not_found_and_a_key_error(store: CaseStore) -> None:
    with pytest.raises(KeyError):
        store.get_case("AB-2025-0203-999")
    with pytest.raises(CaseNotFound, match="no case with id 'AB-2025-0203-999'"):
        store.get_case("AB-2025-0203-999")


def test_interceptions_for_incident_in_time_order(store: CaseStore) -> None:
    late = interception("int-b", "inc-0001", minute=50)
    early = interception("int-a", "inc-0001", minute=20)
    other = interception("int-c", "inc-0002", minute=30)
    for item in (late, other, early):
        store.save_interception(item)
    store.open_case(coutts_case(at=interception("int-d", "inc-0001", minute=40)))
    found = store.interceptions_for_incident("inc-0001")
    assert [i.interception_id for i in found] == ["int-a", "int-d", "int-b"]
    assert store.interceptions_for_incident("inc-0002") == [other]
    assert store.interceptions_for_incident("inc-none") == []


def test_times_come_back_utc_aware_and_equal(store: CaseStore) -> None:
    fine = replace(interception(), time=dt.datetime(2025, 2, 3, 6, 16, 0, 123456, tzinfo=MST))
    store.save_interception(fine)
    store.open_case(coutts_case(at=fine))
    for back in (
        store.interceptions_for_incident("inc-0001")[0],
        store.get_case("AB-2025-0203-001").interception,
    ):
        assert back.time == fine.time
        assert back.time.tzinfo is not None and back.time.utcoffset() == dt.timedelta(0)
        assert back.time == dt.datetime(2025, 2, 3, 13, 16, 0, 123456, tzinfo=dt.UTC)


def test_saving_an_interception_again_is_idempotent_but_not_a_silent_change(
    store: CaseStore,
) -> None:
    original = interception()
    store.save_interception(original)
    store.save_interception(replace(original, time=original.time.astimezone(dt.UTC)))  # same
    assert store.interceptions_for_incident("inc-0001") == [original]
    with pytest.raises(InterceptionConflict):
        store.save_interception(replace(original, people_count=8))
    with pytest.raises(InterceptionConflict):
        store.open_case(coutts_case(at=replace(original, lat=49.2)))
    assert store.list_cases() == []
    assert store.interceptions_for_incident("inc-0001") == [original]


def test_two_cases_can_share_one_interception(store: CaseStore) -> None:
    store.open_case(coutts_case("AB-2025-0203-002"))
    store.open_case(coutts_case("AB-2025-0203-001"))
    assert store.list_cases() == ["AB-2025-0203-001", "AB-2025-0203-002"]
    assert len(store.interceptions_for_incident("inc-0001")) == 1


def test_invalid_interception_is_refused(store: CaseStore) -> None:
    naive = replace(interception(), time=dt.datetime(2025, 2, 3, 6, 16))  # noqa: DTZ001 - the point
    with pytest.raises(InputError) as error:
        store.save_interception(naive)
    assert error.value.field == "interception.time"
    with pytest.raises(InputError) as error:
        store.save_interception(replace(interception(), lat=float("nan")))
    assert error.value.field == "interception.lat"
    assert store.interceptions_for_incident("inc-0001") == []


# --- the SQL store alone ----------------------------------------------------------------


def test_reopened_sqlite_file_still_has_the_case(tmp_path: Path) -> None:
    path = tmp_path / "borderwatch.db"
    case = coutts_case()
    with SqlCaseStore.at(path) as first:
        first.open_case(case)
    with SqlCaseStore.at(path) as again:
        assert again.list_cases() == [case.case_id]
        assert again.get_case(case.case_id) == case


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path: Path) -> None:
    with SqlCaseStore.at(tmp_path / "borderwatch.db") as store:
        store.open_case(coutts_case())
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        # The database itself refuses a relation to someone not in the case.
        with pytest.raises(IntegrityError), store._engine.begin() as conn:
            conn.execute(
                insert(schema.relations).values(
                    case_id="AB-2025-0203-001",
                    ordinal=99,
                    person="p2",
                    of="p10",
                    **{"is": "mother"},
                )
            )


def test_a_failure_mid_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    """The case's rows are written in one transaction: a failure after the first insert
    (here the clock, called after the interception row) rolls all of it back."""

    def broken_clock() -> dt.datetime:
        raise RuntimeError("clock failed")

    with SqlCaseStore.at(tmp_path / "borderwatch.db") as store:
        store._clock = broken_clock
        with pytest.raises(RuntimeError, match="clock failed"):
            store.open_case(coutts_case())
        assert set(row_counts(store).values()) == {0}


def test_created_at_is_stored_utc(tmp_path: Path) -> None:
    with SqlCaseStore(f"sqlite:///{tmp_path / 'b.db'}", clock=lambda: CREATED) as store:
        store.open_case(coutts_case())
        with store._engine.connect() as conn:
            created = conn.execute(select(schema.cases.c.created_at)).scalar_one()
            raw = conn.execute(text("SELECT created_at FROM cases")).scalar_one()
    assert created == CREATED and created.utcoffset() == dt.timedelta(0)
    assert raw == "2025-02-03 14:00:00.000000"  # UTC on disk, whatever the writer's zone


def test_two_stores_on_one_file_both_write(tmp_path: Path) -> None:
    path = tmp_path / "borderwatch.db"
    with SqlCaseStore.at(path) as one, SqlCaseStore.at(path) as two:
        one.open_case(coutts_case("AB-2025-0203-001"))
        two.open_case(coutts_case("AB-2025-0203-002"))
        with pytest.raises(CaseExists):
            two.open_case(coutts_case("AB-2025-0203-001"))
        assert one.list_cases() == two.list_cases() == ["AB-2025-0203-001", "AB-2025-0203-002"]


def test_personal_data_lives_only_in_people_and_relations() -> None:
    personal = {"name", "age", "sex", "nationalities", "stateless", "person", "of", "is"}
    for table in schema.metadata.sorted_tables:
        if table.name not in {"people", "relations"}:
            assert not personal & set(table.c.keys()), table.name


def test_schema_compiles_for_postgresql() -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    ddl = "\n".join(
        str(CreateTable(table).compile(dialect=dialect)) for table in schema.metadata.sorted_tables
    )
    ddl += "\n".join(
        str(CreateIndex(index).compile(dialect=dialect))
        for table in schema.metadata.sorted_tables
        for index in table.indexes
    )
    assert "time TIMESTAMP WITH TIME ZONE NOT NULL" in ddl
    assert '"is" VARCHAR(32) NOT NULL' in ddl  # reserved words are quoted
    assert "nationalities JSON NOT NULL" in ddl
    assert "ix_interceptions_incident_id" in ddl


def test_utc_datetime_keeps_the_offset_on_postgresql_and_refuses_naive() -> None:
    column_type = UtcDateTime()
    pg = postgresql.dialect()  # type: ignore[no-untyped-call]
    bound = column_type.process_bind_param(dt.datetime(2025, 2, 3, 6, 16, tzinfo=MST), pg)
    assert bound is not None and bound.tzinfo is not None
    assert bound == dt.datetime(2025, 2, 3, 13, 16, tzinfo=dt.UTC)
    read = column_type.process_result_value(dt.datetime(2025, 2, 3, 6, 16, tzinfo=MST), pg)
    assert read is not None and read.utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError, match="naive"):
        column_type.process_bind_param(dt.datetime(2025, 2, 3, 6, 16), pg)  # noqa: DTZ001
