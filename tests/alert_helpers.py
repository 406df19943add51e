"""Helpers for the alert tests: the official schemas (from ../shared, skipped with a reason
when absent), incidents, and a real HTTP webhook receiver on 127.0.0.1."""

from __future__ import annotations

import http.client
import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

from borderwatch.alerts.webhook import (
    DEDUP_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    verify_signature,
)
from borderwatch.domain import Direction, Incident, IncidentType, Kind
from borderwatch.watch.risk import RiskModel

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCHEMAS = SHARED / "schemas"

requires_shared = pytest.mark.skipif(
    not (SCHEMAS / "cot" / "cot-base-event.xsd").is_file()
    or not (SCHEMAS / "cap" / "cap-1.2.xsd").is_file(),
    reason=f"the official CoT/CAP schemas are not at {SCHEMAS} (the shared/ folder beside the "
    "repository; CI has it)",
)

_COT_WRAPPER = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:include schemaLocation="{cot}/cot-base-event.xsd"/>
  <xs:include schemaLocation="{cot}/cot-track.xsd"/>
  <xs:include schemaLocation="{cot}/cot-sensor.xsd"/>
  <xs:include schemaLocation="{cot}/cot-geofence.xsd"/>
  <xs:element name="__geofence" type="__geofence"/>
</xs:schema>
"""


@cache
def cot_schema(tmp: Path | None = None) -> Any:
    """Base-Event with the Track and Sensor detail schemas and the TAK ``__geofence`` type,
    so ``<detail>`` children (processContents="lax") are checked against them too. Only
    local files are read (``allow="local"``): nothing is fetched."""
    import tempfile

    import xmlschema

    folder = Path(tempfile.mkdtemp(prefix="cot-xsd-"))
    wrapper = folder / "cot-all.xsd"
    wrapper.write_text(_COT_WRAPPER.format(cot=(SCHEMAS / "cot").as_posix()), encoding="utf-8")
    return xmlschema.XMLSchema(str(wrapper), allow="local")


@cache
def cap_schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMAS / "cap" / "cap-1.2.xsd"), allow="local")


def assert_valid_cot(event: bytes) -> None:
    errors = list(cot_schema().iter_errors(event.decode("utf-8")))
    assert not errors, f"{errors[0]}\n{event.decode()}"


def assert_valid_cap(message: bytes) -> None:
    errors = list(cap_schema().iter_errors(message.decode("utf-8")))
    assert not errors, f"{errors[0]}\n{message.decode()}"


T0 = datetime(2025, 2, 3, 12, 51, 26, tzinfo=UTC)


def incident(
    kind: IncidentType = IncidentType.CROSSING,
    *,
    incident_id: str = "INC-20250203-0002",
    track_id: str = "trk-000091",
    direction: Direction = Direction.NORTHBOUND,
    at: datetime = T0,
    lon: float = -111.9004,
    segment: str = "AB-MT",
    children: int | None = 5,
    temperature_c: float | None = -27.0,
    simulated: bool = True,
) -> Incident:
    from borderwatch.watch import Conditions, FixedConditions

    model = RiskModel(FixedConditions(Conditions(temperature_c, True, 3.0)))
    risk = model.assess(
        lat=49.0, lon=lon, time=at, kind=Kind.PERSON, group_size=9, children=children
    )
    return Incident(
        incident_id=incident_id,
        type=kind,
        time=at,
        lat=49.0 if kind is IncidentType.CROSSING else 48.99,
        lon=lon,
        segment=segment,
        track_id=track_id,
        group_size=9,
        detected_at=at,
        risk=risk,
        direction=direction,
        kind=Kind.PERSON,
        children=children,
        simulated=simulated,
    )


@dataclass
class Received:
    body: bytes
    signature: str | None
    dedup_key: str | None
    valid: bool
    refused_because: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WebhookReceiver:
    """A real HTTP receiver on 127.0.0.1 (ephemeral port) that checks each signature and
    de-duplicates on the dedup key, as the interop reference asks receivers to."""

    secret: bytes
    fail_first: int = 0
    """Answer 500 to this many requests first (to exercise retries)."""
    delay_s: float = 0.0
    """A slow receiver: wait this long before answering each request."""
    clock: Callable[[], float] = time.time
    """The receiver's clock (epoch seconds), against which timestamps are checked."""
    received: list[Received] = field(default_factory=list)
    keys: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        receiver = self
        self._lock = threading.Condition()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                status = receiver.handle(body, self.headers)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def handle(self, body: bytes, headers: http.client.HTTPMessage) -> int:
        """Refuse (401) what :func:`verify_signature` refuses, at the receiver's clock."""
        with self._lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                return 500
            try:
                verify_signature(self.secret, headers, body, now=self.clock())
                valid, reason = True, ""
            except SignatureError as refused:
                valid, reason = False, str(refused)
            key = headers.get(DEDUP_HEADER)
            self.received.append(
                Received(body, headers.get(SIGNATURE_HEADER), key, valid, reason,
                         dict(headers.items())))
            if not valid:
                return 401
            if key is not None:
                self.keys[key] = self.keys.get(key, 0) + 1
            self._lock.notify_all()
            return 200

    def documents(self) -> list[dict[str, Any]]:
        with self._lock:
            return [orjson.loads(r.body) for r in self.received if r.valid]

    def wait_for_keys(self, count: int, timeout_s: float = 30.0) -> int:
        with self._lock:
            self._lock.wait_for(lambda: len(self.keys) >= count, timeout_s)
            return len(self.keys)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
