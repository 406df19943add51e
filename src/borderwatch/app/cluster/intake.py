"""The API process's side of a cluster: accepted detections go to the bus, one message
per segment per request, and the request is answered once the bus has stored them all
(JetStream acknowledged: a 2xx means durable, docs/deployment.md).

Each detection goes to the segment that owns its place and to any neighbour whose margin
reaches it (geo/segments.py), so both trackers see a group that walks along the line. A
detection that came without an id is given one here (``api-`` and a random UUID): it is
stored once and tracked once per segment like any other, but a client that sends it
again gets it counted twice, as with the embedded service (an id is what makes a
retry safe)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import orjson

from borderwatch.app.cluster.wire import detection_subject, encode_batch
from borderwatch.domain import Detection
from borderwatch.geo.segments import Segments
from borderwatch.ports.bus import Bus, PublishAck


class BatchPublisher(Protocol):
    """A bus that can publish many messages and wait for all their acks at once
    (adapters/nats/bus.py ``JetStreamBus.publish_many``)."""

    def publish_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[PublishAck]:
        ...


class OneByOne:
    """:class:`BatchPublisher` over any bus of the port (an in-process one in tests)."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def publish_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[PublishAck]:
        return [self.bus.publish(subject, data, msg_id=msg_id)
                for subject, data, msg_id in items]


class BusIntake:
    """Publishes a request's accepted detections by segment (see the module docstring)."""

    def __init__(self, bus: BatchPublisher, segments: Segments) -> None:
        self.bus = bus
        self.segments = segments
        self.published = 0
        self.messages = 0

    def accept(self, stored: Sequence[tuple[str | None, bytes | dict[str, Any]]],
               detections: Sequence[Detection]) -> list[bool]:
        """Publish; for each detection, True (duplicates are dropped by the segments'
        workers, which are the ones that can tell: the API answers without a lookup)."""
        if not detections:
            return []
        items = [_with_id(i, w) for i, w in stored]
        lats = np.fromiter((d.lat for d in detections), float, len(detections))
        lons = np.fromiter((d.lon for d in detections), float, len(detections))
        covering = self.segments.covering_mask(lats, lons)
        now = time.time()
        out: list[tuple[str, bytes, str | None]] = []
        for column, code in enumerate(self.segments.codes):
            rows = np.flatnonzero(covering[:, column])
            if rows.size:
                body, msg_id = encode_batch(code, [items[r] for r in rows.tolist()], now)
                out.append((detection_subject(code), body, msg_id))
        self.bus.publish_many(out)
        self.published += len(detections)
        self.messages += len(out)
        return [True] * len(detections)


def _with_id(det_id: str | None, wire: bytes | dict[str, Any]) -> bytes:
    if det_id is not None:
        return wire if isinstance(wire, bytes) else orjson.dumps(wire)
    obj = orjson.loads(wire) if isinstance(wire, bytes) else dict(wire)
    obj["id"] = f"api-{uuid.uuid4().hex}"
    return orjson.dumps(obj)
