"""Issue 17's abuse runs, repeated against a real `borderwatch serve` on 127.0.0.1.

Each run is a bounded loop of what an attacker or a careless integrator did to the
service, and checks that the finding stays fixed (docs/security/abuse.md lists them):

* **blinding**: a detection dated 2999-01-01 (and one an hour ahead) must be refused with
  a 4xx; a simulated crossing (sim/crossing_suite.py, as bench/crossings.py; one group)
  posted after it must still raise a crossing incident and an alert; again after a
  restart on the same db;
* **bad values**: out-of-range dates, ISO week dates, count 2^62, sigma 1e300 and 1e-300,
  the poles, 1 MB ids, NUL and right-to-left-override characters, malformed bodies, in
  bodies and in ``since``/``until``; CoT and CAP tips with the same through
  ``borderwatch alerts tip``: every answer must be a 4xx (a tip: exit 1 or 2 without a
  traceback) while the valid items of a batch are kept;
* **large body**: 200 MB streamed in 1 MiB chunks (generated lazily), and one declaring
  its length: 413; a 200 MB header sent without a key: cut off (431); the server's memory
  bounded;
* **sensor flood**: 100,000 distinct sensor ids in batches of 1,000 from one key: at most
  the per-key limit taken, ``/healthz`` degraded, a real crossing from another key still
  raises its incident promptly, ``/v1/sensors`` to a viewer comes a bounded page at a time;
* **wrong keys and /metrics**: 429 after the wrong-key limit, ``/metrics`` without a key
  refused;
* **feed**: bench/feed_cost.py's runs: the operator's feed p99 alone and with a partner
  subscribed (rounds interleaved, the best p99 of each compared), and with a client that
  never reads; then a crowd of feed connections that never read or read slowly while a
  reader must still get the events (server memory);
* **audit**: a signed screening log (`borderwatch screen --db --keys`), checkpointed;
  its last record deleted, every record deleted, a record edited and the chain re-hashed:
  `borderwatch audit verify` must fail (exit 1) each time.

The served CoT stream (a TAK client on the CoT TCP port) is not exposed by ``serve`` (only
the demo has one); tests/integration/test_cot_stream_clients.py covers its slow readers.

Every 5xx answer and every traceback of the CLI counts as a server error. The server's
resident memory (the HTTP process, psutil, every 0.2 s) is sampled through every run.
A table of the runs goes to standard error; the last line of standard output is

    abuse: blinded=0 server_errors=0 feed_p99_ms_with_partner=N max_rss_mb=N tail_delete_caught=1

and the exit status is 1 if an aim is missed (a blinding, a 5xx, a partner costing the
operator's p99 2x or more, memory over --rss-limit-mb, a deletion not caught).

    .venv/bin/python bench/abuse.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console
from rich.table import Table

from abuse_audit import audit_runs
from abuse_tally import BORDERWATCH, MB, Tally
from api import batch, post, start_service, wait_tracked
from borderwatch.adapters.sources.detection_wire import detection_to_wire
from borderwatch.adapters.sqlite.keys import KeyStore
from borderwatch.alerts.cap import CapInfo, CapMessage, Circle
from borderwatch.domain.access import Role
from borderwatch.sim.crossing_suite import CrossingSuiteSpec, generate
from feed_cost import measure as feed_run
from feed_cost import stalled_client

FAR_AHEAD = "2999-01-01T00:00:00Z"


class Server:
    """`borderwatch serve` (bench/api.py's start_service) with its HTTP process's resident
    memory sampled every 0.2 s into the tally."""

    def __init__(self, db: Path, tally: Tally) -> None:
        self.process, self.url = start_service(db, "process")
        self.tally = tally
        self.peak = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        process = psutil.Process(self.process.pid)
        while not self._stop.wait(0.2):
            try:
                rss = process.memory_info().rss
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            self.tally.max_rss = max(self.tally.max_rss, rss)

    def stop(self) -> None:
        self._stop.set()
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---- what is posted -------------------------------------------------------------------

def crossing(start: datetime, prefix: str) -> list[dict[str, Any]]:
    """One walking group crossing the line (the crossing suite's generator, seeded; one
    detection per second, marked simulated), its data time from ``start``."""
    spec = CrossingSuiteSpec(hours=0.5, groups_per_hour=2, vehicles_per_hour=0,
                             clutter_per_s=0, seed=6, start=start)
    items = [detection_to_wire(d) for d in generate(spec).detections]
    for n, item in enumerate(items):
        item["id"] = f"{prefix}-{n}"
    return items


def stamp(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def bad_items(good: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each finding's value, one item each (the issue's list)."""
    return {
        "time 9999-12-31T23:59:59-01:00": {**good, "time": "9999-12-31T23:59:59-01:00"},
        "time 0001-01-01T00:00:00+01:00": {**good, "time": "0001-01-01T00:00:00+01:00"},
        "time ISO week date": {**good, "time": "2025-W06-1T13:00:00Z"},
        "time without offset": {**good, "time": "2025-02-03T13:00:00"},
        "count 2^62": {**good, "count": 2**62},
        "count -1": {**good, "count": -1},
        "count 1.5": {**good, "count": 1.5},
        "sigma_m 1e300": {**good, "sigma_m": 1e300},
        "sigma_m 1e-300": {**good, "sigma_m": 1e-300},
        "lat 90": {**good, "lat": 90.0},
        "lat -90": {**good, "lat": -90.0},
        "lon 181": {**good, "lon": 181.0},
        "confidence 7.5": {**good, "confidence": 7.5},
        "id 1 MB": {**good, "id": "x" * MB},
        "sensor_id 1 MB": {**good, "sensor_id": "s" * MB},
        "id with NUL": {**good, "id": "a\x00b"},
        "sensor_id with RLO": {**good, "sensor_id": "cam\u202e1"},
        "kind misspelled": {**good, "kind": "persn"},
    }


RAW_BODIES: dict[str, bytes] = {
    "NaN number": b'[{"time":"2025-02-03T13:00:00Z","sensor_id":"c","lat":NaN,"lon":-111.9,'
                  b'"sigma_m":5,"kind":"person"}]',
    "not JSON": b"\xff\xfe not json",
    "an object, not a list": b'{"time":"2025-02-03T13:00:00Z"}',
    "empty body": b"",
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "a list of numbers": b"[1,2,3]",
}

BAD_QUERIES = ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00",
               "2025-W06-1T13:00:00Z", "not a time")


