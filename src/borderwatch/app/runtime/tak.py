"""The service's TAK stream (`serve --tak-port`): the live picture out to each connected
device in *its* agency's view, and what devices send back in.

Out: a session reads the live feed's hub like a feed connection and sends each event
through the device's principal's view (views.Viewer: the sharing policy and its
disclosure log, channel ``tak``), as CoT (alerts/cot_feed.py). A device first receives
the current picture (tracks and the last incidents), and again after it fell behind.

In (adapters/tak/inbound.py): a position report goes to the responder sink (in `serve`,
the live feed as a ``responder`` event); a sighting goes through ``ingest_batch``, the
path of ``POST /v1/detections``, as sensor ``tak.<device>`` (the certificate's CN, so a
device reports only as itself). The device authenticated with a certificate of this
deployment's CA; it is not held to the API keys' sensor registry.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson

from borderwatch.adapters.tak.identity import DeviceIdentity
from borderwatch.adapters.tak.inbound import Sighting, interpret
from borderwatch.adapters.tak.revocation import Revocations
from borderwatch.adapters.tak.stream import TakStreamServer, listen, server_context
from borderwatch.alerts.cot_feed import feed_event_cot, incident_cot, track_cot
from borderwatch.alerts.gate import collected_disclosures, disclosure_of_event
from borderwatch.app.http.feed import tracks_from_message
from borderwatch.app.http.ingest import ingest_batch
from borderwatch.app.runtime.config import TakStreamSettings
from borderwatch.app.runtime.service import Service
from borderwatch.domain import InputError
from borderwatch.domain.responder import ResponderPosition
from borderwatch.domain.time import format_time
from borderwatch.ports.responders import ResponderSink

PICTURE_INCIDENTS = 50
"""Incidents a device is sent on connecting (the latest; older ones are stale on a map)."""


class FeedResponders:
    """A responder sink that puts each report on the live feed (``responder`` events,
    shown to the deployment's agency only: views.Viewer.event)."""

    def __init__(self, publish: Callable[[dict[str, Any]], None]) -> None:
        self.publish = publish

    def report(self, position: ResponderPosition) -> None:
        self.publish({"type": "responder", "responder": responder_json(position),
                      "simulated": False})


def responder_json(position: ResponderPosition) -> dict[str, Any]:
    return {"uid": position.uid, "callsign": position.callsign, "agency": position.agency,
            "lat": position.position.lat, "lon": position.position.lon,
            "time": format_time(position.time), "source": position.source,
            "speed_ms": position.speed_mps, "course_deg": position.course_deg}


class TakGateway:
    """The stream server and its sessions, on the service's event loop."""

    def __init__(self, service: Service, settings: TakStreamSettings,
                 responders: ResponderSink) -> None:
        settings.check()
        context = None if settings.plain else server_context(settings.cert_dir or Path())
        revocations = None if settings.plain else Revocations.at(settings.cert_dir or Path())
        self.service = service
        self.responders = responders
        self.server = TakStreamServer(
            listen(settings.host, settings.port), self._open, ssl_context=context,
            plain_identity=DeviceIdentity("loopback", service.config.agency, "field"),
            revocations=revocations)
        self.port = self.server.port
        self._starting: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Called on the event loop once the service runs (Service.starters)."""
        self._starting = asyncio.get_running_loop().create_task(self.server.start())

    def close(self) -> None:
        self.server.close()

    def _open(self, device: DeviceIdentity) -> _Session:
        return _Session(self, device)


class _Session:
    def __init__(self, gateway: TakGateway, device: DeviceIdentity) -> None:
        self.gateway = gateway
        self.service = gateway.service
        self.device = device
        self.who = device.principal
        self.restricted = self.service.viewer.restricted(self.who)
        self.reader = self.service.hub.subscribe()

    async def outbound(self) -> AsyncIterator[bytes]:
        for data in await self._released(self._picture, "picture"):
            yield data
        while True:
            delivery = await self.reader.get()
            event = delivery.event
            if event["type"] == "resync":
                made = await self._released(self._picture, "picture")
            else:
                made = await self._released(functools.partial(self._view, event),
                                            str(event["type"]))
            for data in made:
                yield data

    async def received(self, root: ET.Element) -> None:
        made = interpret(root, self.device)
        if isinstance(made, ResponderPosition):
            self.gateway.responders.report(made)
        elif isinstance(made, Sighting):
            status, answer, _ = await asyncio.to_thread(
                ingest_batch, self.service, orjson.dumps([made.wire]), None)
            if status != 200 or answer.get("errors"):
                first = (answer.get("errors") or [{}])[0]
                raise InputError(first.get("field") or "sighting",
                                 str(first.get("reason") or answer.get("detail") or status))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.service.hub.unsubscribe(self.reader)

    async def _released(self, make: Callable[[], list[bytes]], kind: str) -> list[bytes]:
        """What ``make`` makes, off the event loop; outside the deployment's agency its
        disclosures are written first (and nothing is sent if they cannot be)."""
        if not self.restricted:
            return await asyncio.to_thread(make)

        def collect() -> tuple[list[bytes], list[dict[str, Any]]]:
            with collected_disclosures() as entries:
                made = make()
            return made, disclosure_of_event(entries, event=kind, channel="tak")

        made, entries = await asyncio.to_thread(collect)
        if entries:
            written = self.service.feed_disclosures.offer(
                [{**e, "key_id": self.who.key_id} for e in entries])
            if written is None:  # the log is behind: send nothing undisclosed
                return []
            await asyncio.wrap_future(written)
        return made

    def _view(self, event: dict[str, Any]) -> list[bytes]:
        if event["type"] == "tracks" and "message" in event:
            event = tracks_from_message(event["message"])
        seen = self.service.viewer.event(self.who, event)
        return [] if seen is None else feed_event_cot(seen)

    def _picture(self) -> list[bytes]:
        live, viewer = self.service.live, self.service.viewer
        made: list[bytes | None] = []
        tracks = [{k: v for k, v in t.items() if k != "trail"} for t in live.snapshot_tracks()]
        if tracks:
            made += [track_cot(f["properties"]) for f in viewer.track_features(self.who, tracks)]
        for incident in live.snapshot_incidents()[-PICTURE_INCIDENTS:]:
            feature = viewer.incident_feature(self.who, incident)
            made.append(incident_cot(feature["properties"],
                                     simulated=bool(incident.get("simulated", False))))
        return [m for m in made if m is not None]
