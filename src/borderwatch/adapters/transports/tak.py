"""TAK transports: push CoT to a TAK server (TCP, or TLS with a client certificate) and
serve the same stream on a port for ATAK-style clients to connect to directly.

* :class:`TakServerTransport` opens its connection with ``pytak.protocol_factory`` (the
  ``tcp://`` and ``tls://`` URLs and ``PYTAK_TLS_*`` settings TAK users already know), keeps
  it, and reads and discards what the server sends back so its buffers never fill.
* :class:`CotStreamServer` is the served stream (8087/tcp style): every event published
  goes to every connected client, through a queue of its own bounded in bytes (a slow
  client is resynced or disconnected, never waited for), and a client that connects later
  first receives the latest event of every uid that is not stale yet (a TAK map's
  current picture).
* :class:`CotListener` is a stand-in TAK server (TCP, or TLS requiring a client
  certificate) that keeps what it receives: the official fake for tests and the demo.

Streams are consecutive XML events; a receiver splits right after ``</event>``
(docs/references.md, "Cursor-on-Target"). Each transport runs its own asyncio loop on a thread,
so the synchronous outbox dispatcher can call ``send``.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import warnings
from collections import deque
from collections.abc import Coroutine
from configparser import ConfigParser
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from defusedxml import ElementTree as SafeET

from borderwatch.alerts.base import DeliveryError
from borderwatch.alerts.cot import split_events
from borderwatch.alerts.outbox import Message

with warnings.catch_warnings():
    # pytak warns at import that aiohttp (for its certificate-enrollment client) is
    # missing; we never enroll: certificates are PEM files the operator provides, read by
    # the standard library's ssl. cryptography, its other optional package, is one of our
    # dependencies, so that warning cannot appear (tests/unit/test_demo_console.py).
    warnings.filterwarnings("ignore", message="The 'aiohttp' package is required")
    import pytak

T = TypeVar("T")


class _Loop:
    """An asyncio loop on a daemon thread, for synchronous callers."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class TakServerTransport:
    """Sends outbox messages (CoT events) to one TAK server, over a kept connection."""

    def __init__(
        self,
        url: str,
        *,
        client_cert: str | Path | None = None,
        client_key: str | Path | None = None,
        ca_file: str | Path | None = None,
        check_hostname: bool = True,
        timeout_s: float = 10.0,
        settle_s: float = 0.25,
    ) -> None:
        """``url`` is ``tcp://host:8087`` or ``tls://host:8089``; TLS needs the client
        certificate and key (PEM) and the CA that signed the server's certificate."""
        if not url.startswith(("tcp://", "tls://")):
            raise ValueError(f"a TAK server URL is tcp://host:port or tls://host:port: {url!r}")
        settings = {"COT_URL": url}
        if url.startswith("tls://"):
            if client_cert is None or client_key is None:
                raise ValueError("TLS to a TAK server needs a client certificate and key")
            settings["PYTAK_TLS_CLIENT_CERT"] = str(client_cert)
            settings["PYTAK_TLS_CLIENT_KEY"] = str(client_key)
            if ca_file is not None:
                settings["PYTAK_TLS_CLIENT_CAFILE"] = str(ca_file)
            if not check_hostname:
                settings["PYTAK_TLS_DONT_CHECK_HOSTNAME"] = "1"
        parser = ConfigParser(interpolation=None)
        parser["borderwatch"] = settings
        self.url = url
        self.config = parser["borderwatch"]
        self.timeout_s = timeout_s
        self.settle_s = settle_s
        self._loop = _Loop(f"tak-{url}")
        self._writer: asyncio.StreamWriter | None = None
        self._drain_task: asyncio.Task[None] | None = None

    def send(self, message: Message) -> None:
        """Send one event; ``timeout_s`` bounds the whole attempt (connecting, TLS and
        writing to a server that does not read), and the attempt is cancelled there."""
        try:
            self._loop.run(asyncio.wait_for(self._send(message.body), self.timeout_s),
                           self.timeout_s + 5.0)
        except Exception as err:
            self._loop.run(self._drop(), self.timeout_s)
            raise DeliveryError(f"{self.url}: {type(err).__name__}: {err}") from err

    async def _send(self, body: bytes) -> None:
        if self._drain_task is not None and self._drain_task.done():
            await self._drop()  # the server closed on us since the last send
        if self._writer is None or self._writer.is_closing():
            reader, writer = await pytak.protocol_factory(self.config)
            self._writer = writer
            self._drain_task = asyncio.create_task(_discard(reader))
            if self.url.startswith("tls://"):
                # TLS 1.3: the server checks our certificate after the handshake has
                # completed on our side, so a refusal arrives as a closed connection a
                # moment later, and a write before it would vanish (docs/gotchas.md).
                await asyncio.wait([self._drain_task], timeout=self.settle_s)
                if self._drain_task.done():
                    await self._drop()
                    raise DeliveryError(
                        f"{self.url}: the server closed the connection at "
                        "once (client certificate refused?)"
                    )
        self._writer.write(body)
        await self._writer.drain()

    async def _drop(self) -> None:
        if self._drain_task is not None:
            self._drain_task.cancel()
        if self._writer is not None:
            self._writer.close()
        self._writer = None
        self._drain_task = None

    def close(self) -> None:
        try:
            self._loop.run(self._drop(), self.timeout_s)
        finally:
            self._loop.close()


