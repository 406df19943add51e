"""The TAK streaming port as TAK Server serves it on 8089: TLS, a client certificate
signed by the deployment's CA required (``ssl.CERT_REQUIRED``), CoT events both ways.

Each connection is a device named by its certificate (identity.py); what it receives and
what becomes of what it sends is its session's business (app/runtime/tak.py makes them):
this module frames, limits and refuses. Plain TCP is for a loopback address only, and
only when asked for: over a network it would let anyone claim any device.

A refused event (not XML, a DTD, too deep, a field wrong: inbound.py) is counted and
skipped, the connection kept; an event longer than ``MAX_EVENT_BYTES`` without its end
closes the connection (the stream cannot be resynchronised inside it). Nothing a client
sends raises out of its connection's task.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from borderwatch.adapters.tak.certs import CA_CERT, SERVER_CERT, SERVER_KEY
from borderwatch.adapters.tak.identity import DeviceIdentity, identity_from_peercert
from borderwatch.adapters.tak.inbound import MAX_EVENT_BYTES, is_ping, read_event
from borderwatch.adapters.tak.revocation import Revocations, peer_serial
from borderwatch.alerts.cot import split_events
from borderwatch.domain import InputError

WRITE_TIMEOUT_S = 30.0
"""A device that takes nothing for this long is disconnected (as CotStreamServer)."""
HANDSHAKE_TIMEOUT_S = 10.0
REVOCATION_CHECK_S = 2.0
"""How long a quiet connection waits before its certificate is checked against the CRL
again (a stat of crl.pem; the file is read only when it changed)."""


class TakSession(Protocol):
    """One connected device's side of the stream."""

    def outbound(self) -> AsyncIterator[bytes]:
        """The CoT events to send it, as they come (ends: the connection is closed)."""
        ...

    async def received(self, root: ET.Element) -> None:
        """One event it sent (parsed and within limits); ``InputError`` refuses it."""
        ...

    def close(self) -> None: ...


OpenSession = Callable[[DeviceIdentity], TakSession]


@dataclass
class TakCounters:
    """What the stream counts (GET /metrics shows them)."""

    connections: int = 0
    refused_connections: int = 0
    """TLS handshakes that failed (no certificate, another CA) or a certificate whose
    subject names no agency or role."""
    events_in: int = 0
    refused_events: int = 0
    """Events refused: malformed or hostile XML, a field missing or wrong."""
    closed_oversize: int = 0
    dropped_revoked: int = 0
    """Connections closed because their certificate was revoked while connected."""
    last_refusal: str = ""


