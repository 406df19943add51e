"""The delivery deadline is a setting (default 5 s) checked before anything starts, and a
cluster's claims are sized so that a claim outlasts the attempts it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.adapters.transports.tak import TakServerTransport
from borderwatch.adapters.transports.webhook import WebhookTransport
from borderwatch.alerts.center import Channels
from borderwatch.alerts.outbox import DEADLINE_S, claim_batch
from borderwatch.app.bootstrap import transports_for
from borderwatch.app.cluster.deployment import load_deployment
from borderwatch.app.runtime.config import Delivery
from borderwatch.domain import InputError

STORE = "postgresql://bw@127.0.0.1:5432/bw"
BUS = "nats://127.0.0.1:4222"


def _deployment_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deployment.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_deadline_defaults_to_5_s_and_reaches_every_network_transport() -> None:
    assert Delivery().deadline_s == DEADLINE_S == 5.0
    transports = transports_for(Channels(cot=("tcp://127.0.0.1:1",), webhook=("http://x/h",)),
                                webhook_secret=b"s", deadline_s=0.75)
    hook, tak = transports["http://x/h"], transports["tcp://127.0.0.1:1"]
    try:
        assert isinstance(hook, WebhookTransport) and hook.deadline_s == 0.75
        assert isinstance(tak, TakServerTransport) and tak.timeout_s == 0.75
    finally:
        for transport in (hook, tak):
            transport.close()  # type: ignore[attr-defined]


def test_a_deployment_sets_the_deadline_and_its_lease_must_outlast_it(
    tmp_path: Path,
) -> None:
    config = _deployment_file(tmp_path, f"store: {STORE}\nbus: [{BUS}]\n"
                                        "delivery:\n  deadline_s: 2.5\n")
    assert load_deployment(config).delivery.deadline_s == 2.5
    short = _deployment_file(tmp_path, f"store: {STORE}\nbus: [{BUS}]\nclaim_lease_s: 4\n"
                                       "delivery:\n  deadline_s: 5\n")
    with pytest.raises(InputError, match="claim_lease_s.*longer than one delivery attempt"):
        load_deployment(short)


@pytest.mark.parametrize("bad", ["0", "-1", ".nan", ".inf", "soon"])
def test_a_bad_deadline_is_refused_naming_the_setting(tmp_path: Path, bad: str) -> None:
    config = _deployment_file(tmp_path, f"store: {STORE}\nbus: [{BUS}]\n"
                                        f"delivery:\n  deadline_s: {bad}\n")
    with pytest.raises(InputError, match="deadline_s"):
        load_deployment(config)


def test_a_claim_holds_no_more_attempts_than_half_its_lease_covers() -> None:
    assert claim_batch(60, 5) == 6
    assert claim_batch(60, 0.5) == 60
    assert claim_batch(60, 45) == 1  # never less than one
    for lease, deadline in [(60, 5), (60, 7), (300, 5), (10, 3)]:
        assert claim_batch(lease, deadline) * deadline <= max(lease / 2, deadline)
    with pytest.raises(ValueError):
        claim_batch(0, 5)