async def _discard(reader: asyncio.StreamReader) -> None:
    try:
        while await reader.read(65536):
            pass
    except (ConnectionError, ssl.SSLError):
        pass


COT_CLIENT_BYTES = 1 << 20
"""Bytes of CoT events queued for one served-stream client at most (some 1,500 track
events); beyond, its queue is dropped and it is resynced with the current picture."""
COT_WRITE_TIMEOUT_S = 30.0
"""A client that takes none of what is written to it for this long is disconnected."""


class _StreamClient:
    """One served-stream client: its queue of events, bounded in bytes, and the task that
    writes them (so that one slow reader never holds up the others or a publish)."""

    def __init__(self, writer: asyncio.StreamWriter, limit: int) -> None:
        self.writer = writer
        self.limit = limit
        self.queue: deque[bytes] = deque()
        self.queued_bytes = 0
        self.dropped = 0
        self.resync = True  # a new client is first sent the current picture
        self.ready = asyncio.Event()
        self.ready.set()

    def push(self, body: bytes) -> int:
        """Queue ``body``; how many events were dropped to make room (0: none)."""
        if self.queued_bytes + len(body) > self.limit:
            dropped = len(self.queue) + 1
            self.dropped += dropped
            self.queue.clear()
            self.queued_bytes = 0
            self.resync = True  # the picture it is sent instead holds this event too
            self.ready.set()
            return dropped
        self.queue.append(body)
        self.queued_bytes += len(body)
        self.ready.set()
        return 0

    def take(self, picture: list[bytes]) -> list[bytes]:
        """What to write next: the current picture after a resync, else the queue."""
        if self.resync:
            self.resync = False
            taken = picture
        else:
            taken = list(self.queue)
        self.queue.clear()
        self.queued_bytes = 0
        return taken


