"""MQTT delivery of outbox messages (alerts/mqtt.py makes them): published at QoS 1, not
retained, each attempt bounded by the outbox's deadline.

A message's destination is the broker's URL with the topic as its path
(``mqtt://host:1883/borderwatch/incidents/AB-MT``). One connection per broker, opened at
the first message and kept; paho reconnects it with back-off. A message counts as sent
when the broker acknowledged it (PUBACK); until then the outbox tries again, so a
subscriber may see a message twice and de-duplicates on its ``dedup_key``. Not retained:
an incident is news, and a retained one would greet every new subscriber as if it were.
"""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt

from borderwatch.adapters.mqtt.broker import KEEPALIVE_S, Broker, make_client, parse_broker
from borderwatch.alerts.base import DeliveryError
from borderwatch.alerts.outbox import DEADLINE_S, Message


def split_destination(destination: str) -> tuple[Broker, str]:
    """(broker, topic) of an MQTT outbox destination."""
    parts = urlsplit(destination)
    topic = unquote(parts.path.lstrip("/"))
    if not topic:
        raise DeliveryError(f"{destination!r} names no topic")
    return parse_broker(f"{parts.scheme}://{parts.netloc}", "destination"), topic


class MqttTransport:
    """Publishes outbox messages to the brokers their destinations name."""

    def __init__(self, *, deadline_s: float = DEADLINE_S,
                 client_id: str = f"borderwatch-alerts-{os.getpid()}") -> None:
        self.deadline_s = deadline_s
        self.client_id = client_id
        self._clients: dict[Broker, tuple[mqtt.Client, threading.Event]] = {}
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        start = time.monotonic()
        broker, topic = split_destination(message.destination)
        client, connected = self._client(broker)
        if not connected.wait(self.deadline_s):
            raise DeliveryError(f"not connected to {broker.url} within {self.deadline_s:g} s")
        info = client.publish(topic, message.body, qos=1, retain=False)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise DeliveryError(f"{broker.url}: {mqtt.error_string(info.rc)}")
        left = self.deadline_s - (time.monotonic() - start)
        try:
            info.wait_for_publish(max(left, 0.001))
        except (RuntimeError, ValueError) as err:
            raise DeliveryError(f"{broker.url}: {err}") from None
        if not info.is_published():
            raise DeliveryError(f"{broker.url} did not acknowledge within "
                                f"{self.deadline_s:g} s")

    def _client(self, broker: Broker) -> tuple[mqtt.Client, threading.Event]:
        with self._lock:
            known = self._clients.get(broker)
            if known is not None:
                return known
            client = make_client(broker, f"{self.client_id}-{len(self._clients)}",
                                 persistent=False)
            connected = threading.Event()
            client.on_connect = lambda c, u, f, reason, p: (
                None if reason.is_failure else connected.set())
            client.on_disconnect = lambda c, u, f, reason, p: connected.clear()
            client.connect_async(broker.host, broker.port, KEEPALIVE_S)
            client.loop_start()
            self._clients[broker] = (client, connected)
            return client, connected

    def close(self) -> None:
        with self._lock:
            for client, _ in self._clients.values():
                client.disconnect()
                client.loop_stop()
            self._clients.clear()
