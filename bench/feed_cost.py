"""What a partner subscriber, and a client that never reads, cost the operators' live feed.

`borderwatch serve` (tracker in its own process, a fresh SQLite file each run) is fed the
same paced batches as bench/api.py (1,000 simulated people, one batch per data second,
20,000 detections/s by default) three times, and an operator's feed reader (a process of
its own) times every ``tracks`` event from posting to its last byte:

1. the operator alone (the baseline);
2. with a partner's key also subscribed to ``/v1/stream`` and reading;
3. with a client that connects to the feed and never reads.

It prints the operator's p99 each time, the ratios to the baseline, the disclosure rows the
partner cost, and the server's peak resident memory (psutil, sampled every 0.2 s).

    .venv/bin/python bench/feed_cost.py [--paced-seconds 100] [--rate 20000]

Last line: ``feed_cost: p99_ms=... p99_with_partner_ms=... ratio=... ...``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

from api import batch, post, read_feed, stamp_of, start_service, wait_tracked
from borderwatch.adapters.sqlite.keys import KeyStore
from borderwatch.domain.access import Role


def read_partner(url: str, headers: dict[str, str], counts: Any, ready: Any) -> None:
    """A partner's feed reader: reads everything, counts events and resyncs."""
    events = resyncs = 0
    try:
        with httpx.stream("GET", url + "/v1/stream", headers=headers, timeout=None) as r:
            ready.set()
            for line in r.iter_lines():
                if line.startswith("event: "):
                    events += 1
                    resyncs += line == "event: resync"
                    counts.value = events, resyncs
    except httpx.HTTPError:
        pass


def stalled_client(url: str, key: str) -> socket.socket:
    """A feed connection that never reads, with a small receive buffer."""
    host, port = url.removeprefix("http://").split(":")
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect((host, int(port)))
    client.sendall(f"GET /v1/stream HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {key}\r\n\r\n"
                   .encode())
    return client


@dataclass
class Run:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    disclosure_rows: int = 0
    partner_events: int = 0
    partner_resyncs: int = 0

    def p99(self) -> float:
        return float(np.percentile(self.latencies_ms, 99)) if self.latencies_ms else float("nan")


def measure(name: str, bodies: list[bytes], rate: float) -> Run:
    folder = Path(tempfile.mkdtemp(prefix="bw-bench-feed-"))
    db = folder / "service.db"
    keys = KeyStore(db)
    operator, _ = keys.create("RCMP-K", Role.OPERATOR, "bench")
    partner, _ = keys.create("USBP-HVM", Role.PARTNER, "bench")
    server, url = start_service(db, "process")
    run = Run(name)
    headers = {"X-API-Key": operator, "content-type": "application/json"}
    peak = [0]
    sampling = threading.Event()

    def sample() -> None:
        tree = psutil.Process(server.pid)
        while not sampling.wait(0.2):
            try:
                peak[0] = max(peak[0], tree.memory_info().rss)  # the HTTP process
            except psutil.Error:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    context = multiprocessing.get_context("spawn")
    helpers: list[Any] = []
    stalled = None
    try:
        arrivals, ready = context.Queue(), context.Event()
        helpers.append(context.Process(target=read_feed, args=(url, headers, arrivals, ready),
                                       daemon=True))
        helpers[-1].start()
        ready.wait(30)
        counts = context.Manager().Value("O", (0, 0)) if name == "partner" else None
        if counts is not None:
            partner_ready = context.Event()
            helpers.append(context.Process(
                target=read_partner, args=(url, {"X-API-Key": partner}, counts, partner_ready),
                daemon=True))
            helpers[-1].start()
            partner_ready.wait(30)
        if name == "stalled":
            stalled = stalled_client(url, operator)
        posted: dict[str, float] = {}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            gap = 1000 / rate
            start = time.perf_counter()
            for n, body in enumerate(bodies):
                pause = start + n * gap - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                posted[stamp_of(n)] = time.monotonic()
                post(client, body)
            wait_tracked(client)
        time.sleep(1.0)
        while not arrivals.empty():
            stamp, arrived = arrivals.get()
            if stamp in posted:
                run.latencies_ms.append((arrived - posted.pop(stamp)) * 1000)
        if counts is not None:
            run.partner_events, run.partner_resyncs = counts.value
    finally:
        sampling.set()
        if stalled is not None:
            stalled.close()
        for helper in helpers:
            helper.terminate()
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        with sqlite3.connect(db) as connection:
            run.disclosure_rows = connection.execute(
                "SELECT count(*) FROM disclosures").fetchone()[0]
        run.peak_rss_mb = peak[0] / 2**20
        shutil.rmtree(folder, ignore_errors=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paced-seconds", type=int, default=100,
                        help="batches (data seconds of 1,000 detections) posted")
    parser.add_argument("--rate", type=float, default=20_000, help="detections/s posted")
    args = parser.parse_args()
    bodies = [batch(s) for s in range(args.paced_seconds)]
    load_before = os.getloadavg()[0]
    runs = [measure(name, bodies, args.rate) for name in ("alone", "partner", "stalled")]
    alone, partner, stalled = runs
    print(f"service: borderwatch serve, tracker process, {args.paced_seconds} batches of "
          f"1,000 detections paced at {args.rate:,.0f}/s; {os.cpu_count()} cores, load "
          f"average before/after {load_before:.1f}/{os.getloadavg()[0]:.1f}")
    print(f"{'run':<8} {'events':>6} {'p50 ms':>7} {'p99 ms':>7} {'peak RSS MB':>11} "
          f"{'disclosure rows':>15}")
    for r in runs:
        p50 = float(np.percentile(r.latencies_ms, 50)) if r.latencies_ms else float("nan")
        print(f"{r.name:<8} {len(r.latencies_ms):>6} {p50:>7.1f} {r.p99():>7.1f} "
              f"{r.peak_rss_mb:>11.0f} {r.disclosure_rows:>15}")
    print(f"partner: {partner.partner_events} events received, {partner.partner_resyncs} "
          f"resyncs, {partner.disclosure_rows} disclosure rows")
    print(f"feed_cost: p99_ms={alone.p99():.0f} p99_with_partner_ms={partner.p99():.0f} "
          f"ratio={partner.p99() / alone.p99():.2f} p99_with_stalled_ms={stalled.p99():.0f} "
          f"max_rss_mb={max(r.peak_rss_mb for r in runs):.0f}")


if __name__ == "__main__":
    main()
