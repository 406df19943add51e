"""The cluster against the embedded default on this machine: durable ingest, live-feed
latency, tracking with one and two tracker workers, nothing lost or stored twice.

    .venv/bin/python bench/scale.py [--detections 600000] [--seed 7] [--quick] [--keep]

One seeded border load (sim/border_load.py, in watch segments blw, spw, hvm and gfn) is
cut at a second of data time into a backlog and a paced tail, posted in batches of 1,000
by a load generator process over four connections, to (a) `borderwatch serve --db`,
(b) a cluster with one tracker worker and (c) with two, each started fresh on 127.0.0.1
(PostgreSQL, NATS JetStream, `serve --config`, `worker track`; ``--reorder-window 0``
everywhere, as bench/api.py). Phases: the backlog as fast as acknowledged (no worker yet
in a cluster); the cluster's workers started on it and timed until every segment's
position reaches its last message; the tail paced at 5,000 detections/s with a feed
reader (a, c); every acknowledged id in PostgreSQL once (b, c). bench/README.md says
what each figure means. Progress on standard error; the last line on standard output is
``scale: ingest_per_s=... feed_p99_ms=... worker_speedup_2=... lost=0 duplicated=0``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import multiprocessing
import os
import pickle
import shutil
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import numpy as np
import orjson
import psycopg
import yaml

from borderwatch.adapters.nats.server import NatsServer, free_port
from borderwatch.adapters.postgres.server import EmbeddedPostgres, reachable_temp_dir
from borderwatch.adapters.postgres.storage import PostgresStorage
from borderwatch.adapters.sqlite.keys import KeyStore
from borderwatch.domain.access import Role
from borderwatch.geo.segments import Segments
from borderwatch.sim.border_load import border_load
from scale_procs import Proc, answers, cpu_note, cpu_seconds, launch, stop, wait_for

SEGMENTS = ("blw", "spw", "hvm", "gfn")
BATCH = 1000
CONNECTIONS = 4
PACED_RATE = 5000.0
DENSITY = 500.0
"""Detections per second of data time (over the four segments) the load aims at."""
DETECTIONS_PER_GROUP = 356.0
"""A straight group's reports, on average (sim/border_load.py: 425 m / 0.95 at 1.19 m/s)."""
CLUTTER_SHARE = 0.1
LONGEST_WALK_S = 918
"""The shortest load border_load takes with its default walks (two along each cut)."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the load --------------------------------------------------------------------------


@dataclass
class Plan:
    """The load as batches: bodies to post, the ids each holds, the stamps it holds."""

    backlog: list[bytes]
    paced: list[bytes]
    ids: list[list[str]]
    """Per batch, backlog then paced."""
    last_paced_batch: dict[str, int]
    """Per data-time stamp of the paced tail, the last paced batch holding it."""
    detections: int
    backlog_detections: int
    groups: int
    clutter: int
    duration_s: int


def plan(total: int, paced_seconds: float, seed: int) -> Plan:
    paced = int(PACED_RATE * paced_seconds)
    duration = max(LONGEST_WALK_S, round(total / DENSITY))
    groups = max(len(SEGMENTS), round(total * (1 - CLUTTER_SHARE) / DETECTIONS_PER_GROUP))
    load = border_load(seed, groups=groups, segments=SEGMENTS, duration_s=duration,
                       clutter_per_s=total * CLUTTER_SHARE / duration)
    wires = load.wires
    # The tail starts at a second of data time, so that no second is in both parts.
    split = int(np.searchsorted(load.seconds, load.seconds[max(0, len(wires) - paced)]))
    parts = [wires[:split], wires[split:]]
    batches = [[part[i:i + BATCH] for i in range(0, len(part), BATCH)] for part in parts]
    last: dict[str, int] = {}
    for n, chunk in enumerate(batches[1]):
        for wire in chunk:
            last[wire["time"]] = n
    return Plan(backlog=[orjson.dumps(b) for b in batches[0]],
                paced=[orjson.dumps(b) for b in batches[1]],
                ids=[[w["id"] for w in b] for b in (*batches[0], *batches[1])],
                last_paced_batch=last, detections=len(wires), backlog_detections=split,
                groups=len(load.crossings), clutter=load.clutter, duration_s=duration)


# -- the load generator and the feed reader, each a process of its own -----------------


def generate(url: str, key: str, bodies_file: str, rate: float, results: Any) -> None:
    """Post every body over CONNECTIONS connections: as fast as answered (``rate`` 0), or
    one every 1,000/rate s. Puts ``(index, status, accepted, sent_at, answered_at)`` for
    each (monotonic clock, system-wide on Linux) in ``results``, then None."""
    try:
        _generate(url, key, bodies_file, rate, results)
    finally:
        results.put(None)  # the parent stops reading, and sees a failure by the exit code


def _generate(url: str, key: str, bodies_file: str, rate: float, results: Any) -> None:
    with open(bodies_file, "rb") as handle:
        bodies: list[bytes] = pickle.load(handle)
    headers = {"X-API-Key": key, "content-type": "application/json"}
    local = threading.local()
    out: list[tuple[int, int, int, float, float]] = []

    def post(index: int, sent_at: float | None = None) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=url, headers=headers, timeout=120)
        first = sent_at if sent_at is not None else time.monotonic()
        while True:
            answer = client.post("/v1/detections", content=bodies[index])
            if answer.status_code not in (429, 503):
                break
            time.sleep(float(answer.headers.get("Retry-After", "1")))
        accepted = int(answer.json().get("accepted", 0)) if answer.status_code == 200 else 0
        out.append((index, answer.status_code, accepted, first, time.monotonic()))

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        if rate <= 0:
            order = itertools.count()  # next() on a count is atomic: each index once

            def drain() -> None:
                while (index := next(order)) < len(bodies):
                    post(index)

            for worker in [pool.submit(drain) for _ in range(CONNECTIONS)]:
                worker.result()
        else:
            start, gap = time.monotonic(), BATCH / rate
            jobs = []
            for index in range(len(bodies)):
                pause = start + index * gap - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                jobs.append(pool.submit(post, index, time.monotonic()))
            for job in jobs:
                job.result()
    for row in sorted(out):
        results.put(row)


def read_feed(url: str, key: str, arrivals: Any, ready: Any) -> None:
    """bench/api.py's reader: for every ``tracks`` event, its data time and the monotonic
    time its last byte arrived, found by key in the raw bytes (parsing the features is
    the client's work, not the service's latency)."""
    buffer, marker = b"", b'"data_time":"'
    try:
        with httpx.stream("GET", url + "/v1/stream", headers={"X-API-Key": key},
                          timeout=None) as stream:
            ready.set()
            for chunk in stream.iter_raw():
                now = time.monotonic()
                buffer += chunk
                while (end := buffer.find(b"\n\n")) >= 0:
                    message, buffer = buffer[:end], buffer[end + 2:]
                    if message.startswith(b"event: tracks") and marker in message:
                        at = message.rfind(marker) + len(marker)
                        arrivals.put((message[at:message.index(b'"', at)].decode(), now))
    except httpx.HTTPError:
        pass  # the service was stopped


@dataclass
class Posted:
    rows: list[tuple[int, int, int, float, float]]
    detections: int

    @property
    def seconds(self) -> float:
        return max(r[4] for r in self.rows) - min(r[3] for r in self.rows)

    @property
    def rate(self) -> float:
        return self.detections / self.seconds

    @property
    def refused(self) -> int:
        return sum(1 for r in self.rows if r[1] != 200)

    def acked(self) -> list[int]:
        return [r[0] for r in self.rows if r[1] == 200]


def push(url: str, key: str, bodies: list[bytes], folder: Path, rate: float = 0.0) -> Posted:
    """Run the generator process on ``bodies`` and wait for it."""
    path = folder / "bodies.pickle"
    path.write_bytes(pickle.dumps(bodies, protocol=pickle.HIGHEST_PROTOCOL))
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=generate, args=(url, key, str(path), rate, results))
    process.start()
    rows = list(iter(results.get, None))
    process.join()
    path.unlink()
    if process.exitcode:
        raise RuntimeError(f"the load generator failed (exit code {process.exitcode})")
    return Posted(rows, sum(r[2] for r in rows))


def paced_latencies(url: str, key: str, bodies: list[bytes], folder: Path, last_batch:
                    dict[str, int], settle: Callable[[], None]) -> tuple[Posted, list[float]]:
    """The paced tail with a feed reader on; per data second, ms from posting its last
    batch to the last ``tracks`` event of that second (bench/README.md)."""
    context = multiprocessing.get_context("spawn")
    arrivals, ready = context.Queue(), context.Event()
    reader = context.Process(target=read_feed, args=(url, key, arrivals, ready), daemon=True)
    reader.start()
    if not ready.wait(30):
        raise RuntimeError("the live feed did not answer")
    posted = push(url, key, bodies, folder, PACED_RATE)
    settle()
    time.sleep(3.0)  # a quiet segment releases its last window after idle_flush_s (2 s)
    last_arrival: dict[str, float] = {}
    while not arrivals.empty():
        stamp, arrived = arrivals.get()
        last_arrival[stamp] = max(arrived, last_arrival.get(stamp, 0.0))
    reader.terminate()
    sent = {r[0]: r[3] for r in posted.rows}
    final = len(bodies) - 1
    return posted, [(last_arrival[s] - sent[b]) * 1000 for s, b in last_batch.items()
                    if b != final and s in last_arrival]


# -- processes and their CPU time ------------------------------------------------------


# -- the three setups --------------------------------------------------------------------


@dataclass
class Result:
    setup: str
    ingest: Posted | None = None
    tracked_s: float = float("nan")
    startup_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    refused: int = 0
    """Batches answered with an error (neither 2xx nor 429/503, which are sent again)."""
    lost: int = 0
    duplicated: int = 0
    unacked_stored: int = 0
    split: str = ""
    notes: list[str] = field(default_factory=list)

    def latency(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")


def embedded(load: Plan, folder: Path) -> Result:
    log("embedded default: borderwatch serve --db (tracker in its own process)")
    db = folder / "service.db"
    key, _ = KeyStore(db).create("RCMP-K", Role.OPERATOR, "bench")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    api = launch("embedded", folder, "serve", "--db", str(db), "--host", "127.0.0.1",
                 "--port", str(port), "--reorder-window", "0", "--allow-undeclared-sensors",
                 "--max-sensors-per-key", "100000")
    result = Result("embedded (serve --db)")
    try:
        wait_for(lambda: answers(url), "the service to answer", [api], folder=folder)

        def caught_up() -> bool:
            return bool(httpx.get(url + "/healthz", timeout=10).json()["pending"] == 0)

        roots = {"serve": api.process.pid}
        before = cpu_seconds(roots)
        log(f"  posting the backlog: {load.backlog_detections:,} detections")
        result.ingest = push(url, key, load.backlog, folder)
        wait_for(caught_up, "the tracker to catch up", [api], timeout_s=3600)
        result.tracked_s = time.monotonic() - min(r[3] for r in result.ingest.rows)
        result.notes.append("ingest+tracking: " + cpu_note(before, cpu_seconds(roots),
                                                            result.tracked_s))
        log(f"  paced tail: {len(load.paced)} batches at {PACED_RATE:,.0f}/s")
        posted, result.latencies_ms = paced_latencies(
            url, key, load.paced, folder, load.last_paced_batch,
            lambda: wait_for(caught_up, "the tracker", [api], timeout_s=600))
        result.refused = result.ingest.refused + posted.refused
    finally:
        stop(api)
    return result


class Cluster:
    """PostgreSQL, NATS and the API process, fresh in ``folder``; workers on demand."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[Proc] = []
        self._connection: psycopg.Connection[tuple[Any, ...]] | None = None
        self.postgres = EmbeddedPostgres(folder / "pg")
        self.nats = NatsServer(folder / "nats")
        self.postgres.start()
        self.nats.start()
        self.store = self.postgres.url
        self.config = folder / "deployment.yaml"
        self.config.write_text(yaml.safe_dump({"name": "bw", "store": self.store,
                                               "bus": [self.nats.url], "replicas": 1}))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.api = self.launch("api", "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--allow-undeclared-sensors", "--max-sensors-per-key", "100000")
        wait_for(lambda: answers(self.url), "the API to answer", [self.api], folder=folder)
        storage = PostgresStorage(self.store)
        try:
            self.key, _ = storage.keys.create("RCMP-K", Role.OPERATOR, "bench")
        finally:
            storage.close()

    def launch(self, name: str, *args: str) -> Proc:
        proc = launch(name, self.folder, *args, "--config", str(self.config))
        self.procs.append(proc)
        return proc

    def worker(self, name: str, max_segments: int | None) -> Proc:
        extra = ["--max-segments", str(max_segments)] if max_segments else []
        return self.launch(name, "worker", "track", "--id", name, "--reorder-window", "0",
                           *extra)

    def roots(self) -> dict[str, int | None]:
        roots = {proc.name: proc.process.pid for proc in self.procs}
        return {**roots, "nats": self.nats.pid, "postgres": self.postgres.pid}

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self._connection is None:  # one connection: a new one per poll costs a process
            self._connection = psycopg.connect(self.store, autocommit=True)
        return self._connection.execute(sql).fetchall()

    def last_seqs(self) -> dict[str, int]:
        """The last message of each segment's subject on the detection stream."""

        async def ask() -> dict[str, int]:
            connection = await nats.connect(self.nats.url)
            try:
                info = await connection.jetstream().stream_info("BW_DET", subjects_filter=">")
                subjects = (info.state.subjects or {}) if info.state else {}
                stream = connection.jetstream()
                return {s.rsplit(".", 1)[1]: (await stream.get_last_msg("BW_DET", s)).seq or 0
                        for s in subjects}
            finally:
                await connection.close()

        return asyncio.run(ask())

    def caught_up(self, targets: dict[str, int]) -> bool:
        done = dict(self.query("SELECT segment, seq FROM segment_positions"))
        return all(done.get(code, 0) >= seq for code, seq in targets.items())

    def settle(self, procs: list[Proc]) -> None:
        """Until every segment's position is at the last message on the bus now."""
        targets = self.last_seqs()
        wait_for(lambda: self.caught_up(targets), "the workers to catch up", procs,
                 timeout_s=600, folder=self.folder)

    def check(self, acked_ids: set[str], result: Result) -> None:
        """Lost (acknowledged, not stored) and duplicated (stored twice) detections."""
        (count, distinct), = self.query(
            "SELECT count(*), count(DISTINCT id) FROM service_detections")
        stored = {row[0] for row in self.query("SELECT id FROM service_detections")}
        result.lost = len(acked_ids - stored)
        result.duplicated = int(count) - int(distinct)
        result.unacked_stored = len(stored - acked_ids)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        for proc in reversed(self.procs):
            stop(proc)
        self.nats.stop()
        self.postgres.stop()


