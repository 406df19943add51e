"""The served CoT stream with a client that never reads (issue 17; docs/security/clients.md):
what the server holds for it stays under its bound, the other client receives every
event, ``publish`` returns every time, and a client that takes nothing for the write
timeout is disconnected. Real sockets on 127.0.0.1; the stalled one has a tiny receive
buffer and never calls recv. No timing: waits are bounded only so that a broken build
fails instead of hanging."""

from __future__ import annotations

import socket
import threading
import time

from borderwatch.adapters.transports.tak import CotStreamServer

EVENTS = 4_000
PAD = 2_000  # bytes of remarks: 4,000 events are some 8 MB, more than the kernel buffers
HIGH_WATER = 64 * 1024  # asyncio's default write buffer high-water mark
WAIT_S = 60.0


def _event(n: int) -> bytes:
    return (f'<event version="2.0" uid="trk-{n % 5}" type="a-u-G" how="m-f" '
            f'time="2025-02-03T12:00:00Z" start="2025-02-03T12:00:00Z" '
            f'stale="2999-01-01T00:00:00Z"><point lat="49.0" lon="-111.9" hae="0" ce="5" '
            f'le="9999999"/><detail><remarks>{n} {"x" * PAD}</remarks></detail></event>'
            ).encode()


def _stalled(port: int) -> socket.socket:
    """A client that never reads, with the smallest receive buffer the kernel allows."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    client.connect(("127.0.0.1", port))
    return client


class _Reader(threading.Thread):
    """A client that reads everything and counts the events."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.socket = socket.create_connection(("127.0.0.1", port))
        self.data = bytearray()
        self.done = threading.Event()

    def run(self) -> None:
        while chunk := self.socket.recv(1 << 16):
            self.data += chunk
            if self.data.count(b"</event>") >= EVENTS:
                self.done.set()

    def events(self) -> int:
        return self.data.count(b"</event>")


def _until(condition: object) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


def test_a_client_that_never_reads_is_bounded_and_does_not_stall_the_others() -> None:
    bound = 100_000
    stream = CotStreamServer(client_bytes=bound, write_timeout_s=WAIT_S * 10)
    port = stream.start()
    stalled = _stalled(port)
    reader = _Reader(port)
    reader.start()
    try:
        _until(lambda: stream.clients == 2)
        assert stream.clients == 2
        for n in range(EVENTS):
            stream.publish(_event(n))  # returns: it waits for no client
            if n % 100 == 0:
                assert max(stream.queued_bytes()) <= bound + HIGH_WATER + len(_event(n))
        assert reader.done.wait(WAIT_S), reader.events()
        assert reader.events() == EVENTS  # the reading client got every event
        assert b"</event>" in reader.data and str(EVENTS - 1).encode() in reader.data[-PAD - 200:]
        assert stream.dropped > 0  # the stalled client's queue was dropped (resynced)
        assert max(stream.queued_bytes()) <= bound + HIGH_WATER + len(_event(0))
    finally:
        stalled.close()
        reader.socket.close()
        stream.close()


def test_a_client_that_takes_nothing_for_the_write_timeout_is_disconnected() -> None:
    stream = CotStreamServer(client_bytes=100_000, write_timeout_s=0.5)
    port = stream.start()
    stalled = _stalled(port)
    try:
        _until(lambda: stream.clients == 1)
        for n in range(EVENTS):
            stream.publish(_event(n))
        _until(lambda: stream.clients == 0)
        assert stream.clients == 0 and stream.disconnected == 1
    finally:
        stalled.close()
        stream.close()
