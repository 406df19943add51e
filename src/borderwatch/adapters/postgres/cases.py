"""The case store on PostgreSQL (tables in ``schema.py``).

Each write is one transaction: a case is stored whole or not at all. Two processes
opening the same case at once both insert; the second waits on the first's row, finds it
committed (``ON CONFLICT DO NOTHING``) and raises ``CaseExists``, rather than a database
error, so an enclosing transaction is still usable until the exception unwinds it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from psycopg.types.json import Jsonb

from borderwatch.adapters.postgres.database import Connection, Database
from borderwatch.cases.base import CaseExists, CaseNotFound, InterceptionConflict
from borderwatch.cases.records import (
    normalise_interception,
    validate_case,
    validate_interception,
)
from borderwatch.domain import Assumption, Case, Interception, Person, Relation
from borderwatch.domain.time import utc_now

_INTERCEPTION = (
    'interception_id, incident_id, "time", lat, lon, unit_id, people_count, simulated'
)


class PostgresCaseStore:
    """A :class:`borderwatch.cases.base.CaseStore` on PostgreSQL."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now) -> None:
        """``clock``: gives ``created_at`` (aware UTC)."""
        self.db = db
        self._clock = clock

    # --- writes --------------------------------------------------------------------------

    def save_interception(self, interception: Interception) -> None:
        """Store an interception (idempotent for identical content)."""
        validate_interception(interception)
        with self.db.transaction() as connection:
            _put_interception(connection, normalise_interception(interception))

    def open_case(self, case: Case) -> None:
        """Store a case whole, or raise and store nothing (``CaseStore.open_case``)."""
        validate_case(case)
        created_at = self._clock()
        if created_at.tzinfo is None or created_at.utcoffset() is None:
            raise ValueError(f"naive datetime {created_at!r}: a stored time must carry its offset")
        with self.db.transaction() as connection:
            _put_interception(connection, normalise_interception(case.interception))
            inserted = connection.execute(
                "INSERT INTO cases (case_id, interception_id, entry_kind, entry_date,"
                " from_country, simulated, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (case_id) DO NOTHING",
                (
                    case.case_id,
                    case.interception.interception_id,
                    case.entry_kind,
                    None if case.entry_date is None else date.fromisoformat(case.entry_date),
                    case.from_country,
                    case.simulated,
                    created_at,
                ),
            ).rowcount
            if inserted == 0:
                raise CaseExists(case.case_id)
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO people (case_id, person_id, ordinal, age, nationalities, name,"
                    " sex, stateless) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (case.case_id, p.person_id, ordinal, p.age, Jsonb(list(p.nationalities)),
                         p.name, p.sex, p.stateless)
                        for ordinal, p in enumerate(case.people)
                    ],
                )
                if case.relations:
                    cursor.executemany(
                        'INSERT INTO relations (case_id, ordinal, person, "is", "of")'
                        " VALUES (%s, %s, %s, %s, %s)",
                        [(case.case_id, ordinal, r.person, r.is_, r.of)
                         for ordinal, r in enumerate(case.relations)],
                    )
                if case.assumptions:
                    cursor.executemany(
                        "INSERT INTO assumptions (case_id, ordinal, field, value, reason)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        [(case.case_id, ordinal, a.field, a.value, a.reason)
                         for ordinal, a in enumerate(case.assumptions)],
                    )

    # --- reads ---------------------------------------------------------------------------

    def get_case(self, case_id: str) -> Case:
        """The case as opened. Raises :class:`CaseNotFound` for an unknown id."""
        # One connection, four reads: a case is written whole and never changed, so once
        # its row is visible so are its people, relations and assumptions.
        with self.db.connection() as connection:
            head = connection.execute(
                "SELECT c.case_id, c.entry_kind, c.entry_date, c.from_country, c.simulated, "
                + ", ".join(f"i.{name.strip()}" for name in _INTERCEPTION.split(","))
                + " FROM cases c JOIN interceptions i ON c.interception_id = i.interception_id"
                " WHERE c.case_id = %s",
                (case_id,),
            ).fetchone()
            if head is None:
                raise CaseNotFound(case_id)
            people = connection.execute(
                "SELECT person_id, age, nationalities, name, sex, stateless FROM people"
                " WHERE case_id = %s ORDER BY ordinal",
                (case_id,),
            ).fetchall()
            relations = connection.execute(
                'SELECT person, "is", "of" FROM relations WHERE case_id = %s ORDER BY ordinal',
                (case_id,),
            ).fetchall()
            assumptions = connection.execute(
                "SELECT field, value, reason FROM assumptions WHERE case_id = %s"
                " ORDER BY ordinal",
                (case_id,),
            ).fetchall()
        return Case(
            case_id=head[0],
            interception=_interception(head[5:]),
            people=tuple(
                Person(
                    person_id=row[0],
                    age=row[1],
                    nationalities=tuple(row[2]),
                    name=row[3],
                    sex=row[4],
                    stateless=row[5],
                )
                for row in people
            ),
            relations=tuple(Relation(person=r[0], is_=r[1], of=r[2]) for r in relations),
            assumptions=tuple(
                Assumption(field=a[0], value=a[1], reason=a[2]) for a in assumptions
            ),
            entry_kind=head[1],
            entry_date=None if head[2] is None else head[2].isoformat(),
            from_country=head[3],
            simulated=bool(head[4]),
        )

    def list_cases(self) -> list[str]:
        """Every case id, sorted."""
        rows = self.db.execute("SELECT case_id FROM cases ORDER BY case_id COLLATE \"C\"")
        return [row[0] for row in rows]

    def interceptions_for_incident(self, incident_id: str) -> list[Interception]:
        """The interceptions made on an incident, by time then id (empty if none)."""
        rows = self.db.execute(
            f"SELECT {_INTERCEPTION} FROM interceptions WHERE incident_id = %s"
            ' ORDER BY "time", interception_id COLLATE "C"',
            (incident_id,),
        )
        return [_interception(row) for row in rows]


def _put_interception(connection: Connection, interception: Interception) -> None:
    inserted = connection.execute(
        f"INSERT INTO interceptions ({_INTERCEPTION}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (interception_id) DO NOTHING",
        (
            interception.interception_id,
            interception.incident_id,
            interception.time,
            interception.lat,
            interception.lon,
            interception.unit_id,
            interception.people_count,
            interception.simulated,
        ),
    ).rowcount
    if inserted == 0:
        row = connection.execute(
            f"SELECT {_INTERCEPTION} FROM interceptions WHERE interception_id = %s",
            (interception.interception_id,),
        ).fetchone()
        if row is None or _interception(row) != interception:
            raise InterceptionConflict(interception.interception_id)


def _interception(row: tuple[Any, ...]) -> Interception:
    return Interception(
        interception_id=row[0],
        incident_id=row[1],
        time=row[2].astimezone(UTC),
        lat=row[3],
        lon=row[4],
        unit_id=row[5],
        people_count=row[6],
        simulated=bool(row[7]),
    )
