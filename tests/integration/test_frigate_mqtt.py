"""Frigate events over a real Mosquitto into the detection log (app/runtime/
frigate_intake.py): a burst taken exactly once, nothing lost across a broker restart or a
Borderwatch restart (QoS 1 and the persistent session), bad messages counted and refused
without losing the good ones. The events are written here in Frigate's documented
format (sim/frigate_events.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from tests.mqtt_fixtures import Publisher, wait_until

from borderwatch.adapters.mqtt.broker import parse_broker
from borderwatch.adapters.mqtt.server import Mosquitto
from borderwatch.adapters.sources.frigate_cameras import load_frigate_cameras
from borderwatch.adapters.sqlite.detections import DetectionLog
from borderwatch.app.runtime.frigate_intake import FrigateIntake, log_store
from borderwatch.sim.frigate_events import CAMERAS_YAML, message, tracked_object, walkers

_ids = itertools.count()


@pytest.fixture
def cameras_file(tmp_path: Path) -> Path:
    path = tmp_path / "cameras.yaml"
    path.write_text(CAMERAS_YAML)
    return path


class Rig:
    """An intake on a broker, storing into a detection log of its own."""

    def __init__(self, broker: Mosquitto, cameras: Path, db: Path) -> None:
        self.log = DetectionLog(db)
        self.broker = broker
        self.cameras = load_frigate_cameras(cameras)
        self.client_id = f"bw-test-{next(_ids)}"
        self.topic = f"frigate-{self.client_id}/events"
        self.intake = self.new_intake()

    def new_intake(self) -> FrigateIntake:
        return FrigateIntake(parse_broker(self.broker.url), self.cameras, log_store(self.log),
                             topic=self.topic, client_id=self.client_id)

    def ids(self) -> list[str]:
        return [d["id"] for chunk in self.log.replay() for d in chunk]


@pytest.fixture
def rig(mosquitto: Mosquitto, cameras_file: Path, tmp_path: Path) -> Iterator[Rig]:
    made = Rig(mosquitto, cameras_file, tmp_path / "detections.db")
    made.intake.start()
    yield made
    made.intake.stop()
    made.log.close()


def payloads(count: int, **settings: object) -> list[bytes]:
    return [orjson.dumps(m) for m in walkers(count, **settings)]  # type: ignore[arg-type]


def test_a_burst_of_ten_thousand_events_is_stored_exactly_once(rig: Rig) -> None:
    sent = payloads(10_000)
    publisher = Publisher(rig.broker.port, client_id=f"{rig.client_id}-pub")
    publisher.publish(sent, rig.topic)
    publisher.publish(sent[-500:], rig.topic)  # Frigate sending again: repeats, not new
    publisher.wait()
    publisher.close()
    wait_until(lambda: rig.intake.subscriber.status.handled >= 10_500, what="10,500 handled")
    ids = rig.ids()
    assert len(ids) == len(set(ids)) == 10_000
    counts = rig.intake.counts
    # Each of the 50 walkers' last message is a repeat; its 9 before are older than it.
    assert counts == {"accepted": 10_000, "duplicate": 50, "out_of_order": 450}


def test_a_broker_restart_mid_burst_loses_nothing(
        own_mosquitto: Mosquitto, cameras_file: Path, tmp_path: Path) -> None:
    rig = Rig(own_mosquitto, cameras_file, tmp_path / "detections.db")
    rig.intake.start()
    sent = payloads(4_000)
    publisher = Publisher(own_mosquitto.port, client_id=f"{rig.client_id}-pub")
    try:
        publisher.publish(sent[:2_000], rig.topic)
        publisher.wait()
        own_mosquitto.stop()  # mid-burst: the intake may not have everything yet
        publisher.publish(sent[2_000:], rig.topic)  # queued by the publisher meanwhile
        own_mosquitto.start()
        publisher.wait(60)
        wait_until(lambda: len(rig.ids()) >= 4_000, what="4,000 stored")
        assert sorted(rig.ids()) == sorted(set(rig.ids()))
        assert rig.intake.subscriber.status.connections >= 2
    finally:
        publisher.close()
        rig.intake.stop()
        rig.log.close()


def test_events_sent_while_borderwatch_restarts_are_delivered_on_reconnect(rig: Rig) -> None:
    publisher = Publisher(rig.broker.port, client_id=f"{rig.client_id}-pub")
    sent = payloads(3_000)
    publisher.publish(sent[:1_000], rig.topic)
    publisher.wait()
    wait_until(lambda: len(rig.ids()) >= 1_000, what="the first 1,000")
    rig.intake.stop()
    publisher.publish(sent[1_000:], rig.topic)  # nobody subscribed: the session holds them
    publisher.wait()
    publisher.close()
    rig.intake = rig.new_intake()
    rig.intake.start()
    wait_until(lambda: len(rig.ids()) >= 3_000, what="all 3,000 after the restart")
    assert len(set(rig.ids())) == 3_000
    assert rig.intake.subscriber.status.resumed == 1  # the broker kept our session


def test_bad_messages_are_counted_and_refused_and_the_good_ones_kept(rig: Rig) -> None:
    t = 1_738_587_600.0
    box = (600.0, 560.0, 640.0, 700.0)

    def event(kind: str = "update", **fields: object) -> bytes:
        fields.setdefault("frame_time", t)
        obj = str(fields.pop("object_id", "obj-1"))
        return orjson.dumps(message(kind, tracked_object(obj, box=box, **fields)))  # type: ignore[arg-type]

    good = payloads(200)
    bad = [b"\x00not json", b"{}", event(camera="loading_dock"), event(label="package"),
           event(object_id="fp", false_positive=True)]
    ordered = [event("new", object_id="o-1", frame_time=t + 5),
               event(object_id="o-1", frame_time=t + 4),   # older than the last taken
               event(object_id="o-1", frame_time=t + 5)]   # the same again
    publisher = Publisher(rig.broker.port, client_id=f"{rig.client_id}-pub")
    publisher.publish([*good[:100], *bad, *ordered, *good[100:]], rig.topic)
    publisher.wait()
    publisher.close()
    total = len(good) + len(bad) + len(ordered)
    wait_until(lambda: rig.intake.subscriber.status.handled >= total, what="all handled")
    assert len(rig.ids()) == 201
    assert rig.intake.counts == {"accepted": 201, "malformed_json": 1, "missing_field": 1,
                                 "unknown_camera": 1, "unknown_label": 1,
                                 "false_positive": 1, "out_of_order": 1, "duplicate": 1}
    reasons = [str(r) for r in rig.intake.refusals]
    assert any("event o-1: field after.frame_time" in r and "older" in r for r in reasons)
    assert any("loading_dock" in r for r in reasons)


def test_a_failing_store_is_retried_and_nothing_is_lost(
        mosquitto: Mosquitto, cameras_file: Path, tmp_path: Path) -> None:
    """`serve --mqtt` rides out a storage outage: the batch in hand is handed over again
    with back-off, unacknowledged meanwhile, and the intake goes on once it is stored."""
    rig = Rig(mosquitto, cameras_file, tmp_path / "detections.db")
    store = log_store(rig.log)
    outage = {"left": 3}

    def flaky(stored, detections):  # type: ignore[no-untyped-def]
        if outage["left"] > 0:
            outage["left"] -= 1
            raise OSError("database is locked")
        return store(stored, detections)

    rig.intake = FrigateIntake(parse_broker(mosquitto.url), rig.cameras, flaky,
                               topic=rig.topic, client_id=rig.client_id, retry_max_s=0.4)
    rig.intake.start()
    publisher = Publisher(mosquitto.port, client_id=f"{rig.client_id}-pub")
    try:
        publisher.publish(payloads(500), rig.topic)
        publisher.wait()
        wait_until(lambda: rig.intake.subscriber.status.failing, what="the store to fail")
        assert "database is locked" in rig.intake.subscriber.status.last_error
        wait_until(lambda: len(rig.ids()) >= 500, what="all 500 after the outage")
        status = rig.intake.subscriber.status
        assert len(set(rig.ids())) == 500
        assert rig.intake.subscriber.failed is None and not status.failing
        assert status.retries == 3 and status.last_error == ""
        publisher.publish(payloads(100, seed=99), rig.topic)  # still listening
        publisher.wait()
        wait_until(lambda: len(rig.ids()) >= 600, what="100 more after the outage")
    finally:
        publisher.close()
        rig.intake.stop()
        rig.log.close()


def test_without_retries_a_failing_store_stops_the_intake(rig: Rig) -> None:
    """`borderwatch ingest mqtt` stops and says why (what was not stored stays with the
    broker for its next run)."""
    rig.intake.stop()

    def broken(stored, detections):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    rig.intake = FrigateIntake(parse_broker(rig.broker.url), rig.cameras, broken,
                               topic=rig.topic, client_id=rig.client_id)
    rig.intake.start()
    publisher = Publisher(rig.broker.port, client_id=f"{rig.client_id}-pub")
    publisher.publish(payloads(10), rig.topic)
    publisher.wait()
    publisher.close()
    wait_until(lambda: rig.intake.subscriber.failed is not None, what="the intake to stop")
    assert "disk full" in rig.intake.subscriber.status.last_error
    assert rig.ids() == []
