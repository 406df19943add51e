"""Webhook delivery: POSTs outbox messages, signed, over the standard library's
``http.client`` with one kept-alive connection per destination (format: alerts/webhook.py)."""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

from borderwatch.alerts.base import DeliveryError
from borderwatch.alerts.outbox import Message
from borderwatch.alerts.webhook import DEDUP_HEADER, SIGNATURE_HEADER, sign


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
        """POST the message body to its destination URL, signed and with its dedup key,
        on a kept-alive connection per host. Raises :class:`DeliveryError` for a URL that
        is not http(s), a failed connection (after one fresh retry) or a non-2xx reply."""
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
