"""`borderwatch cluster up | status | down` as a user runs them (README, docs/deployment.md):
a background supervisor with PostgreSQL, NATS, the API, a tracker worker and a dispatcher
on 127.0.0.1; a key made with `keys create --store`; the Coutts night in, its crossing
out; everything stopped by `down`, and the records still there at the next `up`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.cluster_procs import free_port
from tests.service_helpers import coutts_wire, post_all

pytestmark = pytest.mark.slow


def borderwatch(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderwatch", *args], capture_output=True,
                          text=True, timeout=timeout)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_cluster_up_status_down_and_up_again(tmp_path: Path) -> None:
    from borderwatch.adapters.postgres.server import reachable_temp_dir

    folder = reachable_temp_dir("borderwatch-cluster-test-") / "cluster"
    port = free_port()
    up = borderwatch("cluster", "up", "--dir", str(folder), "--workers", "1", "--port",
                     str(port))
    state_file = folder / "cluster.json"
    try:
        assert up.returncode == 0, up.stderr + up.stdout
        assert f"http://127.0.0.1:{port}" in up.stdout
        state = json.loads(state_file.read_text())
        assert set(state["processes"]) == {"api", "track-1", "dispatch-1"}
        status = borderwatch("cluster", "status", "--dir", str(folder))
        assert status.returncode == 0 and status.stdout.count("running") == 3, status.stdout

        made = borderwatch("keys", "create", "--store", state["store"], "--agency", "RCMP-K",
                           "--role", "operator")
        assert made.returncode == 0, made.stderr
        headers = {"X-API-Key": made.stdout.strip()}
        with httpx.Client(base_url=state["api"], timeout=30) as client:
            post_all(client, coutts_wire(), headers)
            deadline = time.monotonic() + 60
            crossings: list[object] = []
            while not crossings and time.monotonic() < deadline:
                features = client.get("/v1/incidents", headers=headers).json()["features"]
                crossings = [f for f in features if f["properties"]["type"] == "crossing"]
        assert crossings, "the cluster raised the night's crossing"
    finally:
        down = borderwatch("cluster", "down", "--dir", str(folder))
    assert down.returncode == 0, down.stderr
    assert not state_file.exists()
    assert not any(alive(int(p["pid"])) for p in state["processes"].values())
    assert not alive(int(state["supervisor"]))

    again = borderwatch("cluster", "up", "--dir", str(folder), "--workers", "1", "--port",
                        str(port))
    try:
        assert again.returncode == 0, again.stderr + again.stdout
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            kept = client.get("/v1/incidents", headers=headers)
        assert kept.status_code == 200, "the key is still known: the records were kept"
    finally:
        borderwatch("cluster", "down", "--dir", str(folder))


def test_cluster_up_refuses_bad_options_before_starting_anything(tmp_path: Path) -> None:
    result = borderwatch("cluster", "up", "--dir", str(tmp_path / "c"), "--workers", "0")
    assert result.returncode == 2 and "--workers" in result.stderr, result.stderr
    result = borderwatch("cluster", "up", "--dir", str(tmp_path / "c"), "--tak",
                         "udp://127.0.0.1:1")
    assert result.returncode == 2 and "--tak" in result.stderr, result.stderr
    assert not (tmp_path / "c" / "cluster.json").exists()
