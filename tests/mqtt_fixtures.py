"""A real Mosquitto for the tests: one broker per test session on 127.0.0.1 with a free
port and persistence on (adapters/mqtt/server.py), stopped and removed after.

tests/conftest.py registers this module as a plugin: ask for ``mosquitto`` by name. Where
Debian's mosquitto is not installed (scripts/install-test-services.sh installs it), the
tests that need it skip with the reason, except in CI (CI=true), where they fail: a CI
run must not pass by skipping its broker tests.

The pure-Python broker amqtt (0.12.1) was tried as the fallback and not adopted: it did
not deliver the QoS 1 messages queued for a persistent session when its client came back,
and it keeps sessions across its own restart only with an SQL plugin and driver; the
tests here are about exactly those two guarantees.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from borderwatch.adapters.mqtt.server import Mosquitto, MosquittoError, mosquitto_binary


def _need_mosquitto() -> None:
    try:
        mosquitto_binary()
    except MosquittoError as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the broker: {err}")
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[Mosquitto]:
    """A started broker with a fresh data directory."""
    _need_mosquitto()
    base = Path(tempfile.mkdtemp(prefix="borderwatch-mosquitto-test-"))
    broker = Mosquitto(base)
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def own_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker of this test's own (to restart it without disturbing other tests)."""
    _need_mosquitto()
    broker = Mosquitto(tmp_path / "broker")
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()


class Publisher:
    """Publishes at QoS 1 in a persistent session of its own, like Frigate configured
    with ``qos: 1``; ``wait`` until the broker acknowledged everything."""

    def __init__(self, port: int, client_id: str = "test-frigate") -> None:
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                                  client_id=client_id, clean_session=False)
        self.client.max_inflight_messages_set(1000)
        self.client.reconnect_delay_set(0, 1)  # type: ignore[arg-type]  # 0: at once
        self.acked: set[int] = set()
        self.client.on_publish = lambda client, data, mid, reason, props: self.acked.add(mid)
        self.client.connect("127.0.0.1", port, 30)
        self.client.loop_start()
        self.infos: list[mqtt.MQTTMessageInfo] = []

    def publish(self, payloads: Iterable[bytes], topic: str = "frigate/events") -> None:
        for payload in payloads:
            self.infos.append(self.client.publish(topic, payload, qos=1))

    def wait(self, timeout_s: float = 30.0) -> None:
        # Polled, not wait_for_publish: a message published while the broker was away has
        # rc "not connected" but is kept and sent on reconnection (QoS 1).
        wait_until(lambda: {info.mid for info in self.infos} <= self.acked, timeout_s,
                   "the broker to acknowledge every message")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(condition: object, timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


class Listener:
    """A subscriber to borderwatch/incidents/# that keeps every message it gets."""

    def __init__(self, port: int, client_id: str = "incident-listener") -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        ready = threading.Event()
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                                  client_id=client_id)
        self.client.on_message = lambda c, u, m: self.messages.append(m)
        self.client.on_subscribe = lambda c, u, mid, codes, p: ready.set()
        self.client.on_connect = lambda c, u, f, r, p: c.subscribe("borderwatch/incidents/#", 1)
        self.client.connect("127.0.0.1", port, 30)
        self.client.loop_start()
        assert ready.wait(10)

    def documents(self) -> dict[str, dict[str, Any]]:
        return {m.topic: orjson.loads(m.payload) for m in self.messages}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
