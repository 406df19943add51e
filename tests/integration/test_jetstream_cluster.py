"""The JetStream bus on a three-node NATS cluster loses nothing when a node dies.

A publisher thread publishes a steady stream of detections with message ids to an R3
stream (pipelined batches and single publishes) while a consumer thread (its own
connection, as another process would have) acks them on a durable and on an ephemeral
consumer. The node the publisher is connected to is SIGKILLed mid-stream, once while it
leads the stream and once while another node does. Every publish that was acknowledged
must be delivered to both consumers, and no message stored twice: the publisher's retries
during the switch carry the same msg_id, so after de-duplication each id has one stream
sequence. Then the node comes back and the cluster must be healthy with all three
replicas current.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
from tests.nats_fixtures import fresh_stream_name

from borderwatch.adapters.nats.bus import JetStreamBus
from borderwatch.adapters.nats.errors import JetStreamApiError
from borderwatch.adapters.nats.server import NatsCluster, NatsServer
from borderwatch.ports.bus import BusClosedError

BEFORE_S = 0.8
"""How long the stream runs before the kill, and again after it."""


def publishers_node(cluster: NatsCluster, bus: JetStreamBus) -> NatsServer:
    url = bus.nc.connected_url
    return next(node for node in cluster.nodes if url is not None and node.port == url.port)


def place_stream_leader(bus: JetStreamBus, cluster: NatsCluster, *, on: str, off: str) -> str:
    """Have the stream's leader moved (a leader step-down with a preferred successor) until
    it is ``on`` that node, or ``off`` it; returns the leader's name."""
    give_up_at = time.monotonic() + 20.0
    while time.monotonic() < give_up_at:
        leader = str(bus.stream_info()["cluster"].get("leader", ""))
        if (on and leader == on) or (off and leader and leader != off):
            return leader
        preferred = on or next(node.name for node in cluster.nodes if node.name != off)
        with contextlib.suppress(JetStreamApiError):
            bus.call(
                bus.api(
                    f"STREAM.LEADER.STEPDOWN.{bus.stream}", {"placement": {"preferred": preferred}}
                ),
                "move the stream leader",
            )
        time.sleep(0.2)
    raise AssertionError(f"the stream leader could not be placed (on={on!r}, off={off!r})")


