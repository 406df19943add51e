"""Webhook channel: a JSON body, signed with HMAC-SHA256 over a timestamp and the exact bytes
sent, with a dedup key so the receiver can be idempotent (docs/references.md, "Alert
delivery semantics"; the scheme is Stripe's and Standard Webhooks').

Headers on every request:

* ``X-Borderwatch-Timestamp: <t>`` — when this attempt was signed, in whole seconds since
  the Unix epoch (UTC), ASCII digits only. Each retry is signed afresh.
* ``X-Borderwatch-Signature: sha256=<hex>`` — HMAC-SHA256 (RFC 2104) with the shared secret
  of the bytes ``<t>.<body>``: the timestamp header's value, one ``.``, then the raw body.
  A receiver checks it over the raw body *before* parsing, in constant time, and refuses a
  timestamp more than a tolerance (300 s) from its own clock: :func:`verify_signature`.
  So a captured request cannot be replayed later, nor its timestamp changed.
* ``X-Borderwatch-Dedup-Key`` — also in the body as ``dedup_key``: the same message sent
  twice (a retry, a replay after a crash) carries the same key. Within the tolerance a
  captured request can be replayed verbatim; the receiver's de-duplication absorbs it.

Any 2xx is delivered; anything else, or no complete status within the attempt's deadline,
is a failed try that the outbox retries with backoff. The sender is
``adapters/transports/webhook.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import orjson

from borderwatch.alerts.gate import Release
from borderwatch.domain.time import format_time

SIGNATURE_HEADER = "X-Borderwatch-Signature"
TIMESTAMP_HEADER = "X-Borderwatch-Timestamp"
DEDUP_HEADER = "X-Borderwatch-Dedup-Key"
CONTENT_TYPE = "application/json"
TOLERANCE_S = 300.0
"""How far a receiver accepts a signing time from its own clock, either way (5 minutes, as
Stripe and Standard Webhooks): covers retries in flight and ordinary clock skew."""
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # whole seconds; 12 digits reach year 33658


class SignatureError(ValueError):
    """A webhook request that must be refused; the message says why (for the receiver's
    log, not for the sender: answer 401 without details)."""


class Headers(Protocol):
    """What :func:`verify_signature` reads headers from: a dict, or a web framework's
    (case-insensitive) header object; only ``items()`` is used."""

    def items(self) -> Iterable[tuple[str, Any]]: ...


def sign(body: bytes, secret: bytes, timestamp: int) -> str:
    """The signature header value for ``body`` signed at ``timestamp`` (epoch seconds).

    >>> sign(b'{"a":1}', b"s3cret", 1700000000)
    'sha256=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940'
    """
    if timestamp < 0:
        raise ValueError(f"a signing time is seconds since 1970, got {timestamp}")
    signed = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()


def signature_headers(body: bytes, secret: bytes, now: float) -> dict[str, str]:
    """The timestamp and signature headers for one attempt at ``now`` (epoch seconds)."""
    timestamp = math.floor(now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(body, secret, timestamp)}


def verify_signature(
    secret: bytes,
    headers: Headers | Mapping[str, str],
    body: bytes,
    now: float,
    tolerance_s: float = TOLERANCE_S,
) -> int:
    """Check a received webhook: the timestamp header is well formed and within
    ``tolerance_s`` of ``now`` (epoch seconds, the receiver's clock) either way, and the
    signature header is the HMAC of exactly ``<timestamp>.<body>`` (constant-time compare).
    Returns the signing time; raises :class:`SignatureError` naming the reason otherwise.
    Header names are matched case-insensitively (RFC 9110, 5.1); a header given twice is
    refused rather than guessed at.

    >>> secret, body = b"s3cret", b'{"a":1}'
    >>> headers = signature_headers(body, secret, 1700000000.7)
    >>> verify_signature(secret, headers, body, now=1700000100)
    1700000000
    >>> try:
    ...     verify_signature(secret, headers, body, now=1700000000 + 301)
    ... except SignatureError as refused:
    ...     print(refused)
    X-Borderwatch-Timestamp: 301 s old, more than the 300 s tolerated
    """
    if not secret:
        raise ValueError("verifying needs the non-empty shared secret")
    raw_timestamp = _one_header(headers, TIMESTAMP_HEADER)
    if not _TIMESTAMP.fullmatch(raw_timestamp):
        raise SignatureError(f"{TIMESTAMP_HEADER}: not whole seconds since 1970: "
                             f"{raw_timestamp[:40]!r}")
    timestamp = int(raw_timestamp)
    age = now - timestamp
    if age > tolerance_s:
        raise SignatureError(f"{TIMESTAMP_HEADER}: {age:.0f} s old, more than the "
                             f"{tolerance_s:.0f} s tolerated")
    if -age > tolerance_s:
        raise SignatureError(f"{TIMESTAMP_HEADER}: {-age:.0f} s in the future, more than "
                             f"the {tolerance_s:.0f} s tolerated")
    signature = _one_header(headers, SIGNATURE_HEADER)
    if not hmac.compare_digest(sign(body, secret, timestamp).encode("ascii"),
                               signature.encode("utf-8", "replace")):
        raise SignatureError(f"{SIGNATURE_HEADER}: does not match the body and timestamp")
    return timestamp


def _one_header(headers: Headers | Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    found = [str(value) for key, value in headers.items() if key.lower() == wanted]
    if not found:
        raise SignatureError(f"{name}: missing")
    if len(found) > 1:
        raise SignatureError(f"{name}: given {len(found)} times")
    return found[0].strip()


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