def worker_ids(share: int) -> tuple[str, str]:
    """Two worker ids that split the loaded segments in half without a race: a worker
    tries the segments in a circular order starting at a place given by a hash of its id
    (app/cluster/track_worker.py), so ids are picked whose first ``share`` segments are
    disjoint and hold half the loaded ones each."""
    codes = Segments.bundled().codes

    def start(name: str) -> int:
        return int(hashlib.blake2b(name.encode(), digest_size=4).hexdigest(), 16) % len(codes)

    loaded = {codes.index(c) for c in SEGMENTS}
    first = next(n for n in (f"scale-a{i}" for i in itertools.count())
                 if 2 * len({(start(n) + k) % len(codes) for k in range(share)} & loaded)
                 == len(loaded))
    after = (start(first) + share) % len(codes)
    second = next(n for n in (f"scale-b{i}" for i in itertools.count()) if start(n) == after)
    return first, second


def cluster(load: Plan, folder: Path, workers: int, paced: bool) -> Result:
    word = "worker" if workers == 1 else "workers"
    log(f"cluster, {workers} tracker {word}: starting PostgreSQL, NATS and the API")
    result = Result(f"cluster, {workers} {word}")
    setup = Cluster(folder)
    try:
        before = cpu_seconds(setup.roots())
        log(f"  posting the backlog: {load.backlog_detections:,} detections (no worker yet)")
        result.ingest = push(setup.url, setup.key, load.backlog, folder)
        result.refused = result.ingest.refused
        result.notes.append("ingest: " + cpu_note(before, cpu_seconds(setup.roots()),
                                                   result.ingest.seconds))
        targets = setup.last_seqs()
        share = -(-len(Segments.bundled()) // workers)
        names = worker_ids(share) if workers == 2 else ("scale-1",)
        log(f"  tracking the backlog (last messages {targets}) with {', '.join(names)}")
        before, t0 = cpu_seconds(setup.roots()), time.monotonic()
        procs = [setup.worker(n, share if workers > 1 else None) for n in names]
        wait_for(lambda: setup.query("SELECT 1 FROM segment_positions LIMIT 1"),
                 "a first commit", procs, timeout_s=120, folder=folder)
        result.startup_s = time.monotonic() - t0
        wait_for(lambda: setup.caught_up(targets), "the workers to catch up", procs,
                 timeout_s=3600, folder=folder)
        result.tracked_s = time.monotonic() - t0
        result.notes.append("tracking: " + cpu_note(before, cpu_seconds(setup.roots()),
                                                     result.tracked_s))
        codes = len(Segments.bundled())
        wait_for(lambda: sum(len(s) for _, s in setup.query(
            "SELECT worker_id, segments FROM workers")) >= codes, "the workers' beats", procs,
            timeout_s=30, folder=folder)
        held = setup.query("SELECT worker_id, segments FROM workers ORDER BY worker_id")
        result.split = "; ".join(f"{w}: {','.join(s for s in segs if s in targets)}"
                                 for w, segs in held)
        acked = set(result.ingest.acked())
        if paced:
            log(f"  paced tail: {len(load.paced)} batches at {PACED_RATE:,.0f}/s")
            time.sleep(3.0)  # the backlog's last windows are released (ticks)
            posted, result.latencies_ms = paced_latencies(
                setup.url, setup.key, load.paced, folder, load.last_paced_batch,
                lambda: setup.settle(procs))
            acked |= {len(load.backlog) + i for i in posted.acked()}
            result.refused += posted.refused
        setup.settle(procs)
        setup.check({i for n in acked for i in load.ids[n]}, result)
    finally:
        setup.close()
    return result


# -- the report ------------------------------------------------------------------------


def report(load: Plan, results: list[Result], args: argparse.Namespace, load_avg: float) -> None:
    emb, one, two = results
    assert emb.ingest and one.ingest and two.ingest
    print(f"load: seed {args.seed}, {load.detections:,} detections ({load.clutter:,} clutter) "
          f"from {load.groups:,} groups over {load.duration_s} s of data in "
          f"{', '.join(SEGMENTS)}; backlog {load.backlog_detections:,}, paced tail "
          f"{load.detections - load.backlog_detections:,} in {len(load.paced)} batches")
    print(f"machine: {os.cpu_count()} cores, load average before/after {load_avg:.1f}/"
          f"{os.getloadavg()[0]:.1f}; batches of {BATCH:,}, {CONNECTIONS} connections")
    print(f"{'setup':<22} {'ingest/s':>9} {'tracked/s':>10} {'after start':>11} "
          f"{'feed p50':>9} {'p99':>7} {'max':>7} {'lost':>5} {'dup':>4}")
    for r in results:
        assert r.ingest is not None
        tracked = load.backlog_detections / r.tracked_s
        warm = load.backlog_detections / (r.tracked_s - r.startup_s)
        cells = (f"{r.latency(50):>9.1f} {r.latency(99):>7.1f} "
                 f"{max(r.latencies_ms, default=float('nan')):>7.1f}")
        checked = f"{r.lost:>5} {r.duplicated:>4}" if r is not emb else f"{'-':>5} {'-':>4}"
        print(f"{r.setup:<22} {r.ingest.rate:>9,.0f} {tracked:>10,.0f} {warm:>11,.0f} "
              f"{cells} {checked}")
    speedup = one.tracked_s / two.tracked_s
    print(f"(bench/README.md) first commits after {one.startup_s:.1f} and {two.startup_s:.1f} "
          f"s; feed in ms over {len(emb.latencies_ms)} and {len(two.latencies_ms)} seconds")
    for r in results:
        print(f"{r.setup}: {'; '.join(r.notes)}" + (f"; split {r.split}" if r.split else ""))
    warm_speedup = (one.tracked_s - one.startup_s) / (two.tracked_s - two.startup_s)
    print(f"ratios: cluster ingest / embedded x{two.ingest.rate / emb.ingest.rate:.2f}; "
          f"2 workers / 1 worker tracking x{speedup:.2f} (after start x{warm_speedup:.2f}); "
          f"stored but not acknowledged {one.unacked_stored + two.unacked_stored}; "
          f"batches not acknowledged {sum(r.refused for r in results)}")
    print(f"scale: ingest_per_s={two.ingest.rate:.0f} feed_p99_ms={two.latency(99):.0f} "
          f"worker_speedup_2={speedup:.2f} lost={one.lost + two.lost} "
          f"duplicated={one.duplicated + two.duplicated}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detections", type=int, default=600_000,
                        help="detections in the load, backlog and paced tail together")
    parser.add_argument("--paced-seconds", type=float, default=30.0,
                        help="length of the paced tail at 5,000 detections/s")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (the processes' logs) and say where")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny load (the smoke test): every phase, no figure to trust")
    args = parser.parse_args()
    if args.quick:
        args.detections, args.paced_seconds = 8_000, 1.0
    load_avg = os.getloadavg()[0]
    started = time.monotonic()
    load = plan(args.detections, args.paced_seconds, args.seed)
    log(f"load: {load.detections:,} detections, {load.groups:,} groups, "
        f"{len(load.backlog)} + {len(load.paced)} batches")
    folder = reachable_temp_dir("bw-bench-scale-")  # PostgreSQL's own user must reach it
    try:
        results = [embedded(load, _fresh(folder / "embedded")),
                   cluster(load, _fresh(folder / "cluster1"), 1, paced=False),
                   cluster(load, _fresh(folder / "cluster2"), 2, paced=True)]
    finally:
        if args.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    log(f"done in {time.monotonic() - started:.0f} s")
    report(load, results, args, load_avg)


def _fresh(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


if __name__ == "__main__":
    main()
