"""The cluster on real engines (issue 16): the API, two tracker workers and two
dispatchers as processes on PostgreSQL and NATS JetStream started by the test session.
The Coutts night gives the incidents the embedded default gives, every detection is
stored once, and the alerts reach a real CoT listener, a CAP folder, a real webhook
receiver and a Mosquitto subscriber, each once after de-duplication."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from tests.alert_helpers import WebhookReceiver, assert_valid_cot
from tests.cluster_helpers import essence
from tests.cluster_procs import ProcCluster
from tests.mqtt_fixtures import Listener, Publisher
from tests.service_helpers import coutts_wire, post_all, running_service

from borderwatch.adapters.mqtt.server import Mosquitto
from borderwatch.adapters.nats.server import NatsServer
from borderwatch.adapters.postgres.storage import PostgresStorage
from borderwatch.adapters.transports.tak import CotListener
from borderwatch.app.runtime.config import Delivery
from borderwatch.domain.access import Role
from borderwatch.sim.frigate_events import CAMERAS_YAML, walkers

SECRET = "cluster-webhook-secret"
POLICY = Path(__file__).resolve().parents[2] / "src/borderwatch/alerts/policy.yaml"
pytestmark = pytest.mark.slow


def operator_key(store: str) -> dict[str, str]:
    storage = PostgresStorage(store)
    try:
        key, _ = storage.keys.create("RCMP-K", Role.OPERATOR)
    finally:
        storage.close()
    return {"X-API-Key": key}


def incidents(url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    body = httpx.get(f"{url}/v1/incidents", headers=headers, timeout=10).json()
    return [f["properties"] for f in body["features"]]


def stored_detections(store: str) -> tuple[int, int]:
    with psycopg.connect(store) as connection:
        row = connection.execute(
            "SELECT count(*), count(DISTINCT id) FROM service_detections").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.fixture
def embedded_incidents(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The Coutts night through the embedded default (one process, SQLite)."""
    folder = tmp_path_factory.mktemp("embedded")
    with running_service(folder / "service.db") as run:
        headers = run.key("RCMP-K", "operator")
        with httpx.Client(base_url=run.url, timeout=30) as client:
            post_all(client, coutts_wire(), headers)
        run.wait_idle()
        return incidents(run.url, headers)


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CotListener, WebhookReceiver]]:
    monkeypatch.setenv("BORDERWATCH_WEBHOOK_SECRET", SECRET)
    listener = CotListener()
    listener.start()
    receiver = WebhookReceiver(SECRET.encode())
    yield listener, receiver
    receiver.close()
    listener.close()


def test_the_coutts_night_on_the_cluster_gives_the_embedded_incidents_and_alerts(
    tmp_path: Path, postgres_url: str, nats_server: NatsServer,
    embedded_incidents: list[dict[str, Any]],
    receivers: tuple[CotListener, WebhookReceiver], mosquitto: Mosquitto,
) -> None:
    listener, receiver = receivers
    caps = tmp_path / "cap"
    # The bundled policy with MQTT added to the responsible unit's channels.
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.read_text().replace(
        "channels: [console, jsonl, cot, cap, webhook]",
        "channels: [console, jsonl, cot, cap, webhook, mqtt]"))
    delivery = Delivery(policy=policy, cot=(f"tcp://127.0.0.1:{listener.port}",),
                        cap=(str(caps),), webhook=(receiver.url,), mqtt=(mosquitto.url,))
    subscriber = Listener(mosquitto.port, client_id="cluster-incident-listener")
    cluster = ProcCluster(postgres_url, [nats_server.url], tmp_path / "cluster",
                          delivery=delivery)
    try:
        api = cluster.api()
        workers = [cluster.worker("track-1"), cluster.worker("track-2")]
        dispatchers = [cluster.dispatcher("dispatch-1"), cluster.dispatcher("dispatch-2")]
        headers = operator_key(postgres_url)
        wires = coutts_wire()
        with httpx.Client(base_url=cluster.api_url, timeout=30) as client:
            post_all(client, wires, headers)
        want = sorted(map(essence, embedded_incidents))
        assert want, "the embedded default raises the night's incidents"
        cluster.wait(lambda: sorted(map(essence, incidents(cluster.api_url, headers))) == want,
                     "the cluster's incidents", api, *workers)
        assert stored_detections(postgres_url) == (len(wires), len(wires))
        cluster.wait(lambda: receiver.keys and listener.events and any(caps.glob("*.xml"))
                     and subscriber.messages, "alerts at every receiver", *dispatchers)
    finally:
        cluster.close()
        subscriber.close()
    assert all(count == 1 for count in receiver.keys.values()), receiver.keys
    # Each alert's MQTT message arrived once, though two dispatchers shared the outbox.
    keys = [orjson.loads(m.payload)["dedup_key"] for m in subscriber.messages]
    assert len(keys) == len(set(keys)), keys
    assert all(m.topic.startswith("borderwatch/incidents/") for m in subscriber.messages)
    for event in listener.events:
        assert_valid_cot(event)


def test_frigate_events_through_the_clusters_api_are_stored_once_and_tracked(
    tmp_path: Path, postgres_url: str, nats_server: NatsServer, mosquitto: Mosquitto,
) -> None:
    """`serve --mqtt --cameras` on a cluster's API process: Frigate's events go to the bus
    like posted detections, a worker tracks them, PostgreSQL stores each once."""
    cameras = tmp_path / "cameras.yaml"
    cameras.write_text(CAMERAS_YAML)
    topic = f"frigate-{tmp_path.name}/events"
    cluster = ProcCluster(postgres_url, [nats_server.url], tmp_path / "cluster")
    publisher = Publisher(mosquitto.port, client_id=f"{tmp_path.name}-pub")
    try:
        api = cluster.api("api", None, "--mqtt", mosquitto.url, "--cameras", str(cameras),
                          "--mqtt-topic", topic, "--mqtt-client-id", f"bw-{tmp_path.name}")
        worker = cluster.worker("track-1")
        headers = operator_key(postgres_url)
        messages = [orjson.dumps(m) for m in walkers(400, objects=4)]
        publisher.publish(messages, topic)
        publisher.publish(messages[-40:], topic)  # sent again: stored once
        publisher.wait()
        cluster.wait(lambda: stored_detections(postgres_url)[0] >= 400, "400 stored", api)
        cluster.wait(lambda: httpx.get(f"{cluster.api_url}/v1/tracks", headers=headers,
                                       timeout=10).json()["features"],
                     "tracks from the Frigate detections", api, worker)
        assert stored_detections(postgres_url) == (400, 400)
    finally:
        publisher.close()
        cluster.close()
