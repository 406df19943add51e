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
   detections/s: a batch every 50 ms) while a second connection reads the live feed
   (SSE); for every ``tracks`` event, the wall time from posting that second's batch to
   receiving the event. With no reorder window the service tracks a second as soon as
   its queue is dry (pipeline.Pipeline.feed_many, ``cut``); with the default 5 s window
   a report waits by design until the stream has moved 5 s past it.

    .venv/bin/python bench/api.py [--seconds 120] [--paced-seconds 200] [--rate 20000]
Last line: ``api: ingest_per_s=... feed_p99_ms=...`` (sustained rate of 1., p99 of 2.).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import orjson

from borderwatch.service.roles import Role
from borderwatch.service.storage import KeyStore

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


def start_service(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "borderwatch"), "serve", "--db", str(db),
         "--port", str(port), "--reorder-window", "0"],
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


class FeedClock:
    """Reads the live feed; the latency of each ``tracks`` event from its batch's post."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.posted: dict[str, float] = {}
        self.latencies: list[float] = []
        self.listening = threading.Event()
        threading.Thread(target=self._listen, args=(url, headers), daemon=True).start()
        self.listening.wait(10)

    def _listen(self, url: str, headers: dict[str, str]) -> None:
        try:
            with httpx.stream("GET", url + "/v1/stream", headers=headers, timeout=None) as r:
                for line in r.iter_lines():
                    self.listening.set()
                    if line.startswith("data: ") and '"tracks"' in line[:30]:
                        now = time.perf_counter()
                        stamp = orjson.loads(line[6:]).get("data_time") or ""
                        sent = self.posted.pop(stamp, None)
                        if sent is not None:
                            self.latencies.append(now - sent)
        except httpx.HTTPError:
            pass  # the service was stopped at the end of the run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=120,
                        help="batches (data seconds) posted as fast as acknowledged")
    parser.add_argument("--paced-seconds", type=int, default=200,
                        help="batches posted on a fixed schedule for the latency")
    parser.add_argument("--rate", type=float, default=20_000,
                        help="detections/s of the paced phase")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bw-bench-api-"))
    db = folder / "service.db"
    key, _ = KeyStore(db).create("RCMP-K", Role.OPERATOR, "bench")
    server, url = start_service(db)
    headers = {"X-API-Key": key, "content-type": "application/json"}
    total = args.seconds + args.paced_seconds
    try:
        bodies = [batch(s) for s in range(total)]
        load_before = os.getloadavg()[0]
        throttled = accepted = 0
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            t0 = time.perf_counter()
            for body in bodies[:args.seconds]:
                n, waits = post(client, body)
                accepted += n
                throttled += waits
            acknowledged = time.perf_counter() - t0
            wait_tracked(client)
            tracked = time.perf_counter() - t0
            feed = FeedClock(url, headers)
            gap = 1000 / args.rate
            start = time.perf_counter()
            paced_throttled = 0
            for n, body in enumerate(bodies[args.seconds:]):
                due = start + n * gap
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                feed.posted[stamp_of(args.seconds + n)] = time.perf_counter()
                paced_throttled += post(client, body)[1]
            paced = time.perf_counter() - start
            wait_tracked(client)
        time.sleep(1.0)
        rate = accepted / tracked
        lat_ms = np.array(feed.latencies) * 1000 if feed.latencies else np.array([np.nan])
        print("service: borderwatch serve on 127.0.0.1 (separate process), a fresh SQLite "
              "file (removed afterwards)")
        print(f"machine: {os.cpu_count()} cores, load average before/after "
              f"{load_before:.1f}/{os.getloadavg()[0]:.1f} (other work shares these cores)")
        print(f"throughput: {args.seconds} batches of 1,000 detections; accepted {accepted:,}; "
              f"429 answers {throttled}")
        print(f"  acknowledged (stored, synchronous=FULL) in {acknowledged:.2f} s: "
              f"{accepted / acknowledged:,.0f} detections/s")
        print(f"  tracked in {tracked:.2f} s: {rate:,.0f} detections/s sustained")
        print(f"latency: {args.paced_seconds} batches paced at {args.rate:,.0f} detections/s "
              f"(took {paced:.2f} s; 429 answers {paced_throttled})")
        print(f"  ingest to live feed over {len(feed.latencies)} track events: p50 "
              f"{np.nanpercentile(lat_ms, 50):.1f} ms, p99 {np.nanpercentile(lat_ms, 99):.1f} "
              f"ms, max {np.nanmax(lat_ms):.1f} ms")
        print(f"api: ingest_per_s={rate:.0f} feed_p99_ms={np.nanpercentile(lat_ms, 99):.0f}")
    finally:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
