"""The running service delivers its alerts (issue 16): `serve --policy --tak --cap
--webhook` routes incidents and its dispatcher sends them over CoT/TCP to a real listener,
to a CAP folder and to a real HTTP webhook receiver, through the outbox (a failed try is
retried), in both tracker layouts, and a restart sends nothing twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.alert_helpers import WebhookReceiver, assert_valid_cap, assert_valid_cot
from tests.service_helpers import coutts_wire, post_all, running_service

from borderwatch.adapters.transports.tak import CotListener
from borderwatch.app.runtime.config import Delivery

SECRET = "serve-delivery-secret"


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CotListener, WebhookReceiver]]:
    monkeypatch.setenv("BORDERWATCH_WEBHOOK_SECRET", SECRET)
    listener = CotListener()
    listener.start()
    receiver = WebhookReceiver(SECRET.encode(), fail_first=1)  # the first try fails
    yield listener, receiver
    receiver.close()
    listener.close()


@pytest.mark.slow
@pytest.mark.parametrize("tracker_process", [False, True], ids=["thread", "process"])
def test_the_service_delivers_the_coutts_alert_over_every_channel(
    tmp_path: Path, receivers: tuple[CotListener, WebhookReceiver], tracker_process: bool
) -> None:
    listener, receiver = receivers
    caps = tmp_path / "cap"
    delivery = Delivery(cot=(f"tcp://127.0.0.1:{listener.port}",), cap=(str(caps),),
                        webhook=(receiver.url,))
    db = tmp_path / "service.db"
    with running_service(db, delivery=delivery, tracker_process=tracker_process) as run:
        headers = run.key("RCMP-K", "operator")
        with httpx.Client(base_url=run.url, timeout=30) as client:
            post_all(client, coutts_wire(), headers)
        run.wait_idle()
        assert receiver.wait_for_keys(1, timeout_s=30) >= 1
        events = listener.wait_for(1, timeout_s=30)
    assert events, "no CoT event reached the TAK listener"
    for event in events:
        assert_valid_cot(event)
    files = sorted(caps.glob("*.xml"))
    assert files, "no CAP file was written"
    for file in files:
        assert_valid_cap(file.read_bytes())
    assert receiver.fail_first == 0, "the webhook's first try (answered 500) was retried"
    documents = receiver.documents()
    assert documents and all(doc.get("simulated") is True for doc in documents), documents[:1]
    sent_once = dict(receiver.keys)

    # A restart replays the stored detections: the alerts come back, nothing is sent again.
    with running_service(db, delivery=delivery, tracker_process=tracker_process) as run:
        run.wait_idle()
        time.sleep(1.5)  # a dispatcher polls its outbox at least once a second
    assert receiver.keys == sent_once


@pytest.mark.parametrize(("args", "named"), [
    (["--webhook", "http://127.0.0.1:9/hook"], "BORDERWATCH_WEBHOOK_SECRET"),
    (["--tak", "udp://127.0.0.1:8087"], "--tak"),
    (["--tak", "tls://127.0.0.1:8089"], "--tak-cert"),
    (["--cap", "https://example.org/cap"], "--cap"),
])
def test_serve_refuses_a_delivery_that_cannot_work_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], named: str
) -> None:
    import subprocess
    import sys

    monkeypatch.delenv("BORDERWATCH_WEBHOOK_SECRET", raising=False)
    result = subprocess.run([sys.executable, "-m", "borderwatch", "serve", "--db",
                             str(tmp_path / "s.db"), "--port", "0", *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert not (tmp_path / "s.db").exists(), "nothing is created when the options are bad"


def test_ingest_answers_503_when_the_bus_does_not_acknowledge(tmp_path: Path) -> None:
    """A cluster's API process whose bus refuses: the client is told to send again, with
    Retry-After, and nothing reaches the tracker."""

    class RefusingBus:
        def accept(self, stored: object, detections: object) -> list[bool]:
            raise TimeoutError("nats: no answer from the stream within 30 s")

    with running_service(tmp_path / "s.db") as run:
        run.service.intake = RefusingBus()
        headers = run.key("RCMP-K", "operator")
        with httpx.Client(base_url=run.url, timeout=30) as client:
            answer = client.post("/v1/detections", json=coutts_wire(5), headers=headers)
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"]
    assert "send it again" in answer.json()["detail"]
    assert "no answer from the stream" in answer.json()["detail"]
    assert run.service.live.counters.accepted == 0
