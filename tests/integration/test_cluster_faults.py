"""Faults under a steady load (issue 16): a cluster of real processes on 127.0.0.1 takes
copies of the Coutts night in four watch segments (tests/fault_load.py) while one of its
parts is killed or restarted: a tracker worker, an API process, a dispatcher
mid-delivery, one node of a three-node JetStream cluster, PostgreSQL. After each,

1. every detection an API acknowledged (2xx) is in ``service_detections``, once;
2. the incidents are those one pipeline raises on the same detections: none lost, none
   twice;
3. every webhook message in the outbox reached the real HTTP receiver (once after
   de-duplication by its key: delivery is at least once), every CoT message the real TCP
   listener, and none was dead-lettered;
4. the live feed gives new events after the fault.

Each test strikes once a third of the load is acknowledged. The load holds its last part
back until what the fault took down is back, so the cluster is seen working after it."""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from tests.alert_helpers import WebhookReceiver
from tests.cluster_helpers import essence
from tests.cluster_procs import Proc, ProcCluster
from tests.fault_load import (
    Copy,
    FeedClient,
    LoadThread,
    expected_incidents,
    interleaved_batches,
    night_copies,
)
from tests.service_helpers import coutts_wire

from borderwatch.adapters.nats.server import NatsCluster, NatsServer
from borderwatch.adapters.postgres.coordination import segment_lock_key
from borderwatch.adapters.postgres.server import EmbeddedPostgres, reachable_temp_dir
from borderwatch.adapters.postgres.storage import PostgresStorage
from borderwatch.adapters.transports.tak import CotListener
from borderwatch.app.runtime.config import Delivery
from borderwatch.domain.access import Role
from borderwatch.geo.segments import Segments

pytestmark = pytest.mark.slow

SECRET = "fault-webhook-secret"
COPIES = 4
BATCH = 250
RATE = 1500.0
STRIKE_AT = 1 / 3
HOLD_AT = 0.8
SETTLE_S = 90.0
LOADED = frozenset({"hvm", "spw", "gfn", "blw"})
BUSY_BEAT_S = 10.0
"""A worker replaying the segments it took over steps its loop late: its heartbeat is
counted as a holder's for this long (its peers count it dead after 2 s, which only
delays a rebalance).
"""


@functools.cache
def _load() -> tuple[tuple[Copy, ...], tuple[tuple[Any, ...], ...]]:
    """The copies and the essence of the incidents they must raise (one pipeline: about
    ten seconds, once per session)."""
    copies = tuple(night_copies(coutts_wire(), COPIES))
    return copies, tuple(sorted(map(essence, expected_incidents(copies))))


