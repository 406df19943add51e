"""A 2xx from the ingest endpoint means stored: kill the service (SIGKILL) while a client
is ingesting, start it again, and every acknowledged detection is there."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent / "borderwatch"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([str(BIN), "serve", "--db", str(db), "--port", str(port)],
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


def _batch(n: int) -> list[dict[str, object]]:
    return [{"id": f"b{n}-{i}", "time": f"2025-02-03T13:{n // 60 % 60:02d}:{n % 60:02d}Z",
             "sensor_id": f"s{i}", "lat": 49.01 + i * 1e-3, "lon": -111.9} for i in range(50)]


def test_sigkill_during_ingest_loses_no_acknowledged_detection(tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    key = subprocess.run([str(BIN), "keys", "create", "--agency", "RCMP-K", "--role", "operator",
                          "--db", str(db)], capture_output=True, text=True, check=True).stdout
    headers = {"X-API-Key": key.strip()}
    port = _free_port()
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
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    worker.join(10)
    assert len(acknowledged) >= 1000

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
