"""Free ports for the servers Borderwatch starts: below the kernel's ephemeral range, so a
server restarted on its port does not find it taken by some connection's local end."""

from __future__ import annotations

import socket

from borderwatch.adapters.localhost import ephemeral_range, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_bindable() -> None:
    low, high = ephemeral_range()
    assert 1024 <= low <= high
    for _ in range(20):
        port = free_port()
        assert 1024 <= port < low
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))

