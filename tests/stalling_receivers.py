"""Webhook receivers on 127.0.0.1 that take a request and then stall: one never answers,
one answers a complete ``200`` one byte at a time. Each counts what arrived and flags
the first arrival (an event, for tests that must know a sender is stuck)."""

from __future__ import annotations

import socket
import threading

COMPLETE_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class StallingReceiver:
    """``trickle_s=None``: reads each request and never answers. Otherwise sends
    :data:`COMPLETE_ANSWER` one byte every ``trickle_s`` seconds (each byte would reset
    a per-read timeout), so a sender without an overall deadline succeeds only after
    ``len(COMPLETE_ANSWER) * trickle_s`` seconds."""

    def __init__(self, trickle_s: float | None = None) -> None:
        self.trickle_s = trickle_s
        self.requests = 0
        self.answered = 0
        """Complete answers sent (a sender that gave up closed the connection before)."""
        self.arrived = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(0.05)
        with connection:
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = self._recv(connection)
                if not chunk:
                    return
                received += chunk
            with self._lock:
                self.requests += 1
            self.arrived.set()
            if self.trickle_s is None:
                while self._recv(connection):  # until the sender hangs up
                    pass
                return
            for byte in COMPLETE_ANSWER:
                if self._stop.wait(self.trickle_s):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the sender gave up
            with self._lock:
                self.answered += 1

    def _recv(self, connection: socket.socket) -> bytes:
        """The next bytes; b"" once the peer closed or the receiver is closing."""
        while not self._stop.is_set():
            try:
                return connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return b""
        return b""

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(5)
