"""bench/scale.py's processes: each service process launched with its log in the run's
folder, stopped (SIGTERM, then SIGKILL after 20 s), waited on with its log's tail when it
dies early, and its CPU seconds (with the seconds it waited for a core) read from /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

READY_S = 90.0
"""How long a process may take to answer after its start."""


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]


def launch(name: str, folder: Path, *args: str) -> Proc:
    with (folder / f"{name}.log").open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "borderwatch", *args],
                                   stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    return Proc(name, process)


def stop(proc: Proc) -> None:
    if proc.process.poll() is None:
        proc.process.send_signal(signal.SIGTERM)
        try:
            proc.process.wait(20)
        except subprocess.TimeoutExpired:
            proc.process.kill()
            proc.process.wait()


def wait_for(condition: Callable[[], object], what: str, procs: list[Proc],
             timeout_s: float = READY_S, folder: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        for proc in procs:
            if proc.process.poll() is not None:
                tail = (folder / f"{proc.name}.log").read_text()[-2000:] if folder else ""
                raise RuntimeError(f"{proc.name} exited waiting for {what}:\n{tail}")
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def answers(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


Usage = dict[str, tuple[float, float]]


def cpu_seconds(roots: Mapping[str, int | None]) -> Usage:
    """For each process and its descendants, every thread's CPU seconds and seconds spent
    ready but waiting for a core (Linux /proc/<pid>/task/<tid>/schedstat): the second
    tells a process starved by other work from one waiting for I/O or a lock."""
    parent: dict[int, int] = {}
    used: dict[int, tuple[float, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1]
                                          .split()[1])
            times = [(entry / "task" / t / "schedstat").read_text().split()[:2]
                     for t in os.listdir(entry / "task")]
        except OSError:
            continue
        used[int(entry.name)] = (sum(int(t[0]) for t in times) / 1e9,
                                 sum(int(t[1]) for t in times) / 1e9)

    def tree(pid: int) -> tuple[float, float]:
        parts = [used.get(pid, (0.0, 0.0)), *(tree(c) for c, p in parent.items() if p == pid)]
        return sum(p[0] for p in parts), sum(p[1] for p in parts)

    usage = {name: tree(pid) if pid else (0.0, 0.0) for name, pid in roots.items()}
    jiffies = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(jiffies[:8]) - jiffies[3] - jiffies[4]  # all but idle and iowait
    usage["machine"] = (busy / os.sysconf("SC_CLK_TCK"), 0.0)
    return usage


def cpu_note(before: Usage, after: Usage, wall: float) -> str:
    """CPU seconds per process (and, after +, seconds it waited for a core) in ``wall``."""
    spent = {name: (cpu - before.get(name, (0.0, 0.0))[0], ready - before.get(name, (0, 0))[1])
             for name, (cpu, ready) in after.items()}
    machine = spent.pop("machine")[0]
    ours = sum(cpu for cpu, _ in spent.values())
    return (", ".join(f"{name} {cpu:.1f}+{ready:.1f}" for name, (cpu, ready) in spent.items()
                      if cpu >= 0.05) + f" CPU-s (+ waiting for a core) in {wall:.1f} s; "
            f"the rest of the machine (load generator, this bench, anyone else) "
            f"{max(0.0, machine - ours):.1f} CPU-s")
