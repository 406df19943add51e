"""Webhook channel: a JSON body, signed with HMAC-SHA256 over the exact bytes sent, with a
dedup key so the receiver can be idempotent (docs/references.md, "Alert delivery semantics").

Headers on every request:

* ``X-Borderwatch-Signature: sha256=<hex>`` — HMAC-SHA256 of the body with the shared
  secret (RFC 2104). A receiver recomputes it over the raw body *before* parsing and
  compares in constant time (:func:`verify`).
* ``X-Borderwatch-Dedup-Key`` — also in the body as ``dedup_key``: the same message sent
  twice (a retry, a replay after a crash) carries the same key.

Any 2xx is delivered; anything else (or no answer within the timeout) is a failed try that
the outbox retries with backoff. The sender is ``adapters/transports/webhook.py``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

from borderwatch.alerts.gate import Release
from borderwatch.domain.time import format_time

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
