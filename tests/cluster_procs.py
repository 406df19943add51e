"""A cluster of real processes for tests: the API (`borderwatch serve --config`), tracker
workers and dispatchers as subprocesses on a real PostgreSQL database and a real NATS
server (the session's, from tests/pg_fixtures.py and tests/nats_fixtures.py), each test
on its own database and its own streams. Nothing restarts on its own: a test kills and
starts what it means to."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from borderwatch.adapters.localhost import free_port
from borderwatch.app.runtime.config import Delivery

READY_S = 60.0


@dataclass
class Proc:
    name: str
    argv: list[str]
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        out = self.log.open("ab")
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, env=self.env)
        out.close()
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, nothing is flushed or released by the process itself."""
        if self.alive:
            assert self.process is not None
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class ProcCluster:
    """Processes of one deployment (its own name, so its own streams) on shared servers."""

    store: str
    bus: Sequence[str]
    folder: Path
    delivery: Delivery = field(default_factory=Delivery)
    replicas: int = 1
    claim_lease_s: float = 60.0
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name = "t" + secrets.token_hex(4)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = self.folder / "deployment.yaml"
        d = self.delivery
        delivery: dict[str, Any] = {"webhook_secret_env": d.webhook_secret_env,
                                    "deadline_s": d.deadline_s}
        for key, values in (("tak", d.cot), ("cap", d.cap), ("webhook", d.webhook),
                            ("mqtt", d.mqtt)):
            if values:
                delivery[key] = list(values)
        if d.policy is not None:
            delivery["policy"] = str(d.policy)
        self.config.write_text(yaml.safe_dump({
            "name": self.name, "store": self.store, "bus": list(self.bus),
            "replicas": self.replicas, "claim_lease_s": self.claim_lease_s,
            "delivery": delivery}), encoding="utf-8")
        self.procs: list[Proc] = []
        self.api_url = ""

    def _proc(self, name: str, *args: str) -> Proc:
        env = {**os.environ, **self.env}
        proc = Proc(name, [sys.executable, "-m", "borderwatch", *args, "--config",
                           str(self.config)], self.folder / f"{name}.log", env)
        self.procs.append(proc)
        return proc.start()

    def api(self, name: str = "api", port: int | None = None, *extra: str) -> Proc:
        port = port or free_port()
        proc = self._proc(name, "serve", "--host", "127.0.0.1", "--port", str(port),
                          "--allow-undeclared-sensors", *extra)
        self.api_url = f"http://127.0.0.1:{port}"
        self.wait(lambda: _answers(self.api_url), f"{name} to answer", proc)
        return proc

    def worker(self, name: str) -> Proc:
        return self._proc(name, "worker", "track", "--id", name)

    def dispatcher(self, name: str) -> Proc:
        return self._proc(name, "worker", "dispatch")

    def wait(self, condition: Callable[[], object], what: str, *watch: Proc,
             timeout_s: float = READY_S) -> None:
        """Until ``condition()`` is true; fails with the logs of ``watch`` if a watched
        process died or time ran out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return
            for proc in watch:
                if not proc.alive:
                    raise AssertionError(f"{proc.name} died waiting for {what}:\n{proc.tail()}")
            time.sleep(0.1)
        logs = "\n".join(f"--- {p.name}\n{p.tail()}" for p in (watch or self.procs))
        raise AssertionError(f"timed out waiting for {what}\n{logs}")

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code < 500
    except httpx.HTTPError:
        return False
