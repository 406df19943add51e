"""A webhook attempt has one overall deadline, whatever the receiver does (issue 17: a
receiver that never answered cost 10 s a message, and one that trickled a byte every 3 s
blocked delivery for ever). A missed deadline is an ordinary failed try: the outbox
retries it with backoff, then dead-letters it. And a captured request replayed to a real
receiver later, or with its timestamp changed, is refused.

Outcomes are asserted, never durations: the deadlines here are short (0.5 s) against
receivers that would need seconds, so the result is the same on a loaded machine."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.alert_helpers import WebhookReceiver
from tests.stalling_receivers import COMPLETE_ANSWER, StallingReceiver

from borderwatch.adapters.sqlite.outbox import SqliteOutbox
from borderwatch.adapters.transports.dispatch import Dispatcher
from borderwatch.adapters.transports.webhook import WebhookTransport
from borderwatch.alerts import Backoff, DeliveryError, Message
from borderwatch.alerts.outbox import MessageStatus
from borderwatch.alerts.webhook import TIMESTAMP_HEADER

SECRET = b"shared-secret"
DEADLINE_S = 0.5
TRICKLE_S = 0.2
assert len(COMPLETE_ANSWER) * TRICKLE_S > 10 * DEADLINE_S  # a trickled answer never makes it


def _message(url: str, n: int = 1) -> Message:
    body = json.dumps({"dedup_key": f"k{n}", "simulated": True}).encode()
    return Message(f"k{n}", f"ALR-{n}", "webhook", url, "application/json", body)


@pytest.fixture(params=[None, TRICKLE_S], ids=["never-answers", "trickles"])
def stalling(request: pytest.FixtureRequest) -> Iterator[StallingReceiver]:
    receiver = StallingReceiver(trickle_s=request.param)
    yield receiver
    receiver.close()


def test_a_stalling_receiver_fails_the_attempt_at_the_deadline(
    stalling: StallingReceiver,
) -> None:
    transport = WebhookTransport(SECRET, deadline_s=DEADLINE_S)
    try:
        with pytest.raises(DeliveryError, match=r"no complete answer within the 0.5 s deadline"):
            transport.send(_message(stalling.url))
    finally:
        transport.close()
    assert stalling.arrived.is_set() and stalling.answered == 0


def test_a_missed_deadline_is_retried_then_dead_lettered(
    stalling: StallingReceiver, tmp_path: Path
) -> None:
    now = [1000.0]
    outbox = SqliteOutbox(tmp_path / "o.db", backoff=Backoff(base_s=1.0, max_attempts=2),
                          clock=lambda: now[0], rng=random.Random(3))
    outbox.enqueue([_message(stalling.url)])
    transport = WebhookTransport(SECRET, deadline_s=DEADLINE_S)
    dispatcher = Dispatcher(outbox, {"webhook": transport})
    try:
        first = dispatcher.deliver_due()
        assert (first.sent, first.retrying, first.dead) == (0, 1, 0)
        [stored] = outbox.all()
        assert stored.status is MessageStatus.PENDING and stored.attempts == 1
        assert "deadline" in (stored.last_error or "")
        now[0] += 10.0
        second = dispatcher.deliver_due()
        assert (second.sent, second.retrying, second.dead) == (0, 0, 1)
        assert [m.message.dedup_key for m in outbox.dead()] == ["k1"]
    finally:
        transport.close()
        outbox.close()
    assert stalling.answered == 0


def test_the_transport_still_delivers_after_a_missed_deadline(
    stalling: StallingReceiver,
) -> None:
    """A cancelled request leaves nothing behind that blocks the next destination."""
    receiver = WebhookReceiver(SECRET)
    transport = WebhookTransport(SECRET, deadline_s=DEADLINE_S)
    try:
        with pytest.raises(DeliveryError):
            transport.send(_message(stalling.url, 1))
        transport.send(_message(receiver.url, 2))
    finally:
        transport.close()
        receiver.close()
    assert receiver.keys == {"k2": 1}


def test_a_captured_request_replayed_late_or_with_a_new_timestamp_is_refused() -> None:
    now = [1_764_900_000.0]
    receiver = WebhookReceiver(SECRET, clock=lambda: now[0])
    transport = WebhookTransport(SECRET, clock=lambda: now[0])
    try:
        transport.send(_message(receiver.url))
        [original] = receiver.received
        assert original.valid and original.headers[TIMESTAMP_HEADER] == "1764900000"
        captured = {k: v for k, v in original.headers.items()
                    if k.lower().startswith(("x-borderwatch-", "content-type"))}

        def replay(headers: dict[str, str]) -> int:
            return httpx.post(receiver.url, content=original.body, headers=headers,
                              trust_env=False).status_code

        # Verbatim, within the tolerance: accepted, and the dedup key absorbs it.
        assert replay(captured) == 200
        assert receiver.keys == {"k1": 2}
        now[0] += 301
        assert replay(captured) == 401
        assert "old" in receiver.received[-1].refused_because
        assert replay({**captured, TIMESTAMP_HEADER: str(int(now[0]))}) == 401
        assert "does not match" in receiver.received[-1].refused_because
    finally:
        transport.close()
        receiver.close()
    assert receiver.keys == {"k1": 2}


def test_a_deadline_must_be_a_positive_number() -> None:
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="deadline_s"):
            WebhookTransport(SECRET, deadline_s=bad)
