"""A 2xx from the ingest endpoint means stored: kill the service (SIGKILL) while a client
is ingesting, start it again, and every acknowledged detection is there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from borderwatch.adapters.localhost import free_port

BIN = Path(sys.executable).parent / "borderwatch"


def _start(db: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([str(BIN), "serve", "--db", str(db), "--port", str(port),
                             "--allow-undeclared-sensors"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").json()["status"] == "ok":
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the service did not start")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit may wait for a reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _batch(n: int) -> list[dict[str, object]]:
    return [{"id": f"b{n}-{i}", "time": f"2025-02-03T13:{n // 60 % 60:02d}:{n % 60:02d}Z",
             "sensor_id": f"s{i}", "lat": 49.01 + i * 1e-3, "lon": -111.9} for i in range(50)]


def test_sigkill_during_ingest_loses_no_acknowledged_detection(tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    key = subprocess.run([str(BIN), "keys", "create", "--agency", "RCMP-K", "--role", "operator",
                          "--db", str(db)], capture_output=True, text=True, check=True).stdout
    headers = {"X-API-Key": key.strip()}
    port = free_port()
    proc = _start(db, port)
    acknowledged: list[str] = []
    enough = threading.Event()

    def ingest() -> None:
        n = 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            while True:
                batch = _batch(n)
                try:
                    r = client.post("/v1/detections", json=batch, headers=headers)
                except httpx.HTTPError:
                    return  # the service is gone: this batch was never acknowledged
                if r.status_code == 200:
                    acknowledged.extend(str(d["id"]) for d in batch)
                n += 1
                if n >= 20:
                    enough.set()

    worker = threading.Thread(target=ingest)
    worker.start()
    assert enough.wait(60)
    trackers = _children(proc.pid)
    assert trackers, "serve runs its tracker in a process of its own"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    worker.join(10)
    assert len(acknowledged) >= 1000
    # The tracker reads end-of-file from the dead HTTP process and exits: no orphan keeps
    # the database open beside the restarted service.
    deadline = time.monotonic() + 15
    while any(_running(pid) for pid in trackers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in trackers)

    proc = _start(db, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wanted = set(acknowledged)
            for n in range(len(acknowledged) // 50):
                again = client.post("/v1/detections", json=_batch(n), headers=headers).json()
                assert again["accepted"] == 0 and len(again["duplicates"]) == 50, again
                wanted -= {f"b{n}-{i}" for i in range(50)}
            assert wanted == set()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