@dataclass
class Rig:
    """A running cluster with its receivers, load and feed client."""

    cluster: ProcCluster
    store: str
    apis: list[Proc]
    api_urls: list[str]
    workers: list[Proc]
    dispatchers: list[Proc]
    listener: CotListener
    receiver: WebhookReceiver
    headers: dict[str, str]
    servers: list[Callable[[], str]] = field(default_factory=list)
    """Log tails of the servers the test owns (a failure shows them)."""
    load: LoadThread | None = None
    feed: FeedClient | None = None

    # -- running -------------------------------------------------------------------------

    def start_load(self, *, retry: bool = True) -> LoadThread:
        copies, _ = _load()
        batches = interleaved_batches(copies, BATCH)
        self.feed = FeedClient(self.api_urls, self.headers)
        self.feed.start()
        self.settle(lambda: self.feed is not None and self.feed.connections,
                    "the feed to connect")
        self.load = LoadThread(batches, self.api_urls, self.headers, rate=RATE, retry=retry,
                               hold_after=int(len(batches) * HOLD_AT))
        self.load.start()
        self.load.wait_acked(int(self.load.total * STRIKE_AT))
        return self.load

    def settle(self, condition: Callable[[], object], what: str,
               timeout_s: float = SETTLE_S) -> None:
        """Until ``condition()``; fails with every log when it never comes."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.Error, httpx.HTTPError):
                if condition():
                    return
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")

    def logs(self) -> str:
        parts = [f"--- {p.name} ({'alive' if p.alive else 'dead'})\n{p.tail(20)}"
                 for p in self.cluster.procs]
        parts += [tail() for tail in self.servers]
        parts.append(self.coordination())
        if self.load is not None:
            parts.append(f"--- load: {len(self.load.acked)}/{self.load.total} acknowledged, "
                         f"refusals {self.load.refusals[-5:]}")
        return "\n".join(parts)

    def coordination(self) -> str:
        """What the database says of the workers and the segments (for a failure)."""
        try:
            workers = query(self.store, "SELECT worker_id, segments, round((extract(epoch"
                            " FROM now()) - last_seen)::numeric, 1) FROM workers")
            positions = query(self.store, "SELECT segment, seq FROM segment_positions"
                              " ORDER BY segment")
            stored = count_stored(self.store)
        except psycopg.Error as err:
            return f"--- database: {err}"
        return (f"--- database: workers (id, segments, seconds since beat) {workers}; "
                f"positions {positions}; stored (rows, distinct) {stored}")

    def holders(self, within_s: float = 2.0) -> dict[str, set[str]]:
        """The segments each tracker worker that beat within ``within_s`` says it holds
        (heartbeats; a busy worker may beat late)."""
        rows = query(self.store, "SELECT worker_id, segments FROM workers WHERE kind = 'track'"
                     " AND last_seen > extract(epoch FROM now()) - %s", (within_s,))
        return {str(worker): set(segments) for worker, segments in rows}

    def incidents(self, url: str) -> list[tuple[Any, ...]]:
        body = httpx.get(f"{url}/v1/incidents", headers=self.headers, timeout=10).json()
        return sorted(essence(f["properties"]) for f in body["features"])

    # -- the four promises ---------------------------------------------------------------

    def check(self, restored_at: float, incidents_url: str | None = None) -> None:
        """Finish the load, then check everything the module docstring lists."""
        load, feed = self.load, self.feed
        assert load is not None and feed is not None
        load.release()
        load.finish()
        self.check_ownership()
        self.check_stored(load)
        self.check_incidents(incidents_url or self.api_urls[0])
        self.check_alerts()
        self.settle(lambda: feed.received_after(restored_at), "a live event after the fault")

    def check_ownership(self) -> None:
        """Each segment claimed by one live worker, whose session holds its lock."""
        codes = Segments.bundled().codes
        by_key = {segment_lock_key(code): code for code in codes}

        def owners() -> tuple[dict[str, list[str]], dict[str, str]]:
            claims: dict[str, list[str]] = {code: [] for code in codes}
            for worker, held in self.holders(within_s=BUSY_BEAT_S).items():
                for code in held:
                    claims[code].append(worker)
            rows = query(self.store, "SELECT a.application_name, l.classid::bigint,"
                         " l.objid::bigint FROM pg_locks l JOIN pg_stat_activity a"
                         " ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
                         " AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database"
                         " WHERE datname = current_database())")
            locks = {by_key.get(_signed((high << 32) | low), "?"):
                     str(app).removeprefix("borderwatch-locks:") for app, high, low in rows}
            return claims, locks

        def exclusive() -> bool:
            claims, locks = owners()
            return all(len(w) == 1 and locks.get(c) == w[0] for c, w in claims.items())

        try:
            # Converges once every worker has replayed what it took over after the fault
            # and beat again: seconds on a quiet machine, longer on a busy one (a worker
            # gives a segment back only when that segment's run in hand is committed).
            self.settle(exclusive, "each segment held by one worker", timeout_s=60)
        except AssertionError as err:
            claims, locks = owners()
            raise AssertionError(f"segments claimed by (live workers' heartbeats): {claims}; "
                                 f"their locks held by: {locks}\n{err}") from None

    def check_stored(self, load: LoadThread) -> None:
        acked = set(load.acked)
        self.settle(lambda: count_stored(self.store)[1] >= len(acked),
                    f"the {len(acked)} acknowledged detections to be stored")
        rows, distinct = count_stored(self.store)
        assert rows == distinct, f"{rows - distinct} detections stored twice"
        stored = {str(row[0]) for row in query(self.store, "SELECT id FROM service_detections")}
        missing = acked - stored
        assert not missing, (f"{len(missing)} acknowledged detections not stored, e.g. "
                             f"{sorted(missing)[:5]}\n{self.logs()}")

    def check_incidents(self, url: str) -> None:
        _, want = _load()
        try:
            self.settle(lambda: tuple(self.incidents(url)) == want, "the expected incidents")
        except AssertionError as err:
            have = self.incidents(url)
            lost = [i for i in want if i not in have]
            extra = [i for i in have if have.count(i) > want.count(i)]
            raise AssertionError(f"incidents lost: {lost}\nraised too often or not expected: "
                                 f"{extra}\n{err}") from None

    def check_alerts(self) -> None:
        def outbox() -> list[tuple[str, str, str, str, bytes]]:
            return [(str(k), str(c), str(d), str(s), bytes(b)) for k, c, d, s, b in query(
                self.store, "SELECT dedup_key, channel, destination, status, body FROM outbox")]

        def delivered() -> bool:
            rows = outbox()
            hooks = {k for k, _, d, _, _ in rows if d == self.receiver.url}
            return (bool(hooks) and all(s != "pending" for *_, s, _ in rows)
                    and hooks <= set(self.receiver.keys))

        self.settle(delivered, "every outbox message sent and received")
        rows = outbox()
        dead = [(k, d) for k, _, d, s, _ in rows if s != "sent"]
        assert not dead, f"dead-lettered: {dead}\n{self.logs()}"
        hooks = {k for k, _, d, _, _ in rows if d == self.receiver.url}
        assert set(self.receiver.keys) == hooks, (
            f"the webhook receiver's keys {sorted(self.receiver.keys)} are not the outbox's "
            f"{sorted(hooks)}")
        assert not [r for r in self.receiver.received if not r.valid], "a bad signature"
        cot = {b.strip() for _, _, d, _, b in rows if d.startswith("tcp://")}
        assert cot, "the outbox holds CoT messages"
        self.settle(lambda: cot <= {e.strip() for e in self.listener.events},
                    "every CoT message at the listener")

    def stop(self) -> None:
        for part in (self.load, self.feed):
            if part is not None:
                part.stop()
        self.cluster.close()


def query(store: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(store, connect_timeout=3) as connection:
        return connection.execute(sql, params).fetchall()


def count_stored(store: str) -> tuple[int, int]:
    rows = query(store, "SELECT count(*), count(DISTINCT id) FROM service_detections")
    return int(rows[0][0]), int(rows[0][1])


def operator_key(store: str) -> dict[str, str]:
    storage = PostgresStorage(store)
    try:
        key, _ = storage.keys.create("RCMP-K", Role.OPERATOR)
    finally:
        storage.close()
    return {"X-API-Key": key}


@contextlib.contextmanager
def running_rig(folder: Path, store: str, bus: list[str], *, apis: int = 1,
                replicas: int = 1, claim_lease_s: float = 60.0,
                webhook_delay_s: float = 0.0) -> Iterator[Rig]:
    """The cluster (``apis`` API processes, two tracker workers holding four segments
    each, two dispatchers) with a CoT listener and a webhook receiver."""
    _load()  # the expectation first: not while the processes compete for the cores
    listener = CotListener()
    listener.start()
    receiver = WebhookReceiver(SECRET.encode(), delay_s=webhook_delay_s)
    # A claim must outlast one delivery attempt (deployment.py refuses less).
    delivery = Delivery(cot=(f"tcp://127.0.0.1:{listener.port}",), webhook=(receiver.url,),
                        deadline_s=min(Delivery().deadline_s, claim_lease_s / 2))
    cluster = ProcCluster(store, bus, folder, delivery=delivery, replicas=replicas,
                          claim_lease_s=claim_lease_s,
                          env={"BORDERWATCH_WEBHOOK_SECRET": SECRET})
    rig: Rig | None = None
    try:
        api_procs, urls = [], []
        for i in range(apis):
            api_procs.append(cluster.api(f"api-{i + 1}"))
            urls.append(cluster.api_url)
        started = rig = Rig(cluster, store, api_procs, urls,
                            [cluster.worker("track-1"), cluster.worker("track-2")],
                            [cluster.dispatcher("dispatch-1"), cluster.dispatcher("dispatch-2")],
                            listener, receiver, operator_key(store))
        started.settle(lambda: sorted(map(len, started.holders().values())) == [4, 4],
                       "two workers holding four segments each", timeout_s=60)
        yield started
    finally:
        if rig is not None:
            rig.stop()
        else:
            cluster.close()
        receiver.close()
        listener.close()


# -- the faults ------------------------------------------------------------------------------


def test_a_killed_tracker_worker_s_segments_go_on_in_the_other(
        tmp_path: Path, postgres_url: str, nats_server: NatsServer) -> None:
    with running_rig(tmp_path / "cluster", postgres_url, [nats_server.url]) as rig:
        rig.start_load()
        held = rig.holders(within_s=60)
        victim = max(rig.workers, key=lambda w: len(held.get(w.name, set()) & LOADED))
        survivor = next(w for w in rig.workers if w is not victim)
        victim.kill()
        restored_at = time.monotonic()
        everything = set(Segments.bundled().codes)
        rig.settle(lambda: rig.holders(within_s=60).get(survivor.name) == everything,
                   f"{survivor.name} to take {victim.name}'s segments "
                   f"{sorted(held.get(victim.name, ()))}")
        rig.check(restored_at)


def test_a_killed_api_process_s_load_goes_to_the_other_and_it_comes_back(
        tmp_path: Path, postgres_url: str, nats_server: NatsServer) -> None:
    with running_rig(tmp_path / "cluster", postgres_url, [nats_server.url], apis=2) as rig:
        load = rig.start_load()
        victim, port = rig.apis[0], int(rig.api_urls[0].rsplit(":", 1)[1])
        victim.kill()
        refused = len(load.refusals)
        rig.settle(lambda: len(load.refusals) > refused, "the load to meet the dead API")
        rig.apis[0] = rig.cluster.api("api-1b", port=port)
        restored_at = time.monotonic()
        # The restarted API's picture starts empty (docs/deployment.md, "Known limits"):
        # the survivor's holds every incident.
        rig.check(restored_at, incidents_url=rig.api_urls[1])
        assert rig.feed is not None and len(rig.feed.connections) >= 2, "the feed reconnected"


def test_a_dispatcher_killed_mid_delivery_leaves_its_messages_to_the_other(
        tmp_path: Path, postgres_url: str, nats_server: NatsServer) -> None:
    with running_rig(tmp_path / "cluster", postgres_url, [nats_server.url],
                     claim_lease_s=3.0, webhook_delay_s=0.5) as rig:
        rig.start_load()
        pids = {p.process.pid: p for p in rig.dispatchers if p.process is not None}
        claimer: list[Proc] = []

        def sending() -> bool:
            rows = query(rig.store, "SELECT claimed_by FROM outbox WHERE status = 'pending'"
                         " AND claimed_until > extract(epoch FROM now())")
            found = [pids.get(_pid(str(r[0]))) for r in rows]
            claimer[:] = [p for p in found if p is not None][:1]
            return bool(claimer) and bool(rig.receiver.keys)

        rig.settle(sending, "a dispatcher in the middle of deliveries")
        victim = claimer[0]
        assert victim.process is not None
        victim.kill()
        restored_at = time.monotonic()
        left = query(rig.store, "SELECT dedup_key FROM outbox WHERE status = 'pending'"
                     " AND claimed_by LIKE %s", (f"%/{victim.process.pid}/%",))
        assert left, f"{victim.name} died holding claims on messages it had not sent"
        rig.check(restored_at)


def test_a_killed_jetstream_node_is_survived_and_comes_back(
        tmp_path: Path, postgres_url: str, nats_cluster: NatsCluster) -> None:
    with running_rig(tmp_path / "cluster", postgres_url, nats_cluster.urls,
                     replicas=3) as rig:
        rig.servers += [functools.partial(_node_tail, n) for n in nats_cluster.nodes]
        rig.start_load()
        stream = f"{rig.cluster.name.upper()}_DET"
        leader = _stream_leader(nats_cluster, stream)
        index = [n.name for n in nats_cluster.nodes].index(leader)
        nats_cluster.kill(index)
        time.sleep(2.0)  # the load and the workers go on with two nodes
        nats_cluster.restart(index)
        restored_at = time.monotonic()
        rig.check(restored_at)


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_a_restarted_postgresql_is_reconnected_to(tmp_path: Path, nats_server: NatsServer,
                                                  how: str) -> None:
    base = reachable_temp_dir("borderwatch-pg-fault-")
    server = EmbeddedPostgres(base / "data")
    try:
        server.start()
        with running_rig(tmp_path / "cluster", server.url, [nats_server.url]) as rig:
            rig.servers.append(lambda: f"--- postgresql\n{server.log_tail()}")
            rig.start_load()
            getattr(server, how)()
            time.sleep(1.0)  # the processes meet a database that is not there
            server.start()
            restored_at = time.monotonic()
            rig.check(restored_at)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


# -- helpers -----------------------------------------------------------------------------


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _pid(claimed_by: str) -> int:
    """The process id in an outbox claim (``host/pid/object/thread``)."""
    match = re.match(r"[^/]*/(\d+)/", claimed_by)
    return int(match.group(1)) if match else -1


def _node_tail(node: NatsServer) -> str:
    return f"--- {node.name} ({'running' if node.running else 'down'})\n{node.log_tail(8)}"


def _stream_leader(cluster: NatsCluster, stream: str) -> str:
    """The node that leads ``stream`` (from any node's ``/jsz``), waiting for one."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for node in cluster.nodes:
            report = _get(f"{node.monitor_url}/jsz?streams=true")
            for account in report.get("account_details", []):
                for detail in account.get("stream_detail", []):
                    leader = detail.get("cluster", {}).get("leader")
                    if detail.get("name") == stream and leader:
                        return str(leader)
        time.sleep(0.2)
    raise AssertionError(f"no node says it leads {stream}")


def _get(url: str) -> dict[str, Any]:
    try:
        body: dict[str, Any] = httpx.get(url, timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return {}
    return body