def cot_tip(time_value: str, ce: str = "400") -> bytes:
    return (f'<event version="2.0" uid="usbp-tip-1" type="a-u-G" how="h-e" opex="e" '
            f'time="{time_value}" start="{time_value}" stale="2099-01-01T00:00:00Z">'
            f'<point lat="48.988" lon="-111.9005" hae="9999999.0" ce="{ce}" le="9999999.0"/>'
            f'<detail><contact callsign="USBP-HVM"/></detail></event>').encode()


def cap_tip(**parameters: str) -> bytes:
    info = CapInfo(event="Border crossing expected", categories=("Security",),
                   urgency="Immediate", severity="Severe", certainty="Likely",
                   headline="Group about to enter Canada on foot", description="Phone call",
                   area_desc="4-5 km east of the port",
                   circles=(Circle(48.988, -111.9005, 0.979),),
                   parameters=tuple(parameters.items()))
    return CapMessage(identifier="USBP-HVM-2025-0001", sender="USBP-HVM",
                      sent=datetime(2025, 2, 3, 12, 50, tzinfo=UTC), status="Actual",
                      msg_type="Alert", scope="Private", addresses=("RCMP-K-IBET",),
                      infos=(info,)).to_xml()


BAD_TIPS: dict[str, bytes] = {
    "CoT time 9999-12-31T23:59:59-01:00": cot_tip("9999-12-31T23:59:59-01:00"),
    "CoT time 0001-01-01T00:00:00+01:00": cot_tip("0001-01-01T00:00:00+01:00"),
    "CoT ce 1e300": cot_tip("2025-02-03T12:50:00Z", ce="1e300"),
    "CAP count 1e30": cap_tip(count="1e30"),
    "CAP count -3": cap_tip(count="-3"),
    "CAP confidence 7.5": cap_tip(confidence="7.5"),
}


