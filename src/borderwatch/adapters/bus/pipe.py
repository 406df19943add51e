"""Subject-addressed messages over a ``multiprocessing`` pipe: the bus's publish for two
processes of one host, with no broker (:class:`PipePublisher`; the reader takes each
frame apart with :func:`decode_frame`).

A ``LocalBus`` lives in one process; the tracker process of ``borderwatch serve`` reports to
the HTTP process through a pipe, on the subjects the NATS adapter will carry (docs/bus.md,
"The runtime's messages"). Delivery is the pipe's: in order, at most once, no retention.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from borderwatch.ports.bus import subject_tokens

_NO_HEADERS: Mapping[str, str] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class PipeMessage:
    """One message read from a pipe."""

    subject: str
    data: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


def encode_frame(subject: str, data: bytes, headers: Mapping[str, str] | None) -> bytes:
    """``subject[ key=value…]\\n`` then the body: one pipe message."""
    subject_tokens(subject)  # a literal subject, as the bus port requires
    head = subject
    if headers:
        for key, value in headers.items():
            if any(c in key + value for c in " =\n"):
                raise ValueError(f"header {key!r}={value!r} may not hold ' ', '=' or a newline")
            head += f" {key}={value}"
    return head.encode() + b"\n" + data


def decode_frame(frame: bytes) -> PipeMessage:
    """A pipe message back from :func:`encode_frame`'s bytes."""
    end = frame.index(b"\n")
    subject, *pairs = frame[:end].decode().split(" ")
    headers = dict(pair.split("=", 1) for pair in pairs) if pairs else _NO_HEADERS
    return PipeMessage(subject=subject, data=frame[end + 1:], headers=headers)


class PipePublisher:
    """Publishes on the sending end of a pipe; thread-safe (one lock, one message at once)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lock = threading.Lock()

    def publish(self, subject: str, data: bytes, *,
                headers: Mapping[str, str] | None = None) -> None:
        """Send one message; raises ``OSError`` when the other end is gone."""
        frame = encode_frame(subject, data, headers)
        with self._lock:
            self.connection.send_bytes(frame)

