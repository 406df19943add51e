"""The case store on a SQL database: SQLite by default, PostgreSQL by URL.

Only SQLAlchemy Core and portable types are used, so ``postgresql+psycopg://...`` works where
``sqlite:///borderwatch.db`` does. Each write is one transaction: a case is stored whole or not
at all.

SQLite needs three settings to behave like a database here, made on every connection:

- ``PRAGMA foreign_keys = ON``: SQLite ignores foreign keys otherwise.
- ``PRAGMA journal_mode = WAL``: readers (the dashboard) do not block the writer.
- The sqlite3 driver's own transaction handling is switched off and SQLAlchemy emits
  ``BEGIN`` itself, because the driver only begins a transaction at the first INSERT: a SELECT
  that checks for a duplicate would otherwise run outside the transaction that writes.
  Writes begin with ``BEGIN IMMEDIATE`` so two writers queue instead of failing half-way
  (SQLAlchemy 2 documentation, "Serializable isolation / Savepoints / Transactional DDL").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, create_engine, event, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError

from borderwatch.adapters.sqlite import case_schema as schema
from borderwatch.cases.base import CaseExists, CaseNotFound, InterceptionConflict
from borderwatch.cases.records import (
    normalise_interception,
    validate_case,
    validate_interception,
)
from borderwatch.domain import Assumption, Case, Interception, Person, Relation
from borderwatch.domain.time import utc_now

_BEGIN_OPTION = "borderwatch_sqlite_begin"



class SqlCaseStore:
    """A :class:`borderwatch.cases.base.CaseStore` on SQLAlchemy Core.

    Creates its tables when they are absent. Close it (or use it as a context manager) to
    release the database.
    """

    def __init__(self, url: str | URL, *, clock: Callable[[], datetime] = utc_now) -> None:
        """``url``: a SQLAlchemy database URL. ``clock``: gives ``created_at`` (aware UTC)."""
        self._url = make_url(url)
        self._clock = clock
        self._engine = create_engine(self._url)
        if self._engine.dialect.name == "sqlite":
            _configure_sqlite(self._engine)
        schema.metadata.create_all(self._engine)

    @classmethod
    def at(cls, path: Path) -> SqlCaseStore:
        """A store in the SQLite file at ``path`` (created if absent)."""
        return cls(URL.create("sqlite", database=str(path)))

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqlCaseStore({self._url.render_as_string(hide_password=True)!r})"

    # --- writes --------------------------------------------------------------------------

    def save_interception(self, interception: Interception) -> None:
        validate_interception(interception)
        with self._write() as conn:
            self._put_interception(conn, normalise_interception(interception))

    def open_case(self, case: Case) -> None:
        validate_case(case)
        try:
            with self._write() as conn:
                if _case_exists(conn, case.case_id):
                    raise CaseExists(case.case_id)
                self._insert_case(conn, case)
        except IntegrityError:
            # Another writer stored the same id between our check and our insert (possible
            # on PostgreSQL under READ COMMITTED); the transaction was rolled back whole.
            with self._engine.connect() as conn:
                if _case_exists(conn, case.case_id):
                    raise CaseExists(case.case_id) from None
            raise

    def _insert_case(self, conn: Connection, case: Case) -> None:
        self._put_interception(conn, normalise_interception(case.interception))
        conn.execute(
            schema.cases.insert().values(
                case_id=case.case_id,
                interception_id=case.interception.interception_id,
                entry_kind=case.entry_kind,
                entry_date=None if case.entry_date is None else date.fromisoformat(case.entry_date),
                from_country=case.from_country,
                simulated=case.simulated,
                created_at=self._clock(),
            )
        )
        conn.execute(
            schema.people.insert(),
            [
                {
                    "case_id": case.case_id,
                    "person_id": p.person_id,
                    "ordinal": ordinal,
                    "age": p.age,
                    "nationalities": list(p.nationalities),
                    "name": p.name,
                    "sex": p.sex,
                    "stateless": p.stateless,
                }
                for ordinal, p in enumerate(case.people)
            ],
        )
        if case.relations:
            conn.execute(
                schema.relations.insert(),
                [
                    {
                        "case_id": case.case_id,
                        "ordinal": ordinal,
                        "person": r.person,
                        "is": r.is_,
                        "of": r.of,
                    }
                    for ordinal, r in enumerate(case.relations)
                ],
            )
        if case.assumptions:
            conn.execute(
                schema.assumptions.insert(),
                [
                    {
                        "case_id": case.case_id,
                        "ordinal": ordinal,
                        "field": a.field,
                        "value": a.value,
                        "reason": a.reason,
                    }
                    for ordinal, a in enumerate(case.assumptions)
                ],
            )

    def _put_interception(self, conn: Connection, interception: Interception) -> None:
        table = schema.interceptions
        row = conn.execute(
            select(table).where(table.c.interception_id == interception.interception_id)
        ).one_or_none()
        if row is None:
            conn.execute(
                table.insert().values(
                    interception_id=interception.interception_id,
                    incident_id=interception.incident_id,
                    time=interception.time,
                    lat=interception.lat,
                    lon=interception.lon,
                    unit_id=interception.unit_id,
                    people_count=interception.people_count,
                    simulated=interception.simulated,
                )
            )
        elif _interception(row._mapping) != interception:
            raise InterceptionConflict(interception.interception_id)

    # --- reads ---------------------------------------------------------------------------

    def get_case(self, case_id: str) -> Case:
        c, i, p, r, a = (
            schema.cases,
            schema.interceptions,
            schema.people,
            schema.relations,
            schema.assumptions,
        )
        with self._engine.connect() as conn:
            head = conn.execute(
                select(
                    c,
                    *[col for col in i.c if col.name != "simulated"],
                    i.c.simulated.label("interception_simulated"),
                )
                .join(i, c.c.interception_id == i.c.interception_id)
                .where(c.c.case_id == case_id)
            ).one_or_none()
            if head is None:
                raise CaseNotFound(case_id)
            person_rows = conn.execute(
                select(p).where(p.c.case_id == case_id).order_by(p.c.ordinal)
            ).all()
            relation_rows = conn.execute(
                select(r).where(r.c.case_id == case_id).order_by(r.c.ordinal)
            ).all()
            assumption_rows = conn.execute(
                select(a).where(a.c.case_id == case_id).order_by(a.c.ordinal)
            ).all()
        m = head._mapping
        interception = _interception({**m, "simulated": m["interception_simulated"]})
        entry_date: date | None = m["entry_date"]
        return Case(
            case_id=m["case_id"],
            interception=interception,
            people=tuple(
                Person(
                    person_id=row.person_id,
                    age=row.age,
                    nationalities=tuple(row.nationalities),
                    name=row.name,
                    sex=row.sex,
                    stateless=row.stateless,
                )
                for row in person_rows
            ),
            relations=tuple(
                Relation(person=row.person, is_=row._mapping["is"], of=row.of)
                for row in relation_rows
            ),
            assumptions=tuple(
                Assumption(field=row.field, value=row.value, reason=row.reason)
                for row in assumption_rows
            ),
            entry_kind=m["entry_kind"],
            entry_date=None if entry_date is None else entry_date.isoformat(),
            from_country=m["from_country"],
            simulated=m["simulated"],
        )

    def list_cases(self) -> list[str]:
        with self._engine.connect() as conn:
            ids = conn.execute(select(schema.cases.c.case_id).order_by(schema.cases.c.case_id))
            return list(ids.scalars())

    def interceptions_for_incident(self, incident_id: str) -> list[Interception]:
        table = schema.interceptions
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(table)
                .where(table.c.incident_id == incident_id)
                .order_by(table.c.time, table.c.interception_id)
            ).all()
        return [_interception(row._mapping) for row in rows]

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                yield conn


def _case_exists(conn: Connection, case_id: str) -> bool:
    found = conn.execute(
        select(schema.cases.c.case_id).where(schema.cases.c.case_id == case_id)
    ).first()
    return found is not None


def _interception(m: Any) -> Interception:
    return Interception(
        interception_id=m["interception_id"],
        incident_id=m["incident_id"],
        time=m["time"],
        lat=m["lat"],
        lon=m["lon"],
        unit_id=m["unit_id"],
        people_count=m["people_count"],
        simulated=m["simulated"],
    )


def _configure_sqlite(engine: Any) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
