"""The case store in the service's SQLite file (tables in ``case_schema.py``).

Each write is one transaction (``BEGIN IMMEDIATE``: the duplicate check and the inserts
hold the write lock together, so two writers queue instead of failing half-way): a case
is stored whole or not at all. Foreign keys are on (``Database``), so the file itself
refuses a relation to someone who is not in the case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from borderwatch.adapters.sqlite.case_schema import SCHEMA, time_from_db, time_to_db
from borderwatch.adapters.sqlite.database import Database
from borderwatch.cases.base import CaseExists, CaseNotFound, InterceptionConflict
from borderwatch.cases.records import (
    normalise_interception,
    validate_case,
    validate_interception,
)
from borderwatch.domain import Assumption, Case, Interception, Person, Relation
from borderwatch.domain.time import utc_now

_INTERCEPTION = "interception_id, incident_id, time, lat, lon, unit_id, people_count, simulated"


class SqlCaseStore:
    """A :class:`borderwatch.cases.base.CaseStore` on SQLite.

    Creates its tables when they are absent. Close it (or use it as a context manager) to
    release the database; closing it closes its :class:`Database`.
    """

    def __init__(
        self, where: str | Path | Database, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        """``where``: the SQLite file (or the storage's Database). ``clock``: gives
        ``created_at`` (aware UTC)."""
        self.db = Database.of(where)
        self.path = self.db.path
        self._clock = clock
        self.db.executescript(SCHEMA)

    @classmethod
    def at(cls, path: Path) -> SqlCaseStore:
        """A store in the SQLite file at ``path`` (created if absent)."""
        return cls(path)

    def close(self) -> None:
        self.db.close()

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
        return f"SqlCaseStore({str(self.path)!r})"

    # --- writes --------------------------------------------------------------------------

    def save_interception(self, interception: Interception) -> None:
        """Store an interception (idempotent for identical content)."""
        validate_interception(interception)
        with self.db.transaction():
            self._put_interception(normalise_interception(interception))

    def open_case(self, case: Case) -> None:
        """Store a case whole, or raise and store nothing (``CaseStore.open_case``)."""
        validate_case(case)
        with self.db.transaction():
            if self.db.execute("SELECT 1 FROM cases WHERE case_id = ?", (case.case_id,)):
                raise CaseExists(case.case_id)
            self._insert_case(case)

    def _insert_case(self, case: Case) -> None:
        self._put_interception(normalise_interception(case.interception))
        entry = None if case.entry_date is None else date.fromisoformat(case.entry_date)
        self.db.execute(
            "INSERT INTO cases (case_id, interception_id, entry_kind, entry_date, from_country,"
            " simulated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                case.case_id,
                case.interception.interception_id,
                case.entry_kind,
                None if entry is None else entry.isoformat(),
                case.from_country,
                case.simulated,
                time_to_db(self._clock()),
            ),
        )
        self.db.executemany(
            "INSERT INTO people (case_id, person_id, ordinal, age, nationalities, name, sex,"
            " stateless) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (case.case_id, p.person_id, ordinal, p.age,
                 json.dumps(list(p.nationalities)),  # SQLAlchemy's JSON text, as before
                 p.name, p.sex, p.stateless)
                for ordinal, p in enumerate(case.people)
            ],
        )
        if case.relations:
            self.db.executemany(
                'INSERT INTO relations (case_id, ordinal, person, "is", "of")'
                " VALUES (?, ?, ?, ?, ?)",
                [(case.case_id, ordinal, r.person, r.is_, r.of)
                 for ordinal, r in enumerate(case.relations)],
            )
        if case.assumptions:
            self.db.executemany(
                "INSERT INTO assumptions (case_id, ordinal, field, value, reason)"
                " VALUES (?, ?, ?, ?, ?)",
                [(case.case_id, ordinal, a.field, a.value, a.reason)
                 for ordinal, a in enumerate(case.assumptions)],
            )

    def _put_interception(self, interception: Interception) -> None:
        rows = self.db.execute(
            f"SELECT {_INTERCEPTION} FROM interceptions WHERE interception_id = ?",
            (interception.interception_id,),
        )
        if not rows:
            self.db.execute(
                f"INSERT INTO interceptions ({_INTERCEPTION}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    interception.interception_id,
                    interception.incident_id,
                    time_to_db(interception.time),
                    interception.lat,
                    interception.lon,
                    interception.unit_id,
                    interception.people_count,
                    interception.simulated,
                ),
            )
        elif _interception(rows[0]) != interception:
            raise InterceptionConflict(interception.interception_id)

    # --- reads ---------------------------------------------------------------------------

    def get_case(self, case_id: str) -> Case:
        """The case as opened. Raises :class:`CaseNotFound` for an unknown id."""
        # Four reads, four snapshots: harmless, because a case is written whole and never
        # changed, so once its row is visible so are its people, relations and assumptions.
        heads = self.db.read(
            "SELECT c.case_id, c.entry_kind, c.entry_date, c.from_country, c.simulated, "
            + ", ".join(f"i.{name.strip()}" for name in _INTERCEPTION.split(","))
            + " FROM cases c JOIN interceptions i ON c.interception_id = i.interception_id"
            " WHERE c.case_id = ?",
            (case_id,),
        )
        if not heads:
            raise CaseNotFound(case_id)
        head = heads[0]
        people = self.db.read(
            "SELECT person_id, age, nationalities, name, sex, stateless FROM people"
            " WHERE case_id = ? ORDER BY ordinal",
            (case_id,),
        )
        relations = self.db.read(
            'SELECT person, "is", "of" FROM relations WHERE case_id = ? ORDER BY ordinal',
            (case_id,),
        )
        assumptions = self.db.read(
            "SELECT field, value, reason FROM assumptions WHERE case_id = ? ORDER BY ordinal",
            (case_id,),
        )
        return Case(
            case_id=head[0],
            interception=_interception(head[5:]),
            people=tuple(
                Person(
                    person_id=row[0],
                    age=row[1],
                    nationalities=tuple(json.loads(row[2])),
                    name=row[3],
                    sex=row[4],
                    stateless=None if row[5] is None else bool(row[5]),
                )
                for row in people
            ),
            relations=tuple(Relation(person=r[0], is_=r[1], of=r[2]) for r in relations),
            assumptions=tuple(
                Assumption(field=a[0], value=a[1], reason=a[2]) for a in assumptions
            ),
            entry_kind=head[1],
            entry_date=None if head[2] is None else date.fromisoformat(head[2]).isoformat(),
            from_country=head[3],
            simulated=bool(head[4]),
        )

    def list_cases(self) -> list[str]:
        """Every case id, sorted."""
        return [row[0] for row in self.db.read("SELECT case_id FROM cases ORDER BY case_id")]

    def interceptions_for_incident(self, incident_id: str) -> list[Interception]:
        """The interceptions made on an incident, by time then id (empty if none)."""
        rows = self.db.read(
            f"SELECT {_INTERCEPTION} FROM interceptions WHERE incident_id = ?"
            " ORDER BY time, interception_id",
            (incident_id,),
        )
        return [_interception(row) for row in rows]


def _interception(row: tuple[Any, ...]) -> Interception:
    return Interception(
        interception_id=row[0],
        incident_id=row[1],
        time=time_from_db(row[2]),
        lat=row[3],
        lon=row[4],
        unit_id=row[5],
        people_count=row[6],
        simulated=bool(row[7]),
    )
