"""Webhook channel: a JSON body, signed with HMAC-SHA256 over the exact bytes sent, with a
dedup key so the receiver can be idempotent (`../shared/reference/interop.md`).

Headers on every request:

* ``X-Borderwatch-Signature: sha256=<hex>`` — HMAC-SHA256 of the body with the shared
  secret (RFC 2104). A receiver recomputes it over the raw body *before* parsing and
  compares in constant time (:func:`verify`).
* ``X-Borderwatch-Dedup-Key`` — also in the body as ``dedup_key``: the same message sent
  twice (a retry, a replay after a crash) carries the same key.

Any 2xx is delivered; anything else (or no answer within the timeout) is a failed try that
the outbox retries with backoff. The client is the standard library's ``http.client`` with
one kept-alive connection per destination.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import threading
from typing import Any
from urllib.parse import urlsplit

import orjson

from borderwatch.alerts.base import DeliveryError
from borderwatch.alerts.gate import Release
from borderwatch.alerts.outbox import Message
from borderwatch.sources.wire import format_time

SIGNATURE_HEADER = "X-Borderwatch-Signature"
DEDUP_HEADER = "X-Borderwatch-Dedup-Key"
CONTENT_TYPE = "application/json"


def sign(body: bytes, secret: bytes) -> str:
    """The signature header value for ``body``.

    >>> sign(b'{"a":1}', b"s3cret")
    'sha256=5910e62016ef5034272c926c27071992a465c2335cecf41851bda071577f4f6d'
    """
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: bytes) -> bool:
    """True when ``header`` is the signature of exactly these bytes (constant time)."""
    if not header:
        return False
    return hmac.compare_digest(sign(body, secret), header)


def webhook_body(
    release: Release, *, event: str, dedup_key: str, extra: dict[str, Any] | None = None
) -> bytes:
    """The JSON document: the released alert plus the lifecycle event and the dedup key.
    ``simulated`` is always present, so simulated data can never pass for real."""
    alert = release.alert
    document: dict[str, Any] = {
        "event": event,
        "dedup_key": dedup_key,
        "alert_id": alert.alert_id,
        "incident_id": alert.incident_id,
        "recipient": {
            "unit_id": alert.recipient.unit_id,
            "name": alert.recipient.name,
            "agency": alert.recipient.agency,
        },
        "audience": alert.audience.value,
        "created_at": format_time(alert.created_at),
        "status": "exercise" if alert.simulated else "actual",
        "simulated": alert.simulated,
        "payload": alert.payload,
    }
    if extra:
        document.update(extra)
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


class WebhookTransport:
    """POSTs outbox messages to their ``http://`` / ``https://`` destination, signed."""

    def __init__(self, secret: bytes, *, timeout_s: float = 5.0) -> None:
        if not secret:
            raise ValueError("a webhook needs a non-empty shared secret")
        self.secret = secret
        self.timeout_s = timeout_s
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        parts = urlsplit(message.destination)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError(f"not an http(s) URL: {message.destination!r}")
        key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Content-Type": message.content_type,
            SIGNATURE_HEADER: sign(message.body, self.secret),
            DEDUP_HEADER: message.dedup_key,
        }
        with self._lock:
            for attempt in (1, 2):
                connection = self._connection(key)
                try:
                    connection.request("POST", path, body=message.body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as err:
                    connection.close()
                    self._connections.pop(key, None)
                    # A kept-alive connection the server already closed fails at once;
                    # one fresh connection is tried before counting a failed delivery.
                    if attempt == 2:
                        raise DeliveryError(f"{message.destination}: {err}") from err
                    continue
                if not 200 <= response.status < 300:
                    raise DeliveryError(f"{message.destination}: HTTP {response.status}")
                return

    def _connection(self, key: tuple[str, str, int]) -> http.client.HTTPConnection:
        connection = self._connections.get(key)
        if connection is None:
            scheme, host, port = key
            factory = (
                http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            )
            connection = factory(host, port, timeout=self.timeout_s)
            self._connections[key] = connection
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._connections.values():
                connection.close()
            self._connections.clear()
