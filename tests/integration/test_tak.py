"""TAK interoperability with a real client library: pytak connects to the served stream and
receives a track and an alert; alerts are pushed to a TAK server over TCP and over TLS with
client certificates (a throwaway CA made here). Everything on 127.0.0.1, ephemeral ports."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import warnings
from configparser import ConfigParser
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET
from tests.alert_helpers import T0, assert_valid_cot, requires_shared

from borderwatch.adapters.transports.tak import CotListener, CotStreamServer, TakServerTransport
from borderwatch.alerts import Message, SharingGate, SharingPolicy
from borderwatch.alerts.cot import TrackReport, alert_event, sensor_event, track_event
from borderwatch.alerts.gate import RecordingDisclosures
from borderwatch.alerts.trackfeed import CotTrackFeed
from borderwatch.domain import AgencyUnit, Alert, Audience

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pytak


def _track(at: dt.datetime = T0) -> bytes:
    return track_event(
        TrackReport("trk-000091", at, 48.99, -111.9004, 8.0, 2.0, 0.75, "person", 9, True)
    )


def _alert() -> bytes:
    alert = Alert(
        "ALR-20250203-0002-RCMP-K-IBET",
        "INC-20250203-0002",
        AgencyUnit("RCMP-K-IBET", "RCMP K Division IBET", "RCMP", "CA"),
        Audience.RESPONSIBLE,
        T0,
        {
            "type": "crossing",
            "lat": 49.0,
            "lon": -111.9004,
            "track_id": "trk-000091",
            "severity": "extreme",
        },
        True,
    )
    release = SharingGate(SharingPolicy.bundled(), RecordingDisclosures()).release(alert, "cot")
    return alert_event(release, headline="CROSSING northbound group of 9")


async def _pytak_receive(port: int, count: int) -> list[bytes]:
    parser = ConfigParser(interpolation=None)
    parser["client"] = {"COT_URL": f"tcp://127.0.0.1:{port}"}
    config = parser["client"]
    reader, writer = await pytak.protocol_factory(config)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    worker = pytak.RXWorker(queue, config, reader)
    received = []
    try:
        while len(received) < count:
            await asyncio.wait_for(worker.run_once(), 10)
            while not queue.empty():
                received.append(queue.get_nowait())
    finally:
        writer.close()
    return received


def test_pytak_client_receives_the_track_and_the_alert_from_the_served_stream() -> None:
    stream = CotStreamServer()
    port = stream.start()
    try:
        # Published before the client connects: replayed to it on connect (current picture).
        future_stale = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        stream.publish(_track(future_stale - dt.timedelta(seconds=30)))

        async def scenario() -> list[bytes]:
            receiving = asyncio.create_task(_pytak_receive(port, 2))
            while stream.clients == 0:
                await asyncio.sleep(0.01)
            # Published while connected: pushed live.
            stream.send(Message("k", "ALR-1", "cot", "served", "application/xml", _alert()))
            return await receiving

        events = [SafeET.fromstring(e) for e in asyncio.run(scenario())]
    finally:
        stream.close()
    assert [e.get("type") for e in events] == ["a-u-G", "b-a-g"]
    track, alert = events
    assert track.get("uid") == "borderwatch.trk-000091" and track.get("how") == "m-f"
    assert track.find("detail/track") is not None and track.get("opex") == "s"
    assert alert.find("detail/link").get("uid") == "borderwatch.trk-000091"  # type: ignore[union-attr]


def test_stale_events_are_not_replayed_to_new_clients() -> None:
    stream = CotStreamServer()
    port = stream.start()
    try:
        stream.publish(_track(T0))  # stale since 2025
        stream.publish(_alert().replace(b"2025-02-03T13:51", b"2999-02-03T13:51"))
        events = asyncio.run(_pytak_receive(port, 1))
    finally:
        stream.close()
    assert len(events) == 1 and b"b-a-g" in events[0]


def test_push_to_a_tak_server_over_tcp_keeps_one_connection() -> None:
    listener = CotListener()
    port = listener.start()
    transport = TakServerTransport(f"tcp://127.0.0.1:{port}")
    try:
        for n in range(3):
            transport.send(Message(f"k{n}", "A", "cot", "x", "application/xml", _track()))
        events = listener.wait_for(3)
    finally:
        transport.close()
        listener.close()
    assert len(events) == 3 and all(b'uid="borderwatch.trk-000091"' in e for e in events)


def test_a_down_tak_server_is_a_failed_try_not_a_crash() -> None:
    listener = CotListener()
    port = listener.start()
    listener.close()
    transport = TakServerTransport(f"tcp://127.0.0.1:{port}", timeout_s=3)
    from borderwatch.alerts import DeliveryError

    with pytest.raises(DeliveryError, match=f"tcp://127.0.0.1:{port}"):
        transport.send(Message("k", "A", "cot", "x", "application/xml", _track()))
    transport.close()


def _pki(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(
        subject: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name,
        issuer_key: ec.EllipticCurvePrivateKey,
        ca: bool,
        usage: list[x509.ObjectIdentifier],
        san: x509.GeneralName | None,
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if usage:
            builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
        if san is not None:
            builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    files: dict[str, Path] = {}

    def write(label: str, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> None:
        files[f"{label}_key"] = folder / f"{label}.key"
        files[f"{label}_cert"] = folder / f"{label}.pem"
        files[f"{label}_key"].write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        files[f"{label}_cert"].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("Test TAK CA", ca_key, name("Test TAK CA"), ca_key, True, [], None)
    write("ca", ca_key, ca)
    server_key = ec.generate_private_key(ec.SECP256R1())
    ip = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    server = cert(
        "127.0.0.1", server_key, ca.subject, ca_key, False, [ExtendedKeyUsageOID.SERVER_AUTH], ip
    )
    write("server", server_key, server)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = cert(
        "borderwatch-ops",
        client_key,
        ca.subject,
        ca_key,
        False,
        [ExtendedKeyUsageOID.CLIENT_AUTH],
        None,
    )
    write("client", client_key, client)
    return files


def test_push_to_a_tak_server_over_tls_with_a_client_certificate(tmp_path: Path) -> None:
    pki = _pki(tmp_path)
    listener = CotListener(
        certfile=pki["server_cert"], keyfile=pki["server_key"], ca_file=pki["ca_cert"]
    )
    port = listener.start()
    transport = TakServerTransport(
        f"tls://127.0.0.1:{port}",
        client_cert=pki["client_cert"],
        client_key=pki["client_key"],
        ca_file=pki["ca_cert"],
    )
    try:
        transport.send(Message("k", "A", "cot", "x", "application/xml", _alert()))
        events = listener.wait_for(1)
    finally:
        transport.close()
        listener.close()
    assert len(events) == 1 and b'type="b-a-g"' in events[0]
    subject = dict(x[0] for x in listener.peer_certificates[0]["subject"])
    assert subject["commonName"] == "borderwatch-ops"  # the server saw our certificate


def test_tls_without_a_trusted_client_certificate_is_refused(tmp_path: Path) -> None:
    pki = _pki(tmp_path)
    other = _pki(tmp_path / "other") if (tmp_path / "other").mkdir() is None else {}
    listener = CotListener(
        certfile=pki["server_cert"], keyfile=pki["server_key"], ca_file=pki["ca_cert"]
    )
    port = listener.start()
    transport = TakServerTransport(
        f"tls://127.0.0.1:{port}",
        client_cert=other["client_cert"],  # signed by another CA
        client_key=other["client_key"],
        ca_file=pki["ca_cert"],
        timeout_s=5,
    )
    from borderwatch.alerts import DeliveryError

    try:
        with pytest.raises(DeliveryError, match="closed the connection"):
            transport.send(Message("k", "A", "cot", "x", "application/xml", _alert()))
    finally:
        transport.close()
        listener.close()
    assert listener.events == []


@requires_shared
def test_track_sensor_and_alert_events_are_schema_valid(boundary: object) -> None:
    assert_valid_cot(_track())
    assert_valid_cot(_alert())
    assert_valid_cot(
        sensor_event(
            sensor_id="cam-coutts-e",
            time=T0,
            lat=49.001,
            lon=-111.93,
            azimuth_deg=119.97,
            fov_deg=60,
            range_m=2500,
            simulated=True,
            model="night-vision",
        )
    )
    # Course 359.97 must round into [0, 360), as the Track schema requires.
    assert_valid_cot(
        track_event(TrackReport("t", T0, 49.0, -111.9, 5.0, 359.97, 0.0, "animal", 1, False))
    )


def test_track_feed_publishes_confirmed_tracks_with_true_course(boundary: object) -> None:
    import numpy as np

    from borderwatch.geo import Boundary
    from borderwatch.tracking import TrackBatch

    line = boundary if isinstance(boundary, Boundary) else Boundary.bundled()
    east, north = line.frame.point_to_local(48.99, -111.9004)
    # Due north along the meridian in true terms: at 111.9 W the grid is rotated, so the
    # grid velocity that walks true north has an east component.
    n_lat, n_lon = 48.991, -111.9004
    e2, n2 = line.frame.point_to_local(n_lat, n_lon)
    ve, vn = (e2 - east) / 100.0, (n2 - north) / 100.0
    one = np.array([1])
    batch = TrackBatch(
        slot=one,
        serial=np.array([91]),
        epoch_s=np.array([T0.timestamp()]),
        east_m=np.array([east]),
        north_m=np.array([north]),
        velocity_east_ms=np.array([ve]),
        velocity_north_ms=np.array([vn]),
        position_sigma_m=np.array([8.0]),
        group_size=np.array([9]),
        group_size_sigma=np.array([0.5]),
        children=np.array([-1]),
        kind_code=np.array([0]),
        kind_probability=np.array([0.99]),
        confirmed=one,
        hits=np.array([10]),
        simulated=one,
    )
    published: list[bytes] = []
    feed = CotTrackFeed(line, published.append)
    feed(batch)
    feed(batch)  # same time: throttled
    assert len(published) == 1
    course = float(SafeET.fromstring(published[0]).find("detail/track").get("course"))  # type: ignore[union-attr, arg-type]
    assert min(course, 360 - course) < 0.5
