"""Ingest throughput and ingest-to-live-feed latency of `borderwatch serve`, over loopback.

The service runs as its own process (`borderwatch serve --reorder-window 0`, a fresh
SQLite file, synchronous=FULL); this process is the load generator. It walks 1,000
simulated people on a 50 m grid just north of the line near Coutts, one report each per
second of data time, and posts each second as one batch of 1,000 detections.

1. **Throughput.** Batches are posted as fast as the service acknowledges them (a 429 is
   honoured: wait Retry-After, send again). The sustained rate counts until the last
   detection has been *tracked*, not only stored: a service that acknowledges faster
   than it tracks is only filling its queue.
2. **Latency.** Batches are then posted on a fixed schedule at the aimed rate (20,000
   detections/s: a batch every 50 ms) while a reader process holds a second connection
   to the live feed (SSE); for every ``tracks`` event, the time from posting that
   second's batch to the arrival of the event's last byte. With no reorder window the
   service tracks a second as soon as its queue is dry (pipeline.Pipeline.feed_many,
   ``cut``); with the default 5 s window a report waits by design until the stream has
   moved 5 s past it.

    .venv/bin/python bench/api.py [--seconds 120] [--paced-seconds 200] [--rate 20000]

Both are measured twice on the same batches: first with the tracker in a thread of the
HTTP process (the baseline, ``serve --tracker thread``), then in a process of its own
(the default); the ratios are printed.

Last line: ``api: ingest_per_s=... feed_p99_ms=...`` (sustained rate of 1., p99 of 2.).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson

from borderwatch.adapters.sqlite.keys import KeyStore
from borderwatch.domain.access import Role

START = datetime(2025, 2, 3, 12, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def batch(second: int, people: int = 1000) -> bytes:
    cols = 40
    at = (START + timedelta(seconds=second)).isoformat().replace("+00:00", "Z")
    items = []
    for i in range(people):
        row, col = divmod(i, cols)
        lat = 49.005 + row * 0.00045 + second * 0.8 / 111_000
        lon = -111.95 + col * 0.00068
        items.append({"id": f"{second}-{i}", "time": at, "sensor_id": f"radar-{col % 10}",
                      "lat": round(lat, 7), "lon": round(lon, 7), "sigma_m": 5.0,
                      "kind": "person", "simulated": True})
    return orjson.dumps(items)


def start_service(db: Path, tracker: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "borderwatch"), "serve", "--db", str(db),
         "--port", str(port), "--reorder-window", "0", "--tracker", tracker,
         "--allow-undeclared-sensors"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, url


def stamp_of(second: int) -> str:
    stamp = (START + timedelta(seconds=second)).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def post(client: httpx.Client, body: bytes) -> tuple[int, int]:
    """Post until accepted; (accepted, 429 answers)."""
    throttled = 0
    while True:
        r = client.post("/v1/detections", content=body)
        if r.status_code != 429:
            break
        throttled += 1
        time.sleep(float(r.headers.get("Retry-After", "1")))
    r.raise_for_status()
    return int(r.json()["accepted"]), throttled


def wait_tracked(client: httpx.Client) -> None:
    while client.get("/healthz").json()["pending"] > 0:
        time.sleep(0.005)


def read_feed(url: str, headers: dict[str, str], arrivals: Any, ready: Any) -> None:
    """The live-feed reader, a process of its own so that the poster's work never delays
    it: for every ``tracks`` event, its data time and the monotonic time (system-wide on
    Linux) at which its last byte arrived. It reads raw bytes and finds the data time by
    its key, as a client would before parsing the 150 kB of features: parsing them is the
    client's work, not the service's latency."""
    buffer = b""
    key = b'"data_time":"'
    try:
        with httpx.stream("GET", url + "/v1/stream", headers=headers, timeout=None) as r:
            ready.set()
            for chunk in r.iter_raw():
                now = time.monotonic()
                buffer += chunk
                while (end := buffer.find(b"\n\n")) >= 0:
                    message, buffer = buffer[:end], buffer[end + 2:]
                    if message.startswith(b"event: tracks"):
                        at = message.rfind(key) + len(key)
                        arrivals.put((message[at:message.index(b'"', at)].decode(), now))
    except httpx.HTTPError:
        pass  # the service was stopped at the end of the run


@dataclass
class Result:
    tracker: str
    accepted: int = 0
    throttled: int = 0
    acknowledged_s: float = 0.0
    tracked_s: float = 0.0
    paced_s: float = 0.0
    paced_throttled: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.accepted / self.tracked_s

    def latency(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")


def measure(tracker: str, bodies: list[bytes], args: argparse.Namespace) -> Result:
    """Both phases against a fresh service whose tracker runs as ``tracker``."""
    folder = Path(tempfile.mkdtemp(prefix="bw-bench-api-"))
    db = folder / "service.db"
    key, _ = KeyStore(db).create("RCMP-K", Role.OPERATOR, "bench")
    server, url = start_service(db, tracker)
    headers = {"X-API-Key": key, "content-type": "application/json"}
    result = Result(tracker)
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            t0 = time.perf_counter()
            for body in bodies[:args.seconds]:
                n, waits = post(client, body)
                result.accepted += n
                result.throttled += waits
            result.acknowledged_s = time.perf_counter() - t0
            wait_tracked(client)
            result.tracked_s = time.perf_counter() - t0
            context = multiprocessing.get_context("spawn")
            arrivals, ready = context.Queue(), context.Event()
            reader = context.Process(target=read_feed, args=(url, headers, arrivals, ready),
                                     daemon=True)
            reader.start()
            ready.wait(30)
            posted: dict[str, float] = {}
            gap = 1000 / args.rate
            start = time.perf_counter()
            for n, body in enumerate(bodies[args.seconds:]):
                due = start + n * gap
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                posted[stamp_of(args.seconds + n)] = time.monotonic()
                result.paced_throttled += post(client, body)[1]
            result.paced_s = time.perf_counter() - start
            wait_tracked(client)
        time.sleep(1.0)
        while not arrivals.empty():
            stamp, arrived = arrivals.get()
            if stamp in posted:
                result.latencies_ms.append((arrived - posted.pop(stamp)) * 1000)
        reader.terminate()
    finally:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=120,
                        help="batches (data seconds) posted as fast as acknowledged")
    parser.add_argument("--paced-seconds", type=int, default=200,
                        help="batches posted on a fixed schedule for the latency")
    parser.add_argument("--rate", type=float, default=20_000,
                        help="detections/s of the paced phase")
    args = parser.parse_args()
    bodies = [batch(s) for s in range(args.seconds + args.paced_seconds)]
    load_before = os.getloadavg()[0]
    # The baseline first: the same service with its tracker in a thread of the HTTP
    # process (`serve --tracker thread`), on the same batches.
    baseline, ours = (measure(tracker, bodies, args) for tracker in ("thread", "process"))
    print("service: borderwatch serve on 127.0.0.1 (separate process), a fresh SQLite "
          "file each run (removed afterwards); the tracker in a thread of the HTTP process "
          "(baseline) and in a process of its own (the default)")
    print(f"machine: {os.cpu_count()} cores, load average before/after "
          f"{load_before:.1f}/{os.getloadavg()[0]:.1f} (other work shares these cores)")
    print(f"throughput: {args.seconds} batches of 1,000 detections; latency: "
          f"{args.paced_seconds} batches paced at {args.rate:,.0f} detections/s")
    print(f"{'tracker':<9} {'accepted':>9} {'429s':>5} {'acked/s':>9} {'tracked/s':>10} "
          f"{'paced s':>8} {'feed p50':>9} {'p99':>7} {'max':>7}  (ms)")
    for r in (baseline, ours):
        print(f"{r.tracker:<9} {r.accepted:>9,} {r.throttled + r.paced_throttled:>5} "
              f"{r.accepted / r.acknowledged_s:>9,.0f} {r.rate:>10,.0f} {r.paced_s:>8.2f} "
              f"{r.latency(50):>9.1f} {r.latency(99):>7.1f} "
              f"{max(r.latencies_ms, default=float('nan')):>7.1f}")
    print(f"track events received: {len(baseline.latencies_ms)} and {len(ours.latencies_ms)} "
          f"of {args.paced_seconds}")
    print(f"ratio, own process over thread: sustained rate x{ours.rate / baseline.rate:.2f}, "
          f"feed p99 x{ours.latency(99) / baseline.latency(99):.2f}")
    print(f"api: ingest_per_s={ours.rate:.0f} feed_p99_ms={ours.latency(99):.0f}")


if __name__ == "__main__":
    main()
