"""Webhook delivery to a real HTTP receiver on 127.0.0.1: HMAC-SHA256 signature over the
exact body, dedup key in header and body, retries on failure."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tests.alert_helpers import WebhookReceiver

from borderwatch.adapters.sqlite.outbox import SqliteOutbox
from borderwatch.adapters.transports.dispatch import Dispatcher
from borderwatch.adapters.transports.webhook import WebhookTransport
from borderwatch.alerts import Backoff, DeliveryError, Message
from borderwatch.alerts.webhook import DEDUP_HEADER, SIGNATURE_HEADER

SECRET = b"shared-secret"


def _message(url: str, n: int = 1) -> Message:
    body = json.dumps({"dedup_key": f"k{n}", "simulated": True}).encode()
    return Message(f"k{n}", f"ALR-{n}", "webhook", url, "application/json", body)


def test_receiver_verifies_signature_and_sees_the_dedup_key() -> None:
    receiver = WebhookReceiver(SECRET)
    transport = WebhookTransport(SECRET)
    try:
        transport.send(_message(receiver.url, 1))
        transport.send(_message(receiver.url, 2))  # same kept-alive connection
        transport.send(_message(receiver.url, 1))  # a retry: absorbed by the dedup key
    finally:
        transport.close()
        receiver.close()
    assert all(r.valid for r in receiver.received)
    assert receiver.keys == {"k1": 2, "k2": 1}
    assert [json.loads(r.body)["dedup_key"] for r in receiver.received] == ["k1", "k2", "k1"]


def test_a_wrong_secret_is_refused_by_the_receiver() -> None:
    receiver = WebhookReceiver(SECRET)
    transport = WebhookTransport(b"not-the-secret")
    try:
        with pytest.raises(DeliveryError, match="HTTP 401"):
            transport.send(_message(receiver.url))
    finally:
        transport.close()
        receiver.close()
    assert [r.valid for r in receiver.received] == [False]


def test_server_errors_are_retried_through_the_outbox(tmp_path: Path) -> None:
    receiver = WebhookReceiver(SECRET, fail_first=2)
    now = [0.0]
    outbox = SqliteOutbox(
        tmp_path / "o.db",
        backoff=Backoff(base_s=1.0, max_attempts=5),
        clock=lambda: now[0],
        rng=random.Random(3),
    )
    outbox.enqueue([_message(receiver.url)])
    dispatcher = Dispatcher(outbox, {"webhook": WebhookTransport(SECRET)})
    try:
        assert dispatcher.deliver_due().retrying == 1
        now[0] += 1.0
        assert dispatcher.deliver_due().retrying == 1
        now[0] += 2.0
        assert dispatcher.deliver_due().sent == 1
    finally:
        receiver.close()
    assert receiver.keys == {"k1": 1}
    assert outbox.counts() == {"sent": 1}


def test_headers_are_named_as_documented() -> None:
    assert SIGNATURE_HEADER == "X-Borderwatch-Signature"
    assert DEDUP_HEADER == "X-Borderwatch-Dedup-Key"