def server_context(cert_dir: Path) -> ssl.SSLContext:
    """TLS 1.2+ with the server certificate of ``tak certs init`` in ``cert_dir``; a
    client certificate signed by its CA is required."""
    files = [cert_dir / n for n in (SERVER_CERT, SERVER_KEY, CA_CERT)]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise InputError("--tak-certs", f"missing {', '.join(missing)}: run `borderwatch "
                         f"tak certs init --dir {cert_dir}`")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(files[0]), str(files[1]))
        context.load_verify_locations(str(files[2]))
    except ssl.SSLError as err:
        raise InputError("--tak-certs", f"cannot load the certificates: {err}") from None
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def check_plain(host: str) -> None:
    """Plain TCP only on a loopback address (``InputError`` otherwise)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise InputError("--tak-plain", f"plain TCP lets anyone connect as any device; it "
                         f"is for a loopback address only, not {host!r}. Use TLS "
                         "(--tak-certs) on a network")


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening socket (bound before the service starts, so an address in use
    is said at once, naming the option)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise InputError("--tak-port", f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


class TakStreamServer:
    """Serves the stream on ``sock`` on the running event loop (:meth:`start`)."""

    def __init__(self, sock: socket.socket, open_session: OpenSession, *,
                 ssl_context: ssl.SSLContext | None,
                 plain_identity: DeviceIdentity | None = None,
                 revocations: Revocations | None = None,
                 write_timeout_s: float = WRITE_TIMEOUT_S) -> None:
        """``ssl_context`` None: plain TCP (``sock`` must be on loopback, check_plain),
        every connection then being ``plain_identity``. ``revocations``: the CA's CRL,
        checked at each handshake and as each connection reads."""
        if ssl_context is None:
            check_plain(sock.getsockname()[0])
            if plain_identity is None:
                raise ValueError("plain TCP needs the identity its connections get")
        self.sock = sock
        self.port = int(sock.getsockname()[1])
        self.open_session = open_session
        self.ssl_context = ssl_context
        self.plain_identity = plain_identity
        self.revocations = revocations
        self.write_timeout_s = write_timeout_s
        self.counters = TakCounters()
        self.sessions: dict[int, DeviceIdentity] = {}
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, sock=self.sock, ssl=self.ssl_context, limit=MAX_EVENT_BYTES,
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S if self.ssl_context else None)

    def close(self) -> None:
        """Stop accepting and drop every connection (on the loop's thread)."""
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
        else:
            self.sock.close()

    def _refuse(self, why: str) -> None:
        self.counters.refused_events += 1
        self.counters.last_refusal = why[:300]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        serial: int | None = None
        try:
            if self.ssl_context is None:
                assert self.plain_identity is not None
                device = self.plain_identity
            else:
                peer = writer.get_extra_info("peercert") or {}
                try:
                    device = identity_from_peercert(peer)
                except InputError as err:
                    self.counters.refused_connections += 1
                    self.counters.last_refusal = str(err)
                    return
                serial = peer_serial(peer)
                if serial is not None and self._revoked(serial):
                    self.counters.refused_connections += 1
                    self.counters.last_refusal = (f"device {device.device}: certificate "
                                                  f"{serial:x} is revoked")
                    return
            self.counters.connections += 1
            session = self.open_session(device)
            self.sessions[id(writer)] = device
            lock = asyncio.Lock()
            sending = asyncio.create_task(self._send(session, writer, lock))
            reading = asyncio.create_task(self._read(session, reader, serial))
            try:
                await asyncio.wait({sending, reading}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sending.cancel()
                reading.cancel()
                session.close()
                self.sessions.pop(id(writer), None)
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _write(self, writer: asyncio.StreamWriter, lock: asyncio.Lock,
                     data: bytes) -> None:
        async with lock:
            writer.write(data)
            await asyncio.wait_for(writer.drain(), self.write_timeout_s)

    async def _send(self, session: TakSession, writer: asyncio.StreamWriter,
                    lock: asyncio.Lock) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError, ssl.SSLError):
            async for data in session.outbound():
                await self._write(writer, lock, data)

    def _revoked(self, serial: int | None) -> bool:
        return (self.revocations is not None and serial is not None
                and self.revocations.is_revoked(serial))

    async def _read(self, session: TakSession, reader: asyncio.StreamReader,
                    serial: int | None = None) -> None:
        buffer = b""
        try:
            while True:
                chunk = await self._next(reader, serial)
                if self._revoked(serial):
                    assert serial is not None
                    self.counters.dropped_revoked += 1
                    self.counters.last_refusal = (f"certificate {serial:x} revoked while "
                                                  "connected: connection closed")
                    return
                if chunk is None:  # quiet for a while: only the revocation was looked at
                    continue
                if not chunk:
                    return
                events, buffer = split_events(buffer + chunk)
                for raw in events:
                    await self._take(session, raw)
                if len(buffer) > MAX_EVENT_BYTES:
                    self.counters.closed_oversize += 1
                    self._refuse(f"more than {MAX_EVENT_BYTES} bytes without an </event>: "
                                 "connection closed")
                    return
        except (ConnectionError, ssl.SSLError, TimeoutError):
            return

    async def _next(self, reader: asyncio.StreamReader, serial: int | None) -> bytes | None:
        """The next bytes (b"" at the end), or None after REVOCATION_CHECK_S of quiet when
        the connection's certificate is to be checked again (a device that only listens
        is dropped as soon as it is revoked, not at its next report)."""
        if self.revocations is None or serial is None:
            return await reader.read(65536)
        try:
            # Cancelling a StreamReader.read loses nothing: what arrived stays buffered.
            return await asyncio.wait_for(reader.read(65536), REVOCATION_CHECK_S)
        except TimeoutError:
            return None

    async def _take(self, session: TakSession, raw: bytes) -> None:
        self.counters.events_in += 1
        try:
            root = read_event(raw)
            if is_ping(root):
                # TAK Server answers with t-x-c-t-r; a CoT event needs a position, which
                # an answer has not, and our own stream keeps the connection busy enough.
                return
            await session.received(root)
        except InputError as err:
            self._refuse(str(err))