@pytest.mark.parametrize("which", ["follower", "stream_leader"])
def test_acknowledged_publishes_survive_losing_a_node(
    nats_cluster: NatsCluster, which: str
) -> None:
    stream = fresh_stream_name()
    publisher = JetStreamBus(
        nats_cluster.urls, stream=stream, replicas=3, publish_timeout_s=1.0, retry_s=20.0
    )
    consumer = JetStreamBus(nats_cluster.urls, stream=stream, replicas=3, publish_timeout_s=1.0)
    acked: dict[str, int] = {}
    duplicates_answered: list[str] = []
    received: dict[str, set[int]] = defaultdict(set)  # by the durable "trackers"
    received_ephemeral: set[str] = set()
    lock = threading.Lock()  # the received maps, between the consumer and the test
    deliveries = 0
    failures: list[BaseException] = []
    stop_publishing = threading.Event()
    stop_consuming = threading.Event()

    def publish() -> None:
        # Batches pipelined as ingest sends them (many in flight when the node dies, so
        # some are stored without their answer arriving), then a single publish.
        i = 0
        try:
            while not stop_publishing.is_set():
                batch = [("detections.seg-1", b"%d" % n, f"d-{n}") for n in range(i, i + 20)]
                acks = publisher.publish_many(batch)
                n = i + len(batch)
                acks.append(publisher.publish("detections.seg-2", b"%d" % n, msg_id=f"d-{n}"))
                for n, ack in enumerate(acks, start=i):
                    acked[f"d-{n}"] = ack.seq
                    if ack.duplicate:  # a retry whose first attempt had been stored
                        duplicates_answered.append(f"d-{n}")
                i += len(acks)
                time.sleep(0.005)  # a steady stream, not a flood: 2 cores, 3 servers
        except BaseException as error:
            failures.append(error)

    def consume() -> None:
        # A durable (R3 like its stream) and an ephemeral consumer (made R3 by the bus).
        nonlocal deliveries
        try:
            durable = consumer.subscribe("detections.>", durable="trackers", ack_wait_s=1.0)
            ephemeral = consumer.subscribe("detections.>", ack_wait_s=1.0)
            while not stop_consuming.is_set():
                for message in durable.fetch(batch=200, timeout=0.1):
                    assert message.msg_id is not None
                    with lock:
                        received[message.msg_id].add(message.seq)
                        deliveries += 1
                    message.ack()
                for message in ephemeral.fetch(batch=200, timeout=0.1):
                    with lock:
                        received_ephemeral.add(str(message.msg_id))
                    message.ack()
        except BusClosedError:
            pass
        except BaseException as error:
            failures.append(error)

    # The victim is the node the publisher is connected to, so its connection fails over
    # either way; as "follower" the stream's leader is elsewhere (no election), as
    # "stream_leader" it is the leader, and the other two elect a new one (JetStream's
    # election timeout is 4-9 s: publishes wait that long, retried under the same id).
    victim = publishers_node(nats_cluster, publisher)
    if which == "stream_leader":
        place_stream_leader(publisher, nats_cluster, on=victim.name, off="")
    else:
        place_stream_leader(publisher, nats_cluster, on="", off=victim.name)
    threads = [threading.Thread(target=publish), threading.Thread(target=consume)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(BEFORE_S)
        assert publishers_node(nats_cluster, publisher) is victim
        acked_before = len(acked)
        victim.kill()
        time.sleep(BEFORE_S)
        give_up_at = time.monotonic() + 20.0
        while len(acked) < acked_before + 200 and time.monotonic() < give_up_at:
            time.sleep(0.05)  # publishing resumed on the other two nodes
        stop_publishing.set()
        threads[0].join(30.0)
        assert not failures, failures
        assert len(acked) >= acked_before + 200, "publishing did not resume after the kill"
        # A publisher that lost its answers sends its last batch again: the new leader
        # knows every id acknowledged before the kill, so nothing is stored twice.
        last = [f"d-{n}" for n in range(acked_before - 100, acked_before)]
        again = publisher.publish_many([("detections.seg-1", m[2:].encode(), m) for m in last])
        assert [(a.seq, a.duplicate) for a in again] == [(acked[m], True) for m in last]

        def undelivered() -> set[str]:
            with lock:
                return (set(acked) - set(received)) | (set(acked) - received_ephemeral)

        give_up_at = time.monotonic() + 20.0
        while undelivered() and time.monotonic() < give_up_at:
            time.sleep(0.05)
        stop_consuming.set()
        threads[1].join(10.0)
        assert not failures, failures

        missing = sorted(undelivered(), key=lambda m: int(m[2:]))
        assert not missing, f"{len(missing)} acknowledged publishes never delivered: {missing[:5]}"
        stored_twice = {m: seqs for m, seqs in received.items() if len(seqs) > 1}
        assert not stored_twice, f"stored under several sequences: {stored_twice}"
        assert {m: seqs.pop() for m, seqs in received.items()} == acked
        assert publisher.stream_info()["state"]["messages"] == len(acked)

        nats_cluster.restart(nats_cluster.nodes.index(victim))
        give_up_at = time.monotonic() + 20.0
        while time.monotonic() < give_up_at:
            replicas = publisher.stream_info()["cluster"].get("replicas", [])
            if len(replicas) == 2 and all(r.get("current") for r in replicas):
                break
            time.sleep(0.1)
        assert all(r.get("current") and not r.get("offline") for r in replicas), replicas
        assert publisher.publish("detections.seg-1", b"after", msg_id="after").seq == (
            len(acked) + 1
        )
        print(
            f"killed {victim.name} ({which}): {len(acked)} published, "
            f"{len(duplicates_answered)} retries answered duplicate, "
            f"{deliveries - len(received)} redeliveries"
        )
    finally:
        stop_publishing.set()
        stop_consuming.set()
        for thread in threads:
            thread.join(10.0)
        publisher.close()
        consumer.close()


def test_a_cluster_whose_chosen_port_was_taken_meanwhile_starts_on_new_ports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another process binds a port between its choice and the node's start (seen in CI on
    # a busy machine): the start is tried again on new ports, not failed.
    import socket

    import borderwatch.adapters.nats.server as server

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = taken.getsockname()[1]
    real, handed = server.free_port, [False]

    def first_one_busy(host: str = "127.0.0.1") -> int:
        if not handed[0]:
            handed[0] = True
            return int(busy)
        return real(host)

    monkeypatch.setattr(server, "free_port", first_one_busy)
    cluster = NatsCluster(tmp_path, size=3)
    try:
        cluster.start()
        assert handed[0] and cluster.nodes[0].port != busy
    finally:
        cluster.stop()
        taken.close()
