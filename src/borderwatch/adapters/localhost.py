"""Free TCP ports on this machine, for the servers Borderwatch starts itself (nats-server,
embedded PostgreSQL, `borderwatch cluster up`, the tests' services).

A port is taken *below* the kernel's ephemeral range (``ip_local_port_range``, 32768-60999
by default on Linux). Servers here are restarted on the ports they had (a killed JetStream
node coming back, PostgreSQL restarted under its clients). A port from the ephemeral range
can meanwhile become the local end of any outgoing connection on the machine, and the
restart then fails with "address already in use" (seen under load in the cluster tests).
Below the range, a port is only ever taken by a program that asks for it.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_SPAN = 16_384
"""How many ports below the ephemeral range are tried (at random)."""
_TRIES = 64


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux's default where
    the file cannot be read)."""
    try:
        low, high = (int(n) for n in _RANGE_FILE.read_text().split()[:2])
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now, below the ephemeral range when one there is
    free (the kernel's choice otherwise)."""
    low, _ = ephemeral_range()
    first = max(1024, low - _SPAN)
    pick = random.SystemRandom()
    for _ in range(_TRIES if low > first else 0):
        port = pick.randrange(first, low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:  # in use (or reserved): another one
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
