"""`borderwatch serve` as its own process for the browser tests, on a port the system
chooses, stopped with SIGTERM at the end."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent / "borderwatch"


@contextmanager
def serving(*args: str) -> Iterator[str]:
    """Run ``borderwatch serve --port 0 ARGS``; yield the dashboard link it prints (with a
    ``#key=`` fragment under ``--replay``) once ``/healthz`` answers."""
    proc = subprocess.Popen(
        [str(BIN), "serve", "--host", "127.0.0.1", "--port", "0", "--allow-undeclared-sensors",
         *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert proc.stdout is not None
        link = None
        for line in proc.stdout:
            found = re.search(r"Dashboard: (http://127\.0\.0\.1:\d+/\S*)", line)
            if found:
                link = found.group(1)
                break
        assert link is not None, "`borderwatch serve` printed no dashboard link"
        base = link.split("/#", 1)[0].rstrip("/")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield link
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
