"""Alert delivery on loopback: incident-to-webhook latency at a steady rate, and the durable
outbox's sustained throughput.

    .venv/bin/python bench/alerts.py [--alerts 1000] [--rate 100] [--outbox 5000]

1. **Latency.** A real HTTP receiver on 127.0.0.1 (ephemeral port, checks every HMAC
   signature) and the real alert stage (bundled routing policy, lifecycle, sharing gate,
   SQLite outbox with ``synchronous=FULL``, background dispatcher, signed webhook). Crossing
   incidents are raised at ``--rate`` per second on a fixed schedule; each one's latency is
   from the call that hands the incident to the alert stage to the moment the receiver has
   the verified request. Reported: p50 and p99 over all alerts.
2. **Outbox throughput.** ``--outbox`` messages, each enqueued in its own committed
   transaction (as alerts are raised one by one), then claimed, handed to a transport that
   only counts, and marked sent: messages per second through the SQLite outbox alone, with
   ``synchronous=FULL`` (the default: a committed message survives a power cut) and, for
   comparison, ``NORMAL`` (survives a killed process only).

The LAST printed line is a fixed-format summary, e.g.
``alerts: p50_ms=3.1 p99_ms=12.4 outbox_per_s=2500`` (the FULL figure).
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from borderwatch.adapters.sqlite.outbox import SqliteOutbox
from borderwatch.adapters.transports.dispatch import Dispatcher
from borderwatch.alerts import Channels, Message
from borderwatch.alerts.webhook import DEDUP_HEADER, SignatureError, verify_signature
from borderwatch.app.bootstrap import open_alert_service, transports_for
from borderwatch.domain import Direction, Incident, IncidentType, Kind, Risk, Severity

SECRET = b"bench-secret"


class Receiver:
    """Loopback webhook receiver recording when each dedup key arrived (perf_counter)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.bad = 0
        self.done = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    ok = bool(verify_signature(SECRET, self.headers, body, now=time.time()))
                except SignatureError:
                    ok = False
                key = self.headers.get(DEDUP_HEADER) or ""
                now = time.perf_counter()
                with receiver.done:
                    if ok:
                        receiver.arrived.setdefault(key, now)
                    else:
                        receiver.bad += 1
                    receiver.done.notify_all()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def crossing(n: int, at: datetime) -> Incident:
    risk = Risk(11, Severity.EXTREME, ())
    return Incident(
        incident_id=f"INC-20250203-{n:05d}",
        type=IncidentType.CROSSING,
        time=at,
        lat=49.0,
        lon=-111.9004,
        segment="AB-MT",
        track_id=f"trk-{n:06d}",
        group_size=9,
        detected_at=at,
        risk=risk,
        direction=Direction.NORTHBOUND,
        kind=Kind.PERSON,
        simulated=True,
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def latency(folder: Path, count: int, rate: float) -> tuple[float, float, float]:
    from borderwatch.geo import Boundary

    receiver = Receiver()
    channels = Channels(webhook=(receiver.url,))
    service = open_alert_service(
        folder / "latency.db",
        boundary=Boundary.bundled(),
        channels=channels,
        transports=transports_for(channels, webhook_secret=SECRET),
        background=True,
    )
    started: dict[str, float] = {}
    t0 = datetime(2025, 2, 3, 13, 16, 34, tzinfo=UTC)
    begin = time.perf_counter() + 0.2
    for n in range(count):
        due = begin + n / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        incident = crossing(n, t0 + timedelta(seconds=n))
        key = (
            f"ALR-{incident.incident_id.removeprefix('INC-')}-RCMP-K-IBET:RCMP-K-IBET:"
            f"trigger:webhook:{receiver.url}"
        )
        started[key] = time.perf_counter()
        service.center.route(incident)
    with receiver.done:
        receiver.done.wait_for(lambda: len(receiver.arrived) >= count, 60)
    elapsed = time.perf_counter() - begin
    service.close()
    receiver.close()
    if receiver.bad or len(receiver.arrived) < count:
        sys.exit(f"only {len(receiver.arrived)} of {count} delivered, {receiver.bad} bad")
    millis = [(receiver.arrived[k] - started[k]) * 1000.0 for k in started]
    print(
        f"latency: {count} alerts at {rate:g}/s over {elapsed:.1f} s, all delivered and "
        f"signature-verified; min {min(millis):.1f} ms, mean {statistics.fmean(millis):.1f} ms, "
        f"max {max(millis):.1f} ms"
    )
    return percentile(millis, 50), percentile(millis, 99), elapsed


class CountingTransport:
    def __init__(self) -> None:
        self.count = 0

    def send(self, message: Message) -> None:
        self.count += 1


def outbox_throughput(folder: Path, count: int, synchronous: str) -> float:
    outbox = SqliteOutbox(folder / f"outbox-{synchronous}.db", synchronous=synchronous)
    transport = CountingTransport()
    dispatcher = Dispatcher(outbox, {"webhook": transport})
    body = b'{"alert_id": "ALR-1", "simulated": true}' * 8
    begin = time.perf_counter()
    for n in range(count):
        outbox.enqueue(
            [Message(f"k{n}", f"ALR-{n}", "webhook", "http://x", "application/json", body)]
        )
        if n % 50 == 49:
            dispatcher.deliver_due(1000)
    dispatcher.deliver_due(count)
    elapsed = time.perf_counter() - begin
    assert transport.count == count and outbox.counts() == {"sent": count}
    outbox.close()
    rate = count / elapsed
    print(
        f"outbox (synchronous={synchronous}): {count} messages enqueued one per transaction, "
        f"dispatched and marked sent in {elapsed:.2f} s = {rate:,.0f} messages/s"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--outbox", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bw-bench-alerts-") as tmp:
        folder = Path(tmp)
        p50, p99, _ = latency(folder, args.alerts, args.rate)
        full = outbox_throughput(folder, args.outbox, "FULL")
        outbox_throughput(folder, args.outbox, "NORMAL")
    print(f"alerts: p50_ms={p50:.1f} p99_ms={p99:.1f} outbox_per_s={full:.0f}")


if __name__ == "__main__":
    main()