class CotStreamServer:
    """The served CoT stream on 127.0.0.1 (or ``host``); ``port=0`` picks a free port.

    Every client has its own queue, bounded at ``client_bytes``, and its own writer task:
    ``publish`` only queues, so it never waits for a client. A client whose queue would
    overflow has it dropped and is sent the current picture (the latest event of every
    uid not yet stale) when it takes data again; a client that takes nothing for
    ``write_timeout_s`` is disconnected (docs/security/clients.md)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 client_bytes: int = COT_CLIENT_BYTES,
                 write_timeout_s: float = COT_WRITE_TIMEOUT_S) -> None:
        self.host = host
        self.requested_port = port
        self.port = 0
        self.client_bytes = client_bytes
        self.write_timeout_s = write_timeout_s
        self._loop = _Loop("cot-stream")
        self._server: asyncio.Server | None = None
        self._clients: set[_StreamClient] = set()
        self._latest: dict[str, tuple[datetime, bytes]] = {}
        self.published = 0
        self.dropped = 0
        """Events dropped from slow clients' queues (each such client was resynced)."""
        self.disconnected = 0
        """Clients disconnected for taking nothing within ``write_timeout_s``."""

    def start(self) -> int:
        self._server = self._loop.run(
            asyncio.start_server(self._serve, self.host, self.requested_port)
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    @property
    def clients(self) -> int:
        return len(self._clients)

    def queued_bytes(self) -> list[int]:
        """Per client, the bytes the server holds for it: its queue and what its socket's
        transport has not handed to the kernel yet."""

        async def sizes() -> list[int]:
            return [c.queued_bytes + c.writer.transport.get_write_buffer_size()
                    for c in self._clients]

        return self._loop.run(sizes())

    def publish(self, body: bytes) -> None:
        """Queue one event for every client and keep it for later ones until stale.
        Never waits for a client."""
        self._loop.run(self._publish(body))

    def send(self, message: Message) -> None:
        """Transport contract: an outbox message for the served stream."""
        self.publish(message.body)

    async def _publish(self, body: bytes) -> None:
        uid, stale = _uid_and_stale(body)
        now = datetime.now(UTC)
        self._latest = {u: v for u, v in self._latest.items() if v[0] > now}
        if uid is not None and stale is not None:
            self._latest[uid] = (stale, body)
        self.published += 1
        for client in self._clients:
            self.dropped += client.push(body)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = _StreamClient(writer, self.client_bytes)
        self._clients.add(client)
        writing = asyncio.create_task(self._write(client))
        # Clients send pings and their own position: not ours. Read until they go.
        reading = asyncio.create_task(_discard(reader))
        try:
            await asyncio.wait({reading, writing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._clients.discard(client)
            writing.cancel()
            reading.cancel()
            writer.transport.abort()  # drop what it had not taken (close would wait)

    async def _write(self, client: _StreamClient) -> None:
        try:
            while True:
                await client.ready.wait()
                client.ready.clear()
                picture = [body for _, body in self._latest.values()] if client.resync else []
                for body in client.take(picture):
                    client.writer.write(body)
                    await asyncio.wait_for(client.writer.drain(), self.write_timeout_s)
        except TimeoutError:
            self.disconnected += 1
        except (ConnectionError, RuntimeError):
            pass

    def close(self) -> None:
        async def shutdown() -> None:
            for client in list(self._clients):
                client.writer.transport.abort()
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        try:
            self._loop.run(shutdown())
        finally:
            self._loop.close()


def _uid_and_stale(body: bytes) -> tuple[str | None, datetime | None]:
    try:
        root = SafeET.fromstring(body)
        stale = datetime.fromisoformat(root.get("stale", "").replace("Z", "+00:00"))
    except (SafeET.ParseError, ValueError):
        return None, None
    return root.get("uid"), stale


class CotListener:
    """A stand-in TAK server: accepts CoT over TCP (or TLS requiring a client certificate
    signed by ``ca_file``) and keeps every event received, in order."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        certfile: str | Path | None = None,
        keyfile: str | Path | None = None,
        ca_file: str | Path | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.port = 0
        self.events: list[bytes] = []
        self.peer_certificates: list[dict[str, Any]] = []
        self._received = threading.Condition()
        self._ssl: ssl.SSLContext | None = None
        if certfile is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
            if ca_file is not None:
                context.load_verify_locations(str(ca_file))
            context.verify_mode = ssl.CERT_REQUIRED  # TAK 8089: client certificates
            self._ssl = context
        self._loop = _Loop("cot-listener")
        self._server: asyncio.Server | None = None

    def start(self) -> int:
        self._server = self._loop.run(
            asyncio.start_server(self._serve, self.host, self.requested_port, ssl=self._ssl)
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[bytes]:
        """The events once at least ``count`` have arrived (or what came within timeout)."""
        with self._received:
            self._received.wait_for(lambda: len(self.events) >= count, timeout_s)
            return list(self.events)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peercert")
        if peer:
            self.peer_certificates.append(peer)
        buffer = b""
        try:
            while chunk := await reader.read(65536):
                events, buffer = split_events(buffer + chunk)
                if events:
                    with self._received:
                        self.events.extend(events)
                        self._received.notify_all()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def close(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()

        try:
            self._loop.run(shutdown())
        finally:
            self._loop.close()
