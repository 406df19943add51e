"""The service's TAK stream as ATAK meets it (serve --tak-port --tak-certs): pytak connects
over TLS with the data package `tak certs device` made, receives the tracks and incidents
the service pushes, and its position report comes out on the live feed as a responder; a
client without a certificate or with one of another CA is refused; a partner agency's
device gets only what the sharing policy releases; hostile XML is refused and the
connection kept; plain TCP is refused off loopback. All on 127.0.0.1, ephemeral ports."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
import warnings
from collections.abc import Iterator
from configparser import ConfigParser
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from defusedxml import ElementTree as SafeET
from tests.service_helpers import Running, running_service
from typer.testing import CliRunner

from borderwatch.adapters.tak.certs import init_authority, issue_device
from borderwatch.app.cli.main import app
from borderwatch.app.runtime.config import TakStreamSettings
from borderwatch.domain import InputError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pytak
    from pytak.client_functions import read_pref_package

WAIT_S = 20.0
T = "2025-02-03T12:51:26.000Z"
TRACK = {"track_id": "trk-000091", "time": T, "lat": 48.99, "lon": -111.9004,
         "kind": "person", "kind_probability": 0.9, "group_size": 9, "speed_ms": 0.75,
         "heading_deg": 2.0, "position_sigma_m": 8.0, "simulated": True}
INCIDENT = {"incident_id": "INC-20250203-0002", "type": "crossing", "direction": "northbound",
            "time": T, "lat": 49.0, "lon": -111.9004, "segment": "coutts", "group_size": 9,
            "track_id": "trk-000091", "severity": "extreme", "simulated": True}


def _publish_picture(run: Running) -> None:
    """A track update and a crossing incident on the live feed, as the tracker publishes
    them (live.ThreadTracker)."""
    hub = run.service.hub
    hub.publish({"type": "tracks", "tracks": [{"type": "Feature", "geometry": None,
                                               "properties": TRACK}],
                 "ended": [], "data_time": T, "simulated": True})
    hub.publish({"type": "incident", "incident": INCIDENT, "simulated": True})


@pytest.fixture
def stream(tmp_path: Path) -> Iterator[tuple[Running, Path]]:
    certs = tmp_path / "certs"
    init_authority(certs)
    settings = TakStreamSettings(port=0, cert_dir=certs)
    with running_service(tmp_path / "service.db", tak=settings) as run:
        yield run, certs


def _gateway(run: Running) -> Any:
    return run.service.extras["tak"]


def _package(certs: Path, run: Running, name: str, agency: str, role: str) -> Path:
    return issue_device(certs, name=name, agency=agency, role=role, host="127.0.0.1",
                        port=_gateway(run).port, password="device-pass").package


def _pytak_config(package: Path) -> Any:
    """pytak's settings read from the data package itself (pytak's own reader of ATAK
    packages: connectString0, certificateLocation, clientPassword)."""
    parser = ConfigParser(interpolation=None)
    parser["device"] = {k: v for k, v in read_pref_package(str(package)).items() if v}
    return parser["device"]


def _wait(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


async def _pytak_session(run: Running, package: Path, count: int,
                         send: bytes | None = None) -> list[bytes]:
    """Connect with pytak, publish the picture once connected, receive ``count`` events,
    then send ``send``."""
    config = _pytak_config(package)
    assert config["COT_URL"].startswith("ssl://127.0.0.1:")
    reader, writer = await pytak.protocol_factory(config)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    worker = pytak.RXWorker(queue, config, reader)
    received: list[bytes] = []
    try:
        gateway = _gateway(run)
        while not gateway.server.sessions:
            await asyncio.sleep(0.02)
        await asyncio.to_thread(_publish_picture, run)
        while len(received) < count:
            await asyncio.wait_for(worker.run_once(), WAIT_S)
            while not queue.empty():
                received.append(queue.get_nowait())
        if send is not None:
            writer.write(send)
            await writer.drain()
            await asyncio.sleep(0.5)  # let it arrive before we hang up
    finally:
        writer.close()
    return received


SELF_REPORT = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               b'<event version="2.0" uid="ANDROID-0a1b2c" type="a-f-G-U-C" '
               b'time="2025-02-03T13:16:34.000Z" start="2025-02-03T13:16:34.000Z" '
               b'stale="2025-02-03T13:22:34.000Z" how="h-e"><point lat="49.0012" '
               b'lon="-111.9601" hae="1000" ce="9.0" le="9999999"/><detail>'
               b'<contact callsign="K-IBET-1" endpoint="*:-1:stcp"/>'
               b'<__group name="Cyan" role="Team Member"/><track course="12.5" speed="1.4"/>'
               b"</detail></event>")


def _feed_events(run: Running, kind: str, stop: Any) -> list[dict[str, Any]]:
    """The first ``kind`` event of the live feed (SSE) as the deployment's operator reads
    it, ``stop`` called once it is connected."""
    import orjson

    headers = run.key("RCMP-K", "operator")
    found: list[dict[str, Any]] = []
    with httpx.Client(base_url=run.url, timeout=WAIT_S) as client, \
            client.stream("GET", "/v1/stream", headers=headers) as response:
        assert response.status_code == 200
        name = ""
        stop()  # the feed is connected: now make what it should see
        deadline = time.monotonic() + WAIT_S  # a keep-alive comes every 15 s at least
        for line in response.iter_lines():
            if time.monotonic() > deadline:
                break
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name == kind:
                found.append(orjson.loads(line[6:]))
                return found
    return found


def test_an_atak_device_receives_the_picture_and_its_position_comes_back(
        stream: tuple[Running, Path]) -> None:
    run, certs = stream
    package = _package(certs, run, "ATAK-01", "rcmp", "field")
    received: list[bytes] = []

    def connect() -> None:
        received.extend(asyncio.run(_pytak_session(run, package, 2, send=SELF_REPORT)))

    responders = _feed_events(run, "responder", connect)
    events = [SafeET.fromstring(e) for e in received]
    assert [e.get("type") for e in events] == ["a-u-G", "b-a-g"]
    track, incident = events
    assert track.get("uid") == "borderwatch.trk-000091" and track.get("opex") == "s"
    assert incident.find("detail/link").get("uid") == "borderwatch.trk-000091"  # type: ignore[union-attr]
    assert "extreme" in (incident.findtext("detail/remarks") or "")  # the owner sees it all
    assert len(responders) == 1
    # The report went to the responder registry (the unit can be proposed for intercepts),
    # which put it on the live feed.
    unit = responders[0]["responder"]
    assert (unit["unit_id"], unit["callsign"], unit["agency"], unit["position_source"]) == (
        "ANDROID-0a1b2c", "K-IBET-1", "RCMP", "report")
    assert (unit["lat"], unit["lon"]) == (49.0012, -111.9601)
    assert run.service.responders is not None
    assert [u.unit_id for u in run.service.responders.units(datetime.now(UTC))] == [
        "ANDROID-0a1b2c"]


def test_a_partner_device_gets_only_what_the_sharing_policy_releases(
        stream: tuple[Running, Path]) -> None:
    run, certs = stream
    package = _package(certs, run, "CBP-07", "usbp", "partner")
    received = asyncio.run(_pytak_session(run, package, 1))
    event = SafeET.fromstring(received[0])
    # No track (a partner is given no track identity); the incident, of released fields.
    assert event.get("type") == "b-a-g" and event.find("detail/link") is None
    assert event.findtext("detail/remarks") == (
        "EXERCISE - SIMULATED: CROSSING northbound group of 9")
    for withheld in (b"INC-", b"trk-", b"extreme", b"coutts"):
        assert withheld not in received[0]
    disclosures = run.service.alerts.disclosures
    def incident_entries() -> list[dict[str, Any]]:
        return [e for e in _entries(disclosures)
                if e.get("channel") == "tak" and e.get("event") == "incident"]

    _wait(incident_entries, "the disclosure to the partner device")
    entry = incident_entries()[0]
    assert entry["agency"] == "USBP" and entry["key_id"] == "tak:CBP-07"
    assert {"severity", "track_id", "incident_id"} <= set(entry["withheld"])
    assert set(entry["fields"]) <= {"type", "time", "lat", "lon", "direction", "group_size"}


def _entries(disclosures: Any) -> list[dict[str, Any]]:
    return list(disclosures.entries())


def _tls(port: int, certs: Path, device: Path | None) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    if device is not None:
        context.load_cert_chain(str(device.with_suffix(".pem")), str(device.with_suffix(".key")))
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
    return context.wrap_socket(sock, server_hostname="127.0.0.1")


def _refused(connection: ssl.SSLSocket) -> bool:
    """Whether the server ended the connection (TLS 1.3: the client's handshake ends
    before the server checks its certificate; the refusal is the next read)."""
    try:
        connection.sendall(SELF_REPORT)
        return connection.recv(1024) == b""
    except (ssl.SSLError, ConnectionError):
        return True
    finally:
        connection.close()


def test_a_client_without_a_certificate_or_from_another_ca_is_refused(
        stream: tuple[Running, Path], tmp_path: Path) -> None:
    run, certs = stream
    port = _gateway(run).port
    other = tmp_path / "other-ca"
    init_authority(other)
    stranger = issue_device(other, name="ATAK-01", agency="RCMP", role="field").key
    assert _refused(_tls(port, certs, None))
    assert _refused(_tls(port, certs, stranger))
    counters = _gateway(run).server.counters
    # Refused by TLS itself (CERT_REQUIRED), before any subject was read.
    assert counters.connections == counters.refused_connections == counters.events_in == 0


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE event [<!ENTITY a "aaaaaaaaaa">'
          b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
          b'<event uid="x" type="a-f-G">&b;</event>')
EXTERNAL = (b'<!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<event uid="x" type="a-f-G"><remarks>&x;</remarks></event>')
DEEP = b"<event>" + b"<d>" * 40 + b"</d>" * 40 + b"</event>"
GARBAGE = b"\x00\xff\xfe garbage \x16\x03</event>"
UNKNOWN_CE = SELF_REPORT.replace(b'type="a-f-G-U-C"', b'type="a-h-G"').replace(
    b'ce="9.0"', b'ce="9999999"')


def test_hostile_xml_is_refused_and_counted_and_the_connection_kept(
        stream: tuple[Running, Path]) -> None:
    run, certs = stream
    device = _package(certs, run, "ATAK-02", "RCMP", "field").with_suffix(".key")
    gateway = _gateway(run)
    connection = _tls(gateway.port, certs, device)
    try:
        for hostile in (LAUGHS, EXTERNAL, DEEP, GARBAGE, UNKNOWN_CE):
            connection.sendall(hostile)
        marker = SELF_REPORT.replace(b'type="a-f-G-U-C"', b'type="a-h-G"').replace(
            b"</detail>", b"<remarks>group of 5</remarks></detail>")
        marker = marker.replace(b"2025-02-03T13:16:34", time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.gmtime()).encode())
        connection.sendall(marker)
        _wait(lambda: run.service.live.counters.accepted >= 1, "the marker's detection")
        counters = gateway.server.counters
        assert counters.refused_events == 5, counters.last_refusal
        assert counters.events_in == 6
        metrics = httpx.get(run.url + "/metrics", headers=run.key("RCMP-K", "monitor")).text
        assert "borderwatch_tak_events_refused_total 5" in metrics
        # An event that never ends closes the connection cleanly.
        connection.sendall(b"<event>" + b"x" * (70 * 1024))
        assert connection.recv(1024) == b""
        assert counters.closed_oversize == 1
    finally:
        connection.close()


def test_plain_tcp_is_refused_off_loopback(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        TakStreamSettings(port=0, host="0.0.0.0", plain=True).check()
    assert caught.value.field == "--tak-plain"
    TakStreamSettings(port=0, host="127.0.0.1", plain=True).check()  # loopback: allowed
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "s.db"), "--tak-port",
                                      "0", "--tak-plain", "--tak-host", "10.1.2.3"])
    assert isinstance(result.exception, InputError)
    assert result.exception.field == "--tak-plain"
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "s.db"), "--tak-port",
                                      "0"])
    assert isinstance(result.exception, InputError)
    assert result.exception.field == "--tak-certs"


def _read_events(connection: ssl.SSLSocket, count: int) -> list[bytes]:
    from borderwatch.alerts.cot import split_events

    buffer, events = b"", []
    deadline = time.monotonic() + WAIT_S
    while len(events) < count and time.monotonic() < deadline:
        chunk = connection.recv(65536)
        if not chunk:
            break
        made, buffer = split_events(buffer + chunk)
        events += made
    return events


def test_a_device_connecting_later_first_gets_the_current_picture(
        stream: tuple[Running, Path]) -> None:
    run, certs = stream
    picture = run.service.live.picture  # type: ignore[attr-defined]
    picture.apply_tracks([{"type": "Feature", "id": TRACK["track_id"], "geometry": None,
                           "properties": TRACK}], [])
    picture.add_incident(INCIDENT)
    device = _package(certs, run, "ATAK-03", "RCMP", "viewer").with_suffix(".key")
    connection = _tls(_gateway(run).port, certs, device)
    try:
        events = [SafeET.fromstring(e) for e in _read_events(connection, 2)]
    finally:
        connection.close()
    assert [(e.get("type"), e.get("uid")) for e in events] == [
        ("a-u-G", "borderwatch.trk-000091"),
        ("b-a-g", "borderwatch.incident.INC-20250203-0002")]


def test_a_revoked_device_is_refused_and_dropped_while_connected(
        stream: tuple[Running, Path]) -> None:
    """`tak certs revoke` takes effect on the running stream, without a restart: the
    device's open connection is closed and its next connection refused; another
    device's connection goes on."""
    run, certs = stream
    gateway = _gateway(run)
    lost = _package(certs, run, "ATAK-LOST", "RCMP", "field").with_suffix(".key")
    kept = _package(certs, run, "ATAK-KEPT", "RCMP", "field").with_suffix(".key")
    lost_connection = _tls(gateway.port, certs, lost)
    kept_connection = _tls(gateway.port, certs, kept)
    try:
        _wait(lambda: len(gateway.server.sessions) == 2, "both devices connected")
        result = CliRunner().invoke(app, ["tak", "certs", "revoke", "--dir", str(certs),
                                          "--name", "ATAK-LOST", "--reason", "lost"])
        assert result.exit_code == 0, result.output
        assert "ATAK-LOST: certificate" in result.output and "key_compromise" in result.output
        # The quiet connection is checked again within REVOCATION_CHECK_S and closed.
        lost_connection.settimeout(WAIT_S)
        _wait(lambda: gateway.server.counters.dropped_revoked == 1, "the drop")
        _wait(lambda: len(gateway.server.sessions) == 1, "one device left")
        assert [d.device for d in gateway.server.sessions.values()] == ["ATAK-KEPT"]
        assert _refused(_tls(gateway.port, certs, lost))
        counters = gateway.server.counters
        assert counters.refused_connections == 1
        assert "ATAK-LOST: certificate" in counters.last_refusal
        assert "revoked" in counters.last_refusal
        metrics = httpx.get(run.url + "/metrics", headers=run.key("RCMP-K", "monitor")).text
        assert "borderwatch_tak_dropped_revoked_total 1" in metrics
    finally:
        lost_connection.close()
        kept_connection.close()