def huge_body(total: int, chunk: int = MB) -> Iterator[bytes]:
    """``total`` bytes of a JSON list, made one chunk at a time (never held whole)."""
    yield b"["
    block = b" " * chunk
    for _ in range(total // chunk):
        yield block


# ---- the runs -------------------------------------------------------------------------

def settled(client: httpx.Client, tally: Tally, timeout: float = 120.0) -> None:
    """Until the service has replayed its log (not ``recovering``) and tracked all it took."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = tally.answer(client.get("/healthz")).json()
        if health["status"] != "recovering" and health["pending"] == 0:
            return
        time.sleep(0.05)


def post_crossing(client: httpx.Client, tally: Tally, items: list[dict[str, Any]],
                  run: str, timeout: float = 60.0) -> bool:
    """Post a crossing (1,000 a batch) and wait for a crossing incident dated within its data
    time and an alert for that incident; a blinding if either is missing after ``timeout``
    seconds."""
    first, last = (datetime.fromisoformat(items[i]["time"]) for i in (0, -1))
    for start in range(0, len(items), 1000):
        tally.answer(client.post("/v1/detections", json=items[start:start + 1000]))
    started = time.monotonic()
    incident_s = alert_s = None
    while time.monotonic() - started < timeout and alert_s is None:
        features = tally.answer(client.get("/v1/incidents")).json()["features"]
        ours = {f["id"] for f in features if f["properties"]["type"] == "crossing"
                and first <= datetime.fromisoformat(f["properties"]["time"]) <= last}
        if ours and incident_s is None:
            incident_s = time.monotonic() - started
        if ours and any(a["incident_id"] in ours for a in
                        tally.answer(client.get("/v1/alerts")).json()["alerts"]):
            alert_s = time.monotonic() - started
        time.sleep(0.2)
    ok = alert_s is not None
    tally.blinded += not ok
    seen = (f"incident after {incident_s:.1f} s, alert after {alert_s:.1f} s" if ok else
            f"after {timeout:.0f} s: incident {'none' if incident_s is None else 'yes'}, "
            "alert none")
    return tally.record(run, "a crossing raises its incident and an alert", seen, ok)


def refused_ahead(client: httpx.Client, tally: Tally, good: dict[str, Any], run: str) -> None:
    for label, when in (("2999-01-01", FAR_AHEAD),
                        ("1 h ahead", stamp(datetime.now(UTC) + timedelta(hours=1)))):
        r = tally.answer(client.post("/v1/detections", json=[{**good, "time": when}]))
        tally.record(run, f"a detection dated {label} is refused (4xx)", str(r.status_code),
                     400 <= r.status_code < 500)


def bad_values(client: httpx.Client, tally: Tally, good: dict[str, Any]) -> None:
    # Each item an id of its own (unless the id is what is wrong), so none is a duplicate.
    items = {name: {**item, "id": f"bad-{n}"} if item["id"] == good["id"] else item
             for n, (name, item) in enumerate(bad_items(good).items())}
    codes: dict[int, int] = {}
    wrong = []
    for name, item in items.items():
        r = tally.answer(client.post("/v1/detections", json=[item]))
        codes[r.status_code] = codes.get(r.status_code, 0) + 1
        if not 400 <= r.status_code < 500 or len(r.content) > 10_000:
            wrong.append(name)
    tally.record("bad values", f"{len(items)} implausible items: each 4xx, short answer",
                 f"{codes}; wrong: {wrong or 'none'}", not wrong)
    r = tally.answer(client.post("/v1/detections", json=[*items.values(), good]))
    body = r.json() if r.status_code == 200 else {}
    tally.record("bad values", "one batch of all of them and one valid item: the valid kept",
                 f"{r.status_code}, accepted {body.get('accepted')}, "
                 f"{len(body.get('errors', []))} errors",
                 r.status_code == 200 and body.get("accepted") == 1
                 and len(body["errors"]) == len(items))
    wrong = []
    for name, raw in RAW_BODIES.items():
        r = tally.answer(client.post("/v1/detections", content=raw,
                                     headers={"content-type": "application/json"}))
        if not 400 <= r.status_code < 500:
            wrong.append(f"{name}: {r.status_code}")
    tally.record("bad values", f"{len(RAW_BODIES)} malformed bodies (NaN, 100,000 deep...): "
                 "4xx", f"wrong: {wrong or 'none'}", not wrong)
    wrong = []
    for path in ("/v1/tracks", "/v1/incidents", "/v1/sensors"):
        for name in ("since", "until"):
            for value in BAD_QUERIES:
                r = tally.answer(client.get(path, params={name: value}))
                if r.status_code != 422:
                    wrong.append(f"{path}?{name}={value}: {r.status_code}")
    tally.record("bad values", "out-of-range since/until: 422",
                 f"{3 * 2 * len(BAD_QUERIES)} tried; wrong: {wrong or 'none'}", not wrong)


def bad_tips(tally: Tally, folder: Path, quick: bool) -> None:
    wrong = []
    tips = list(BAD_TIPS.items())[::2] if quick else list(BAD_TIPS.items())
    for name, tip in tips:
        path = folder / "tip.xml"
        path.write_bytes(tip)
        done = subprocess.run([BORDERWATCH, "alerts", "tip", str(path), "--replay"],
                              capture_output=True, text=True, timeout=120)
        if "Traceback" in done.stderr + done.stdout:
            tally.server_errors += 1
            wrong.append(f"{name}: traceback")
        elif done.returncode == 0:
            wrong.append(f"{name}: accepted")
    tally.record("bad values", f"{len(tips)} bad CoT/CAP tips (`alerts tip`): refused, no "
                 "traceback", f"wrong: {wrong or 'none'}", not wrong)


def large_body(server: Server, client: httpx.Client, tally: Tally, total: int) -> None:
    before = server.peak
    try:
        r = tally.answer(client.post("/v1/detections", content=huge_body(total)))
        seen = str(r.status_code)
        ok = r.status_code == 413
    except httpx.TransportError as error:  # closed while we were still sending
        seen, ok = f"connection closed while sending ({type(error).__name__})", True
    time.sleep(0.5)
    grew = (server.peak - before) / MB
    tally.record("large body", f"{total // MB} MB streamed in 1 MiB chunks: 413, memory "
                 "bounded", f"{seen}; peak RSS +{grew:.0f} MB", ok and grew < 64)
    headers = {"content-length": str(total), "content-type": "application/json"}
    with httpx.Client(base_url=server.url, headers=dict(client.headers)) as raw:
        request = raw.build_request("POST", "/v1/detections", headers=headers,
                                    content=huge_body(total))
        try:
            r = tally.answer(raw.send(request))
            seen, ok = str(r.status_code), r.status_code == 413
        except httpx.TransportError as error:
            seen, ok = f"connection closed ({type(error).__name__})", True
    tally.record("large body", "Content-Length 200 MB declared: 413 at once", seen, ok)
    before, sent = server.peak, 0
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as client:
        try:  # no key: anyone who reaches the port can do this
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: abuse\r\nX-Junk: ")
            for block in huge_body(total):
                client.sendall(block)
                sent += len(block)
            client.sendall(b"\r\n\r\n")
            answer = client.recv(100).split(b"\r\n")[0].decode()
        except OSError as error:
            answer = f"connection closed ({type(error).__name__})"
    time.sleep(0.5)
    grew = (server.peak - before) / MB
    tally.record("large body", f"a {total // MB} MB header without a key: cut off (431), "
                 "memory bounded", f"{answer} after {sent / MB:.0f} MB sent; peak RSS "
                 f"+{grew:.0f} MB", sent < total and grew < 64)


def sensor_flood(client: httpx.Client, flood: httpx.Client, viewer: httpx.Client,
                 tally: Tally, sensors: int, at: datetime, real: list[dict[str, Any]]) -> None:
    accepted = refused = 0
    when = stamp(at)
    started = time.monotonic()
    for first in range(0, sensors, 1000):
        items = [{"time": when, "sensor_id": f"flood-{n}", "lat": 49.01, "lon": -111.9,
                  "sigma_m": 5.0, "kind": "person", "id": f"flood-{n}", "simulated": True}
                 for n in range(first, min(first + 1000, sensors))]
        r = tally.answer(flood.post("/v1/detections", json=items))
        if r.status_code in (200, 422):
            body = r.json()
            accepted += body.get("accepted", 0)
            refused += len(body.get("errors", []))
    spent = time.monotonic() - started
    tally.record("sensor flood", f"{sensors:,} distinct sensor ids from one key: at most the "
                 "per-key limit (1,000) taken", f"accepted {accepted:,}, refused {refused:,} "
                 f"in {spent:.1f} s", accepted <= 1000 and accepted + refused == sensors)
    health = tally.answer(client.get("/healthz")).json()
    tally.record("sensor flood", "/healthz is degraded and says why",
                 f"{health['status']}: {'; '.join(health.get('reasons', []))[:70]}",
                 health["status"] == "degraded")
    post_crossing(client, tally, real, "sensor flood", timeout=30.0)
    r = tally.answer(viewer.get("/v1/sensors"))
    page = r.json()
    tally.record("sensor flood", "/v1/sensors to a viewer: a bounded page",
                 f"{r.status_code}, {len(page.get('features', []))} sensors, "
                 f"{len(r.content) / 1000:.0f} kB",
                 r.status_code == 200 and len(page["features"]) <= 1000
                 and len(r.content) < MB)


def keys_and_metrics(url: str, tally: Tally, attempts: int) -> None:
    r = tally.answer(httpx.get(url + "/metrics"))
    tally.record("keys", "/metrics without a key: 401/403", str(r.status_code),
                 r.status_code in (401, 403))
    codes = []
    with httpx.Client(base_url=url) as client:
        for n in range(attempts):
            r = tally.answer(client.get("/v1/tracks", headers={"X-API-Key": f"bw_wrong{n}"}))
            codes.append(r.status_code)
    first = codes.index(429) if 429 in codes else None
    tally.record("keys", f"{attempts} wrong keys from one address: 429 after the limit",
                 f"first 429 at attempt {first + 1 if first is not None else '-'}",
                 first is not None and set(codes[:first]) == {401}
                 and set(codes[first:]) == {429})


def service_runs(tally: Tally, folder: Path, quick: bool) -> None:
    db = folder / "service.db"
    store = KeyStore(db)
    operator, _ = store.create("RCMP-K", Role.OPERATOR, "abuse bench")
    second, _ = store.create("RCMP-K", Role.OPERATOR, "abuse bench: the flooding key")
    viewer, _ = store.create("RCMP-K", Role.VIEWER, "abuse bench")
    store.close()
    # Data time: hours before now (recorded, so never ahead), later for each crossing.
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=4)
    real = [crossing(base + timedelta(hours=h), f"real{h}") for h in range(3)]
    good = {**real[0][0], "id": "good"}
    server = Server(db, tally)
    try:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": operator},
                          timeout=120) as client:
            refused_ahead(client, tally, good, "blinding")
            post_crossing(client, tally, real[0], "blinding")
            bad_values(client, tally, good)
            bad_tips(tally, folder, quick)
            large_body(server, client, tally, (20 if quick else 200) * MB)
    finally:
        server.stop()
    server = Server(db, tally)  # the restart: the stored stream is replayed first
    try:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": operator},
                          timeout=120) as client, \
             httpx.Client(base_url=server.url, headers={"X-API-Key": second},
                          timeout=120) as flood, \
             httpx.Client(base_url=server.url, headers={"X-API-Key": viewer},
                          timeout=120) as view:
            settled(client, tally)
            refused_ahead(client, tally, good, "restart")
            post_crossing(client, tally, real[1], "restart")
            sensor_flood(client, flood, view, tally, 10_000 if quick else 100_000,
                         base + timedelta(hours=1, minutes=50), real[2])
        keys_and_metrics(server.url, tally, 30 if quick else 60)
    finally:
        server.stop()


def feed_runs(tally: Tally, bodies: list[bytes], rate: float, limit: float,
              rounds: int) -> None:
    """bench/feed_cost.py's runs: ``rounds`` of the operator alone and with a partner,
    interleaved, each condition's p99 the best of its rounds (other work on the machine
    only adds to a p99, and both conditions get the same chances); then one run with a
    client that never reads."""
    alone, partner = [], []
    for _ in range(rounds):
        alone.append(feed_run("alone", bodies, rate))
        partner.append(feed_run("partner", bodies, rate))
    stalled = feed_run("stalled", bodies, rate)
    tally.p99_alone_ms = min(r.p99() for r in alone)
    tally.p99_partner_ms = min(r.p99() for r in partner)
    ratio = tally.p99_partner_ms / tally.p99_alone_ms
    each = ", ".join(f"{a.p99():.0f}/{p.p99():.0f}" for a, p in zip(alone, partner,
                                                                     strict=True))
    tally.record("feed", "a partner subscriber: operator feed p99 < 2x alone",
                 f"{tally.p99_alone_ms:.0f} ms alone, {tally.p99_partner_ms:.0f} ms with a "
                 f"partner (x{ratio:.2f}; rounds alone/partner {each} ms); "
                 f"{partner[-1].disclosure_rows} disclosure rows for "
                 f"{partner[-1].partner_events} events", ratio < limit)
    tally.record("feed", "a client that never reads: feed goes on, memory bounded",
                 f"p99 {stalled.p99():.0f} ms, {len(stalled.latencies_ms)} events "
                 f"({len(alone[-1].latencies_ms)} alone); "
                 f"peak RSS {stalled.peak_rss_mb:.0f} MB",
                 len(stalled.latencies_ms) >= 0.9 * len(alone[-1].latencies_ms))
    tally.max_rss = max(tally.max_rss, int(max(r.peak_rss_mb for r in
                                               (*alone, *partner, stalled)) * MB))


def slow_reader(url: str, key: str, stop: threading.Event) -> None:
    """A feed connection that takes 4 KiB every 0.5 s: far slower than the feed."""
    client = stalled_client(url, key)
    try:
        while not stop.wait(0.5):
            if not client.recv(4096):
                return
    except OSError:
        return
    finally:
        client.close()


def count_events(url: str, key: str, counts: list[int], ready: threading.Event) -> None:
    try:
        with httpx.stream("GET", url + "/v1/stream", headers={"X-API-Key": key},
                          timeout=None) as r:
            ready.set()
            for line in r.iter_lines():
                counts[0] += line == "event: tracks"
                counts[1] += line == "event: resync"
    except httpx.HTTPError:
        pass  # the service was stopped


def crowd_run(tally: Tally, folder: Path, bodies: list[bytes], rate: float,
              clients: int) -> None:
    """``clients`` connections to the feed that never read and ``clients`` that read 4 KiB
    every 0.5 s, while paced batches flow: one reader must still get every event."""
    db = folder / "crowd.db"
    store = KeyStore(db)
    key, _ = store.create("RCMP-K", Role.OPERATOR, "abuse bench")
    store.close()
    server = Server(db, tally)
    stop, ready, counts = threading.Event(), threading.Event(), [0, 0]
    stalled = [stalled_client(server.url, key) for _ in range(clients)]
    threads = [threading.Thread(target=slow_reader, args=(server.url, key, stop), daemon=True)
               for _ in range(clients)]
    threads.append(threading.Thread(target=count_events, args=(server.url, key, counts, ready),
                                    daemon=True))
    for thread in threads:
        thread.start()
    ready.wait(30)
    try:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": key},
                          timeout=120) as client:
            start = time.perf_counter()
            for n, body in enumerate(bodies):
                pause = start + n * 1000 / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                post(client, body)
            wait_tracked(client)
            time.sleep(1.0)
    finally:
        stop.set()
        for sock in stalled:
            sock.close()
        server.stop()
    tally.record("feed", f"{clients} clients that never read and {clients} that read 4 KiB "
                 "every 0.5 s: a reader gets every event, memory bounded",
                 f"{counts[0]}/{len(bodies)} events, {counts[1]} resyncs; peak RSS "
                 f"{server.peak / MB:.0f} MB", counts[0] >= 0.9 * len(bodies))


# ---- main -----------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 20 MB body, 10,000 sensors, 30 feed batches")
    parser.add_argument("--feed-batches", type=int, default=None,
                        help="batches of 1,000 detections per feed run (default 200)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="feed runs alone and with a partner, interleaved (default 2; 1 "
                        "with --quick); the best p99 of each is compared")
    parser.add_argument("--rate", type=float, default=20_000, help="feed detections/s")
    parser.add_argument("--rss-limit-mb", type=float, default=512,
                        help="the bound on the server's resident memory")
    args = parser.parse_args()
    batches = args.feed_batches or (30 if args.quick else 200)
    console = Console(stderr=True)
    tally = Tally()
    folder = Path(tempfile.mkdtemp(prefix="bw-bench-abuse-"))
    started = time.monotonic()
    try:
        with console.status("service runs"):
            service_runs(tally, folder, args.quick)
        with console.status("feed runs"):
            bodies = [batch(s) for s in range(batches)]
            feed_runs(tally, bodies, args.rate, 2.0, args.rounds or (1 if args.quick else 2))
            crowd_run(tally, folder, bodies, args.rate, 10 if args.quick else 25)
        with console.status("audit runs"):
            audit_runs(tally, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    max_rss_mb = tally.max_rss / MB
    tally.record("memory", f"server RSS under {args.rss_limit_mb:.0f} MB through every run",
                 f"peak {max_rss_mb:.0f} MB", max_rss_mb < args.rss_limit_mb)
    table = Table(title=f"Abuse runs on loopback (simulated data), "
                  f"{time.monotonic() - started:.0f} s, {os.cpu_count()} cores, "
                  f"load {os.getloadavg()[0]:.1f}")
    for column in ("run", "aim", "seen", "ok"):
        table.add_column(column, overflow="fold")
    for o in tally.outcomes:
        table.add_row(o.run, o.aim, o.seen, "[green]yes[/]" if o.ok else "[red]NO[/]")
    console.print(table)
    missed = [f"{o.run}: {o.aim}" for o in tally.outcomes if not o.ok]
    if tally.server_errors:
        missed.append(f"{tally.server_errors} server errors")
    for line in missed:
        console.print(f"[red]missed[/]: {line}")
    print(f"abuse: blinded={tally.blinded} server_errors={tally.server_errors} "
          f"feed_p99_ms_with_partner={tally.p99_partner_ms:.0f} max_rss_mb={max_rss_mb:.0f} "
          f"tail_delete_caught={tally.tail_delete_caught}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
