"""A Mosquitto broker of our own on 127.0.0.1, for the tests and the bench.

It runs Debian's ``mosquitto`` (scripts/install-test-services.sh installs it) with a
generated configuration in a directory we choose: one listener on a free port,
anonymous clients, and persistence on, so that a restart keeps the persistent sessions
and the QoS 1 messages queued for them. The port is kept across restarts.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

from borderwatch.adapters.localhost import free_port

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


class MosquittoError(RuntimeError):
    """Mosquitto could not be found or started."""


def mosquitto_binary() -> Path:
    """The ``mosquitto`` executable (Debian puts it in /usr/sbin, often not on PATH)."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/sbin")
    if found is None:
        raise MosquittoError("mosquitto not found on PATH or in /usr/sbin; install Debian's "
                             "package: apt-get install mosquitto "
                             "(scripts/install-test-services.sh)")
    return Path(found)


def broker_config(port: int, data_dir: Path, host: str = "127.0.0.1") -> str:
    """The configuration: what each line is for is said beside it (docs/devices.md has
    the same settings for a site's own broker)."""
    lines = [
        f"listener {port} {host}",
        "allow_anonymous true",
        "persistence true",  # sessions and queued messages survive a restart
        f"persistence_location {data_dir}/",
        "autosave_interval 5",
        # The defaults drop a persistent session's messages beyond 1,000 queued while its
        # client is away, and send a client only 20 unacknowledged at a time.
        "max_queued_messages 0",
        "max_inflight_messages 1000",
        f"log_dest file {data_dir}/mosquitto.log",
    ]
    if os.geteuid() == 0:  # as root, mosquitto 2 would drop to the user "mosquitto"
        lines.append(f"user {getpass.getuser()}")
    return "\n".join(lines) + "\n"


class Mosquitto:
    """One broker, its files in ``data_dir``; ``port=0`` picks a free one at the first
    start, kept for restarts."""

    def __init__(self, data_dir: Path, port: int = 0, host: str = "127.0.0.1") -> None:
        self.data_dir = Path(data_dir)
        self.port = port
        self.host = host
        self._process: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.data_dir / "mosquitto.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> None:
        """Launch and wait until it accepts connections."""
        if self.running:
            return
        binary = mosquitto_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            self.port = free_port(self.host)
        conf = self.data_dir / "mosquitto.conf"
        conf.write_text(broker_config(self.port, self.data_dir, self.host))
        self._out = (self.data_dir / "stdout.log").open("ab")
        self._process = subprocess.Popen([str(binary), "-c", str(conf)],
                                         stdin=subprocess.DEVNULL, stdout=self._out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise MosquittoError(f"mosquitto exited with {self._process.returncode}:\n"
                                     f"{self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise MosquittoError(f"mosquitto did not listen on {self.url} within "
                             f"{START_TIMEOUT_S:g} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM: mosquitto writes its persistence file, then exits."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._process = None
        if self._out is not None:
            self._out.close()
            self._out = None

    def restart(self) -> None:
        self.stop()
        self.start()
