"""The case tables and how their values are written: the same tables, columns and value
formats SQLAlchemy wrote before, so a file made then opens now.

Personal data (names, ages, sex, nationalities, statelessness, family relations) lives only
in ``people`` and ``relations``, so that access to it can be restricted per table later
(DESIGN.md, privacy and security). ``interceptions`` and ``cases`` hold what a partner
agency may see: where, when, how many, and by whom. Order matters for the domain (a case's
people and relations are tuples), so every child row carries an ``ordinal``.

Dialect-specific, and why: SQLite has no timestamp type, so ``DATETIME`` columns hold UTC
as text (``YYYY-MM-DD HH:MM:SS.ffffff``) and ``BOOLEAN`` columns 0 or 1; a PostgreSQL
adapter would declare ``TIMESTAMP WITH TIME ZONE`` and ``BOOLEAN`` and bind the values as
they are. ``"is"`` and ``"of"`` are reserved words and quoted the standard way.
"""

from __future__ import annotations

from datetime import UTC, datetime

TABLES = ("interceptions", "cases", "people", "relations", "assumptions")
"""Parents first: the order to create and fill them in."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS interceptions (
    interception_id VARCHAR(64) NOT NULL,
    incident_id VARCHAR(128) NOT NULL,
    time DATETIME NOT NULL,
    lat FLOAT NOT NULL,
    lon FLOAT NOT NULL,
    unit_id VARCHAR(128) NOT NULL,
    people_count INTEGER NOT NULL,
    simulated BOOLEAN NOT NULL,
    PRIMARY KEY (interception_id)
);
CREATE INDEX IF NOT EXISTS ix_interceptions_incident_id ON interceptions (incident_id);
CREATE TABLE IF NOT EXISTS cases (
    case_id VARCHAR(64) NOT NULL,
    interception_id VARCHAR(64) NOT NULL,
    entry_kind VARCHAR(32) NOT NULL,
    entry_date DATE,
    from_country VARCHAR(2) NOT NULL,
    simulated BOOLEAN NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (case_id),
    FOREIGN KEY (interception_id) REFERENCES interceptions (interception_id)
);
CREATE INDEX IF NOT EXISTS ix_cases_interception_id ON cases (interception_id);
CREATE TABLE IF NOT EXISTS people (
    case_id VARCHAR(64) NOT NULL,
    person_id VARCHAR(64) NOT NULL,
    ordinal INTEGER NOT NULL,
    age INTEGER,
    nationalities JSON NOT NULL,
    name TEXT,
    sex VARCHAR(32),
    stateless BOOLEAN,
    PRIMARY KEY (case_id, person_id),
    FOREIGN KEY (case_id) REFERENCES cases (case_id)
);
CREATE TABLE IF NOT EXISTS assumptions (
    case_id VARCHAR(64) NOT NULL,
    ordinal INTEGER NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (case_id, ordinal),
    FOREIGN KEY (case_id) REFERENCES cases (case_id)
);
CREATE TABLE IF NOT EXISTS relations (
    case_id VARCHAR(64) NOT NULL,
    ordinal INTEGER NOT NULL,
    person VARCHAR(64) NOT NULL,
    "is" VARCHAR(32) NOT NULL,
    "of" VARCHAR(64) NOT NULL,
    PRIMARY KEY (case_id, ordinal),
    -- The database refuses a relation to someone who is not in the case, as records does.
    FOREIGN KEY (case_id, person) REFERENCES people (case_id, person_id),
    FOREIGN KEY (case_id, "of") REFERENCES people (case_id, person_id),
    FOREIGN KEY (case_id) REFERENCES cases (case_id)
);
"""

PERSONAL_COLUMNS = frozenset(
    {"name", "age", "sex", "nationalities", "stateless", "person", "of", "is"}
)
"""Columns holding personal data: only ``people`` and ``relations`` may have them."""


def time_to_db(value: datetime) -> str:
    """An aware datetime as the UTC text a ``DATETIME`` column holds. A naive datetime is
    refused rather than guessed to be local time."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: a stored time must carry its offset")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def time_from_db(value: str) -> datetime:
    """The stored text back as an aware UTC datetime (with or without microseconds)."""
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
