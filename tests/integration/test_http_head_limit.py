"""A request's head is bounded (issue 17, found by bench/abuse.py): with httptools, uvicorn
kept a header of any length, so one client without a key grew the server by the size of
the header it sent (200 MB sent: +379 MB). The service's uvicorn settings answer 431 and
close the connection once the head passes 64 KiB."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn

from borderwatch.app.bootstrap import build_service
from borderwatch.app.http.api import create_app, server_config
from borderwatch.app.http.protocol import MAX_HEAD_BYTES
from borderwatch.app.runtime.config import ServiceConfig
from borderwatch.app.runtime.service import Service
from borderwatch.domain.access import Role
from borderwatch.sources.registry import SensorRegistry


@pytest.fixture
def service(tmp_path: Path) -> Service:
    return build_service(ServiceConfig(db=tmp_path / "s.db",
                                       sensors=SensorRegistry(allow_undeclared=True)))


@pytest.fixture
def address(service: Service) -> Iterator[tuple[str, int]]:
    """The service under ``serve``'s uvicorn settings, on an ephemeral loopback port."""
    server = uvicorn.Server(server_config(create_app(service)))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield listener.getsockname()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def send_head(address: tuple[str, int], header_bytes: int) -> tuple[int, bytes]:
    """Send a GET /healthz whose one header is ``header_bytes`` long, 64 KiB at a time; how
    many bytes of it went out before the server closed, and what it answered."""
    sent = 0
    with socket.create_connection(address) as client:
        try:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Junk: ")
            while sent < header_bytes:
                chunk = b"a" * min(65_536, header_bytes - sent)
                client.sendall(chunk)
                sent += len(chunk)
            client.sendall(b"\r\n\r\n")
        except OSError:
            pass  # closed by the server, as it should be for a long head
        try:
            answer = client.recv(4096)
        except OSError:
            answer = b""
    return sent, answer


def test_a_head_over_the_limit_is_cut_off_while_it_is_read(address: tuple[str, int]) -> None:
    sent, answer = send_head(address, 32 * 2**20)
    # The kernel's socket buffers take a few MB before the client notices the close; the
    # whole 32 MB went through (and was answered 200) before the limit.
    assert sent < 16 * 2**20, sent
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer


def test_a_head_under_the_limit_is_served(address: tuple[str, int]) -> None:
    sent, answer = send_head(address, MAX_HEAD_BYTES // 2)
    assert sent == MAX_HEAD_BYTES // 2
    assert answer.startswith(b"HTTP/1.1 200"), answer


def test_bodies_larger_than_the_limit_are_not_taken_for_heads(
        service: Service, address: tuple[str, int]) -> None:
    """The read that completes a head holds the start of the body: a 400 kB batch, again and
    again on one kept-alive connection, is served."""
    key, _ = service.keys.create("RCMP-K", Role.OPERATOR)
    items = [{"time": "2025-02-03T13:00:00Z", "sensor_id": "cam-x", "lat": 49.0,
              "lon": -111.9, "sigma_m": 5.0, "kind": "person", "id": f"{n:0>120}"}
             for n in range(2_000)]
    body = orjson.dumps(items)
    assert len(body) > 6 * MAX_HEAD_BYTES
    with httpx.Client(base_url=f"http://{address[0]}:{address[1]}",
                      headers={"X-API-Key": key}) as client:
        for _ in range(5):
            r = client.post("/v1/detections", content=body)
            assert r.status_code == 200, r.text


def test_pipelined_requests_past_the_limit_are_served(address: tuple[str, int]) -> None:
    """Many small requests sent at once (HTTP/1.1 pipelining) are not one long head."""
    request = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"
    count = 2 * MAX_HEAD_BYTES // len(request)
    answers = b""
    with socket.create_connection(address) as client:
        client.sendall(request * count)
        client.settimeout(30)
        while answers.count(b"HTTP/1.1 ") < count:
            chunk = client.recv(65_536)
            assert chunk, answers[-300:]
            answers += chunk
    assert answers.count(b"HTTP/1.1 200") == count
