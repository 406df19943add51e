"""One delivery queue per destination (issue 17: one sequential dispatcher made CoT wait
behind a stuck webhook). Real receivers on 127.0.0.1; the test knows the webhook is stuck
because its receiver holds the request (an event), not by timing anything."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from tests.stalling_receivers import StallingReceiver

from borderwatch.adapters.sqlite.outbox import SqliteOutbox
from borderwatch.adapters.transports.dispatch import Dispatcher
from borderwatch.adapters.transports.tak import CotListener, TakServerTransport
from borderwatch.adapters.transports.webhook import WebhookTransport
from borderwatch.alerts import RecordingTransport
from borderwatch.alerts.outbox import Message, MessageStatus
from borderwatch.ports.storage_fake import InMemoryStorage

SECRET = b"shared-secret"
STUCK_S = 120.0
"""The webhook's deadline here: longer than the test waits for the CoT event, so one
dispatcher that sends in turn would still be stuck on the webhook when it gives up."""
COT = (b'<?xml version="1.0" encoding="UTF-8"?><event version="2.0" uid="bw-1" type="a-u-G"'
       b' how="m-g" time="2026-12-05T03:00:00Z" start="2026-12-05T03:00:00Z"'
       b' stale="2026-12-05T03:10:00Z"><point lat="49.0" lon="-111.9" hae="0" ce="10"'
       b' le="10"/><detail/></event>')


def test_a_stuck_webhook_does_not_delay_cot(tmp_path: Path) -> None:
    webhook = StallingReceiver()  # takes the request, never answers
    listener = CotListener()
    cot_url = f"tcp://127.0.0.1:{listener.start()}"
    outbox = SqliteOutbox(tmp_path / "o.db")
    # The webhook message is the older one: a single queue would send it first.
    outbox.enqueue([
        Message("k-hook", "ALR-1", "webhook", webhook.url, "application/json",
                json.dumps({"dedup_key": "k-hook", "simulated": True}).encode()),
        Message("k-cot", "ALR-1", "cot", cot_url, "application/xml", COT),
    ])
    hook = WebhookTransport(SECRET, deadline_s=STUCK_S)
    tak = TakServerTransport(cot_url)
    dispatcher = Dispatcher(outbox, {webhook.url: hook, cot_url: tak}, poll_s=0.05)
    dispatcher.start()
    try:
        assert webhook.arrived.wait(60), "the webhook was never tried"
        received = listener.wait_for(1, timeout_s=60)
        assert received == [COT]
        # ... while the webhook is still in flight: not answered, not yet counted a try.
        assert webhook.answered == 0
        [stuck] = [m for m in outbox.all() if m.message.dedup_key == "k-hook"]
        assert (stuck.status, stuck.attempts) == (MessageStatus.PENDING, 0)
        assert sorted(dispatcher.queues()) == sorted([webhook.url, cot_url])
    finally:
        webhook.close()  # the stuck request fails at once, so the queue can stop
        dispatcher.stop()
        hook.close()
        tak.close()
        listener.close()
        outbox.close()


def test_each_destination_is_drained_by_its_own_queue_and_only_once() -> None:
    storage = InMemoryStorage()
    outbox = storage.outbox
    transports = {f"http://{n}": RecordingTransport() for n in "abc"}
    outbox.enqueue(Message(f"k{i}", "ALR-1", "webhook", f"http://{'abc'[i % 3]}", "x", b"")
                   for i in range(30))
    everything = threading.Event()
    sent: list[str] = []

    def on_sent(message: Message) -> None:
        sent.append(message.dedup_key)
        if len(sent) == 30:
            everything.set()

    dispatcher = Dispatcher(outbox, transports, on_sent=on_sent, poll_s=0.05, claim_batch=4)
    dispatcher.start()
    try:
        assert everything.wait(60)
    finally:
        dispatcher.stop()
    assert sorted(sent) == sorted(f"k{i}" for i in range(30))  # each once
    for name, transport in transports.items():
        assert {m.destination for m in transport.sent} == {name}
        assert len(transport.sent) == 10
    assert outbox.counts() == {"sent": 30}


def test_deliver_due_inline_by_destination_and_up_to_a_limit() -> None:
    storage = InMemoryStorage()
    outbox = storage.outbox
    fast, other = RecordingTransport(), RecordingTransport(fail=100)
    outbox.enqueue([Message(f"k{i}", "ALR-1", "webhook", where, "x", b"")
                    for i, where in enumerate(["http://a", "http://b", "http://a"])])
    dispatcher = Dispatcher(outbox, {"http://a": fast, "http://b": other}, claim_batch=1)
    report = dispatcher.deliver_due(destination="http://a")
    assert (report.sent, report.retrying) == (2, 0)
    assert [m.dedup_key for m in fast.sent] == ["k0", "k2"]
    assert other.sent == [] and outbox.due(destination="http://b") != []
    assert dispatcher.deliver_due(limit=1).handled == 1
