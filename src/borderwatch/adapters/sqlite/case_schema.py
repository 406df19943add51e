"""The database schema (SQLAlchemy Core): the same tables on SQLite and PostgreSQL.

Personal data (names, ages, sex, nationalities, statelessness, family relations) lives only in
``people`` and ``relations``, so that access to it can be restricted per table later
(DESIGN.md, privacy and security). ``interceptions`` and ``cases`` hold what a partner agency
may see: where, when, how many, and by whom.

Order matters for the domain (a case's people and relations are tuples), so every child row
carries an ``ordinal``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL stores ``timestamp with time zone``. SQLite has no such type: SQLAlchemy writes
    the naive text ``YYYY-MM-DD HH:MM:SS.ffffff`` and drops the offset, so the value is turned
    to UTC before it is written and marked UTC again when read. A naive datetime is refused
    rather than guessed to be local time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: a stored time must carry its offset")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

interceptions = Table(
    "interceptions",
    metadata,
    Column("interception_id", String(64), primary_key=True),
    Column("incident_id", String(128), nullable=False, index=True),
    Column("time", UtcDateTime(), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("unit_id", String(128), nullable=False),
    Column("people_count", Integer, nullable=False),
    Column("simulated", Boolean, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column(
        "interception_id",
        String(64),
        ForeignKey("interceptions.interception_id"),
        nullable=False,
        index=True,
    ),
    Column("entry_kind", String(32), nullable=False),
    Column("entry_date", Date, nullable=True),
    Column("from_country", String(2), nullable=False),
    Column("simulated", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

people = Table(
    "people",
    metadata,
    Column("case_id", String(64), ForeignKey("cases.case_id"), primary_key=True),
    Column("person_id", String(64), primary_key=True),
    Column("ordinal", Integer, nullable=False),
    Column("age", Integer, nullable=True),
    Column("nationalities", JSON, nullable=False),
    Column("name", Text, nullable=True),
    Column("sex", String(32), nullable=True),
    Column("stateless", Boolean, nullable=True),
)

relations = Table(
    "relations",
    metadata,
    Column("case_id", String(64), ForeignKey("cases.case_id"), primary_key=True),
    Column("ordinal", Integer, primary_key=True),
    Column("person", String(64), nullable=False),
    Column("is", String(32), nullable=False),
    Column("of", String(64), nullable=False),
    # The database refuses a relation to someone who is not in the case, as records does.
    ForeignKeyConstraint(["case_id", "person"], ["people.case_id", "people.person_id"]),
    ForeignKeyConstraint(["case_id", "of"], ["people.case_id", "people.person_id"]),
)

assumptions = Table(
    "assumptions",
    metadata,
    Column("case_id", String(64), ForeignKey("cases.case_id"), primary_key=True),
    Column("ordinal", Integer, primary_key=True),
    Column("field", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("reason", Text, nullable=False),
)
