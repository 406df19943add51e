"""Where the broker is: ``mqtt://[user[:password]@]host[:port]`` (1883) or ``mqtts://``
(TLS, 8883), and a paho client for it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from borderwatch.domain import InputError

KEEPALIVE_S = 30
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30
"""Reconnection back-off: paho doubles the wait from the first to the second after each
failed attempt (Client.reconnect_delay_set)."""


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        """The address without the password (for logs and status lines)."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def parse_broker(url: str, field: str = "--broker") -> Broker:
    """A broker URL, checked; an InputError naming ``field`` says what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise InputError(field, f"must be mqtt://host:port or mqtts://host:port, got {url!r}")
    tls = parts.scheme in ("mqtts", "ssl")
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise InputError(field, f"the port of {url!r} is not a number in 1-65535") from None
    if not parts.hostname:
        raise InputError(field, f"names no host: {url!r}")
    if parts.path not in ("", "/"):
        raise InputError(field, f"takes no path (the topic is --topic), got {parts.path!r}")
    return Broker(host=parts.hostname, port=port, tls=tls,
                  username=unquote(parts.username) if parts.username else None,
                  password=unquote(parts.password) if parts.password else None)


def make_client(broker: Broker, client_id: str, *, persistent: bool,
                manual_ack: bool = False) -> mqtt.Client:
    """A paho 2 client (MQTT 3.1.1, which every broker and Frigate speak). ``persistent``:
    a fixed client id with clean_session False, so the broker keeps the subscription and
    queues QoS 1 messages while the client is away (MQTT 3.1.1, 3.1.2.4)."""
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                         client_id=client_id, clean_session=not persistent,
                         protocol=mqtt.MQTTv311, manual_ack=manual_ack)
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    return client
