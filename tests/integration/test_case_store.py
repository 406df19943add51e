"""One contract suite over every case store, so the fake cannot drift from the real one.

``memory`` is the official fake; ``sqlite`` is the SQL store on a real file under tmp_path.
The tests after the contract suite are about the SQL store alone (reopening, pragmas,
foreign keys, what is on disk, files written before by SQLAlchemy).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from tests.case_helpers import coutts_case, interception

from borderwatch.adapters.sqlite import case_schema as schema
from borderwatch.adapters.sqlite.case_schema import time_from_db, time_to_db
from borderwatch.adapters.sqlite.cases import SqlCaseStore
from borderwatch.cases import (
    CaseExists,
    CaseNotFound,
    CaseStore,
    InMemoryCaseStore,
    InterceptionConflict,
)
from borderwatch.domain import (
    Assumption,
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
        with SqlCaseStore(tmp_path / "borderwatch.db", clock=lambda: CREATED) as sql:
            yield sql


def row_counts(store: CaseStore) -> dict[str, int]:
    """Rows per table, read past the store's API (SQL store only; {} for the fake)."""
    if not isinstance(store, SqlCaseStore):
        return {}
    # The test looks at the tables themselves on purpose, through a connection of its own.
    return {table: raw(store.path, f"SELECT count(*) FROM {table}")[0][0]
            for table in schema.TABLES}


def raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql`` read past the store, on a connection of the test's own."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


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
        assert store.db.execute("PRAGMA foreign_keys") == [(1,)]
        assert store.db.read("PRAGMA foreign_keys") == [(1,)]
        assert store.db.execute("PRAGMA journal_mode") == [("wal",)]
        # The database itself refuses a relation to someone not in the case.
        with pytest.raises(sqlite3.IntegrityError):
            store.db.execute(
                'INSERT INTO relations (case_id, ordinal, person, "is", "of")'
                " VALUES ('AB-2025-0203-001', 99, 'p2', 'mother', 'p10')"
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
    with SqlCaseStore(tmp_path / "b.db", clock=lambda: CREATED) as store:
        store.open_case(coutts_case())
    ((on_disk,),) = raw(tmp_path / "b.db", "SELECT created_at FROM cases")
    assert isinstance(on_disk, str)
    created = time_from_db(on_disk)
    assert created == CREATED and created.utcoffset() == dt.timedelta(0)
    assert on_disk == "2025-02-03 14:00:00.000000"  # UTC on disk, whatever the writer's zone


def test_two_stores_on_one_file_both_write(tmp_path: Path) -> None:
    path = tmp_path / "borderwatch.db"
    with SqlCaseStore.at(path) as one, SqlCaseStore.at(path) as two:
        one.open_case(coutts_case("AB-2025-0203-001"))
        two.open_case(coutts_case("AB-2025-0203-002"))
        with pytest.raises(CaseExists):
            two.open_case(coutts_case("AB-2025-0203-001"))
        assert one.list_cases() == two.list_cases() == ["AB-2025-0203-001", "AB-2025-0203-002"]


def test_personal_data_lives_only_in_people_and_relations(tmp_path: Path) -> None:
    SqlCaseStore.at(tmp_path / "b.db").close()
    for table in schema.TABLES:
        columns = {row[1] for row in raw(tmp_path / "b.db", f"PRAGMA table_info({table})")}
        assert columns, table
        if table not in {"people", "relations"}:
            assert not schema.PERSONAL_COLUMNS & columns, table


def test_times_on_disk_are_utc_text_and_naive_is_refused() -> None:
    on_disk = time_to_db(dt.datetime(2025, 2, 3, 6, 16, 0, 5, tzinfo=MST))
    assert on_disk == "2025-02-03 13:16:00.000005"
    back = time_from_db(on_disk)
    assert back == dt.datetime(2025, 2, 3, 13, 16, 0, 5, tzinfo=dt.UTC)
    assert back.utcoffset() == dt.timedelta(0)
    assert time_from_db("2025-02-03 13:16:00") == dt.datetime(2025, 2, 3, 13, 16, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="naive"):
        time_to_db(dt.datetime(2025, 2, 3, 6, 16))  # noqa: DTZ001 - the point


# A file the SQLAlchemy store wrote (its DDL and value formats, as sqlite_master and the
# rows showed them): it must open, read back as it was, and take new cases.
_OLD_FILE = [
    "CREATE TABLE interceptions (interception_id VARCHAR(64) NOT NULL, incident_id "
    "VARCHAR(128) NOT NULL, time DATETIME NOT NULL, lat FLOAT NOT NULL, lon FLOAT NOT NULL, "
    "unit_id VARCHAR(128) NOT NULL, people_count INTEGER NOT NULL, simulated BOOLEAN NOT "
    "NULL, PRIMARY KEY (interception_id))",
    "CREATE INDEX ix_interceptions_incident_id ON interceptions (incident_id)",
    "CREATE TABLE cases (case_id VARCHAR(64) NOT NULL, interception_id VARCHAR(64) NOT NULL,"
    " entry_kind VARCHAR(32) NOT NULL, entry_date DATE, from_country VARCHAR(2) NOT NULL, "
    "simulated BOOLEAN NOT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (case_id), "
    "FOREIGN KEY(interception_id) REFERENCES interceptions (interception_id))",
    "CREATE INDEX ix_cases_interception_id ON cases (interception_id)",
    "CREATE TABLE people (case_id VARCHAR(64) NOT NULL, person_id VARCHAR(64) NOT NULL, "
    "ordinal INTEGER NOT NULL, age INTEGER, nationalities JSON NOT NULL, name TEXT, sex "
    "VARCHAR(32), stateless BOOLEAN, PRIMARY KEY (case_id, person_id), FOREIGN KEY(case_id) "
    "REFERENCES cases (case_id))",
    "CREATE TABLE assumptions (case_id VARCHAR(64) NOT NULL, ordinal INTEGER NOT NULL, field "
    "TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (case_id, "
    "ordinal), FOREIGN KEY(case_id) REFERENCES cases (case_id))",
    'CREATE TABLE relations (case_id VARCHAR(64) NOT NULL, ordinal INTEGER NOT NULL, person '
    'VARCHAR(64) NOT NULL, "is" VARCHAR(32) NOT NULL, "of" VARCHAR(64) NOT NULL, PRIMARY KEY '
    "(case_id, ordinal), FOREIGN KEY(case_id, person) REFERENCES people (case_id, "
    'person_id), FOREIGN KEY(case_id, "of") REFERENCES people (case_id, person_id), FOREIGN '
    "KEY(case_id) REFERENCES cases (case_id))",
    "INSERT INTO interceptions VALUES ('int-old', 'inc-old', '2025-02-03 13:31:00.000000', "
    "49.0012, -111.9302, 'rcmp-ibet-coutts', 2, 1)",
    "INSERT INTO cases VALUES ('AB-OLD', 'int-old', 'between_ports', '2025-02-03', 'US', 1, "
    "'2025-02-03 14:00:00.000000')",
    """INSERT INTO people VALUES ('AB-OLD', 'p1', 0, 34, '["VE", "CO"]', NULL, 'F', 0)""",
    """INSERT INTO people VALUES ('AB-OLD', 'p2', 1, 7, '["VE"]', 'Ana', NULL, NULL)""",
    "INSERT INTO relations VALUES ('AB-OLD', 0, 'p1', 'mother', 'p2')",
    "INSERT INTO assumptions VALUES ('AB-OLD', 0, 'relations', 'mother', 'reported')",
]


def test_a_file_written_by_the_sqlalchemy_store_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in _OLD_FILE:
        conn.execute(statement)
    conn.commit()
    conn.close()
    with SqlCaseStore.at(path) as store:
        old = store.get_case("AB-OLD")
        assert old.interception.time == dt.datetime(2025, 2, 3, 6, 31, tzinfo=MST)
        assert old.interception.simulated is True and old.simulated is True
        assert old.people == (
            Person("p1", 34, ("VE", "CO"), name=None, sex="F", stateless=False),
            Person("p2", 7, ("VE",), name="Ana", sex=None, stateless=None),
        )
        assert old.relations == (Relation("p1", "mother", "p2"),)
        assert old.assumptions == (Assumption("relations", "mother", "reported"),)
        assert (old.entry_kind, old.entry_date, old.from_country) == (
            "between_ports",
            "2025-02-03",
            "US",
        )
        store.open_case(coutts_case())
        assert store.list_cases() == ["AB-2025-0203-001", "AB-OLD"]
    # New rows are written in the old formats.
    assert raw(path, "SELECT time, simulated FROM interceptions ORDER BY interception_id") == [
        ("2025-02-03 13:31:00.000000", 1),
        ("2025-02-03 13:31:00.000000", 1),
    ]
    nationalities = "SELECT nationalities FROM people WHERE case_id = 'AB-2025-0203-001'"
    assert raw(path, nationalities + " AND person_id = 'p1'") == [('["VE"]',)]
