"""The delivery deadline is a setting (default 5 s) checked before anything starts, and a
cluster's dispatcher starts a send only while its claim outlasts a whole attempt."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.adapters.transports.tak import TakServerTransport
from borderwatch.adapters.transports.webhook import WebhookTransport
from borderwatch.alerts.center import Channels
from borderwatch.alerts.outbox import DEADLINE_S, claim_fresh_s
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
    with pytest.raises(InputError, match=r"claim_lease_s.*longer than one delivery attempt"):
        load_deployment(short)


@pytest.mark.parametrize("bad", ["0", "-1", ".nan", ".inf", "soon"])
def test_a_bad_deadline_is_refused_naming_the_setting(tmp_path: Path, bad: str) -> None:
    config = _deployment_file(tmp_path, f"store: {STORE}\nbus: [{BUS}]\n"
                                        f"delivery:\n  deadline_s: {bad}\n")
    with pytest.raises(InputError, match="deadline_s"):
        load_deployment(config)


def test_a_send_starts_only_while_the_lease_still_covers_a_whole_attempt() -> None:
    assert claim_fresh_s(60, 5) == 55.0
    with pytest.raises(ValueError, match="longer than one attempt"):
        claim_fresh_s(5, 5)


def test_a_deployment_delivers_to_mqtt_brokers_and_checks_their_urls(tmp_path: Path) -> None:
    config = _deployment_file(tmp_path, f"store: {STORE}\nbus: [{BUS}]\n"
                                        "delivery:\n  mqtt: [mqtt://127.0.0.1:1883]\n")
    delivery = load_deployment(config).delivery
    assert delivery.mqtt == ("mqtt://127.0.0.1:1883",) and delivery.sends
    bad = _deployment_file(tmp_path, f"store: {STORE}\nbus: [{BUS}]\n"
                                     "delivery:\n  mqtt: [http://127.0.0.1:1883]\n")
    with pytest.raises(InputError, match=r"delivery\.mqtt"):
        load_deployment(bad)
