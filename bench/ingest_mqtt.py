"""Frigate events over MQTT into the detection log: throughput and latency, end to end.

A Mosquitto of its own (adapters/mqtt/server.py, a temporary directory) and a fresh
SQLite detection log (synchronous=FULL, as the service keeps it). The events are made up
in Frigate's documented format by ``sim/frigate_events.py`` (simulated people in front of
a simulated camera; every detection is marked simulated).

1. **Throughput.** N events are published while the intake is away, so the broker holds
   them in its persistent session; the intake (app/runtime/frigate_intake.py: subscribe,
   parse, place on the ground, store, acknowledge) then starts, and the time from its
   start to the last event stored gives the rate: broker -> parsed -> stored detection,
   independent of how fast anything publishes.
   Two baselines in the same process on the same N events: (a) the same payloads read
   from a JSONL file, parsed and stored in batches of 1,000 with no MQTT at all; (b) a
   bare paho subscriber that only counts what the broker sends from a backlog of its own
   (no parsing, no store, acknowledged by paho). The ratios to both are printed.
2. **Latency.** A publisher in a process of its own (as Frigate is) sends events on a
   fixed schedule at --rate, below the maximum, for --paced-seconds, stamping each with
   its send time; for each, the time from that stamp to its detection being committed.

    .venv/bin/python bench/ingest_mqtt.py [--events 20000] [--rate 2000] [--paced-seconds 10]

Last line: ``mqtt: events_per_s=... p99_ms=...`` (1.'s rate, 2.'s p99).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from borderwatch.adapters.mqtt.broker import parse_broker
from borderwatch.adapters.mqtt.server import Mosquitto
from borderwatch.adapters.mqtt.subscriber import Received
from borderwatch.adapters.sources.frigate import FrigateTranslator, Translated
from borderwatch.adapters.sources.frigate_cameras import load_frigate_cameras
from borderwatch.adapters.sqlite.detections import DetectionLog
from borderwatch.app.runtime.frigate_intake import FrigateIntake, log_store
from borderwatch.sim.frigate_events import CAMERAS_YAML, walkers

TOPIC = "frigate/events"
FILE_BATCH = 1_000


def _client(port: int, client_id: str, *, persistent: bool) -> mqtt.Client:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=not persistent)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port, 30)
    return client


def open_session(port: int, client_id: str) -> None:
    """Subscribe once under ``client_id`` and leave: the broker keeps the session and
    queues what is published for it until it comes back."""
    done = threading.Event()
    client = _client(port, client_id, persistent=True)
    client.on_subscribe = lambda c, u, mid, codes, p: done.set()
    client.subscribe(TOPIC, qos=1)
    client.loop_start()
    assert done.wait(10), "no SUBACK"
    client.disconnect()
    client.loop_stop()


def publish_all(port: int, payloads: Sequence[bytes]) -> None:
    """Publish at QoS 1 and wait until the broker has acknowledged every message."""
    acked: set[int] = set()
    client = _client(port, "bench-publisher", persistent=False)
    client.on_publish = lambda c, u, mid, reason, p: acked.add(mid)
    client.loop_start()
    mids = [client.publish(TOPIC, payload, qos=1).mid for payload in payloads]
    deadline = time.monotonic() + 120
    while len(acked) < len(mids) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(acked) >= len(mids), f"{len(acked)} of {len(mids)} acknowledged"
    client.disconnect()
    client.loop_stop()


def paced_publisher(port: int, payloads: list[bytes], rate: float) -> None:
    """In its own process: each payload at ``start + i / rate`` (wall clock, from half a
    second after it connected: the schedule does not start while the process is still
    importing), stamped with its send time (a top-level key Frigate's format does not
    have, so the intake ignores it)."""
    client = _client(port, "bench-paced-publisher", persistent=False)
    client.loop_start()
    start_at = time.time() + 0.5
    infos = []
    for i, payload in enumerate(payloads):
        due = start_at + i / rate
        pause = due - time.time()
        if pause > 0:
            time.sleep(pause)
        stamped = payload[:-1] + b',"bench_sent_s":' + repr(time.time()).encode() + b"}"
        infos.append(client.publish(TOPIC, stamped, qos=1))
    for info in infos:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()


def file_baseline(payloads: Sequence[bytes], cameras_path: Path, folder: Path) -> float:
    """Seconds to read the payloads from a JSONL file, translate and store them."""
    source = folder / "events.jsonl"
    source.write_bytes(b"\n".join(payloads) + b"\n")
    log = DetectionLog(folder / "file-baseline.db")
    translator = FrigateTranslator(load_frigate_cameras(cameras_path))
    started = time.perf_counter()
    with source.open("rb") as lines:
        batch: list[bytes] = []
        for line in lines:
            batch.append(line.rstrip(b"\n"))
            if len(batch) == FILE_BATCH:
                log.append(translator.translate(batch).stored)
                batch = []
        if batch:
            log.append(translator.translate(batch).stored)
    seconds = time.perf_counter() - started
    assert log.count() == len(payloads), (log.count(), translator.counts)
    log.close()
    return seconds


def bare_subscriber(port: int, expected: int) -> float:
    """Seconds for a paho subscriber that only counts to drain its backlog."""
    got = 0
    done = threading.Event()

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        nonlocal got
        got += 1
        if got >= expected:
            done.set()

    client = _client(port, "bench-bare", persistent=True)
    client.on_message = on_message
    started = time.perf_counter()
    client.loop_start()
    assert done.wait(300), f"bare subscriber got {got} of {expected}"
    seconds = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return seconds


class Stored:
    """What the intake stored, as its on_stored hook sees it."""

    def __init__(self) -> None:
        self.count = 0
        self.last_at = 0.0
        self.latencies: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, batch: Sequence[Received], out: Translated, stored_at: float) -> None:
        with self.lock:
            self.count += len(out.detections)
            self.last_at = time.perf_counter()
            for item in batch:
                sent = orjson.loads(item.payload).get("bench_sent_s")
                if sent is not None:
                    self.latencies.append(stored_at - sent)


def wait_for(stored: Stored, count: int, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while stored.count < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {stored.count} of {count} stored")
        time.sleep(0.005)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=2_000.0)
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="borderwatch-bench-mqtt-"))
    broker = Mosquitto(folder / "broker")
    try:
        broker.start()
        cameras_path = folder / "cameras.yaml"
        cameras_path.write_text(CAMERAS_YAML)
        cameras = load_frigate_cameras(cameras_path)
        paced_count = int(args.rate * args.paced_seconds)
        events = [orjson.dumps(m) for m in walkers(args.events + paced_count, objects=200)]
        backlog, paced = events[:args.events], events[args.events:]

        file_s = file_baseline(backlog, cameras_path, folder)

        # Both sessions first, then the backlog: the broker queues it for each.
        open_session(broker.port, "bench-bare")
        open_session(broker.port, "bench-intake")
        publish_all(broker.port, backlog)
        bare_s = bare_subscriber(broker.port, len(backlog))

        log = DetectionLog(folder / "mqtt.db")
        stored = Stored()
        intake = FrigateIntake(parse_broker(broker.url), cameras, log_store(log), topic=TOPIC,
                               client_id="bench-intake", on_stored=stored)
        started = time.perf_counter()
        intake.start()
        wait_for(stored, len(backlog))
        mqtt_s = stored.last_at - started
        refused = sum(v for k, v in intake.counts.items() if k != "accepted")

        # Paced: the publisher is another process, as Frigate is.
        context = multiprocessing.get_context("spawn")
        publisher = context.Process(target=paced_publisher,
                                    args=(broker.port, paced, args.rate))
        publisher.start()
        wait_for(stored, len(backlog) + len(paced), timeout_s=args.paced_seconds + 120)
        publisher.join(60)
        intake.stop()
        assert log.count() == len(events), (log.count(), intake.counts)
        log.close()
    finally:
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)

    n = len(backlog)
    latency_ms = np.array(stored.latencies) * 1000.0
    p50, p99, high = (float(np.percentile(latency_ms, q)) for q in (50, 99, 100))
    rate = n / mqtt_s
    print(f"Frigate events over MQTT -> stored detections; {n:,} events, simulated camera")
    print(f"{'phase':<40}{'events':>10}{'seconds':>10}{'events/s':>12}")
    for name, seconds in (("file -> parsed -> stored (baseline)", file_s),
                          ("broker -> bare subscriber (baseline)", bare_s),
                          ("broker -> parsed -> stored", mqtt_s)):
        print(f"{name:<40}{n:>10,}{seconds:>10.2f}{n / seconds:>12,.0f}")
    print(f"refused: {refused}")
    print(f"ratio, MQTT over file: x{file_s / mqtt_s:.2f}; MQTT over bare subscriber: "
          f"x{bare_s / mqtt_s:.2f}")
    print(f"paced at {args.rate:,.0f} events/s for {args.paced_seconds:g} s, publisher in its "
          f"own process, publish -> committed: {len(latency_ms):,} events, p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms, max {high:.1f} ms")
    print(f"mqtt: events_per_s={rate:.0f} p99_ms={p99:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
