"""Ingest throughput and ingest-to-live-feed latency of `borderwatch serve`, over loopback.

The service runs as its own process (`borderwatch serve --reorder-window 0`, a fresh
SQLite file, synchronous=FULL); this process is the load generator. It walks 1,000
simulated people on a 50 m grid just north of the line near Coutts, one report each per
second of data time, and posts each second as one batch (1,000 detections) as fast as the
service acknowledges them (a 429 is honoured: wait Retry-After, send again). A second
connection reads the live feed (SSE) and, for every ``tracks`` event, takes the wall time
from posting the batch of that data second to receiving the event.

With the default 5 s reorder window a report waits until the stream has moved 5 s of data
time past it; the window is set to 0 here so the figure is the service's own latency. The
scan builder still holds a second until the next one arrives, which is included in the
summary figure; a second line gives the latency from posting that next batch.

    .venv/bin/python bench/api.py [--seconds 60]
Last line: ``api: ingest_per_s=... feed_p99_ms=...``.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60, help="data seconds (batches) to send")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bw-bench-api-"))
    db = folder / "service.db"
    key, _ = KeyStore(db).create("RCMP-K", Role.OPERATOR, "bench")
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "borderwatch"), "serve", "--db", str(db),
         "--port", str(port), "--reorder-window", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    headers = {"X-API-Key": key, "content-type": "application/json"}
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        bodies = [batch(s) for s in range(args.seconds)]
        load_before = os.getloadavg()[0]
        posted: dict[str, float] = {}
        second_of: dict[str, int] = {}
        post_times: list[float] = []
        latencies: list[float] = []
        completed: list[float] = []
        listening = threading.Event()

        def listen() -> None:
            try:
                with httpx.stream("GET", url + "/v1/stream", headers=headers,
                                  timeout=None) as r:
                    for line in r.iter_lines():
                        listening.set()
                        if line.startswith("data: ") and '"tracks"' in line[:30]:
                            event = orjson.loads(line[6:])
                            stamp = event.get("data_time") or ""
                            sent = posted.get(stamp)
                            now = time.perf_counter()
                            if sent is not None:
                                latencies.append(now - sent)
                                after = second_of[stamp] + 1
                                if after < len(post_times):
                                    completed.append(now - post_times[after])
            except httpx.HTTPError:
                pass  # the service was stopped at the end of the run

        threading.Thread(target=listen, daemon=True).start()
        listening.wait(10)
        throttled = 0
        accepted = 0
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            t0 = time.perf_counter()
            for second, body in enumerate(bodies):
                stamp = (START + timedelta(seconds=second)).isoformat(timespec="milliseconds")
                stamp = stamp.replace("+00:00", "Z")
                second_of[stamp] = second
                post_times.append(time.perf_counter())
                posted[stamp] = post_times[-1]
                while True:
                    r = client.post("/v1/detections", content=body)
                    if r.status_code != 429:
                        break
                    throttled += 1
                    time.sleep(float(r.headers.get("Retry-After", "1")))
                r.raise_for_status()
                accepted += r.json()["accepted"]
            elapsed = time.perf_counter() - t0
            while client.get("/healthz").json()["pending"] > 0:
                time.sleep(0.05)
        time.sleep(1.0)
        rate = accepted / elapsed
        lat_ms = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
        print("service: borderwatch serve on 127.0.0.1 (separate process), a fresh SQLite "
              "file (removed afterwards)")
        print(f"machine: {os.cpu_count()} cores, load average before/after "
              f"{load_before:.1f}/{os.getloadavg()[0]:.1f} (other work shares these cores)")
        print(f"sent {len(bodies)} batches of 1,000 detections in {elapsed:.2f} s; "
              f"accepted {accepted:,}; 429 answers {throttled}")
        print(f"ingest: {rate:,.0f} detections/s sustained (stored with synchronous=FULL)")
        print(f"feed latency over {len(latencies)} track events: p50 "
              f"{np.nanpercentile(lat_ms, 50):.1f} ms, p99 {np.nanpercentile(lat_ms, 99):.1f} ms, "
              f"max {np.nanmax(lat_ms):.1f} ms (from posting a second's batch)")
        done_ms = np.array(completed) * 1000 if completed else np.array([float("nan")])
        print(f"  from posting the next second's batch, which completes the scan: p50 "
              f"{np.nanpercentile(done_ms, 50):.1f} ms, p99 {np.nanpercentile(done_ms, 99):.1f} ms")
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
