"""What travels on the bus between the processes of a cluster, and under which subject.

Detections: one message per segment per accepted batch, on the segment's code in the
detection stream (whose namespace the JetStream adapter puts in front: ``bw.det.hvm``;
live events go to ``bw.live.<type>``, another stream), so a batch
of a thousand costs one publish, not a thousand. A detection within a segment's margin
of a neighbour goes to both (geo/segments.py). Every detection has an id (the API gives
one to a detection that came without), by which it is stored once and tracked once per
segment. The body is ``{"received_at": epoch s, "detections": [...]}``; the message id is a hash
of the detections alone, so a client that sends the same request again (it timed out
before our answer) adds nothing inside the bus's de-duplication window.

A *tick* (``{"tick": true}``) is published by a segment's worker to its own subject when
the segment has been quiet for a while: every worker that replays the segment meets it
at the same place, so the buffers are released at the same points in a replay as they
were live (the ids of tracks, incidents and alerts depend on it).

Live events (tracks, incidents, alert changes, worker status): one JSON object per
message on ``<type>`` of the live stream, read by every API process for its dashboard.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson


def detection_subject(code: str) -> str:
    """The subject of a segment's detections on the detection bus: its code (``hvm``)."""
    return code


def encode_batch(code: str, items: Sequence[bytes], received_at: float) -> tuple[bytes, str]:
    """Wire objects (each already JSON) as one message body for segment ``code``, and its
    message id (the segment is in it: the stream de-duplicates across subjects, and the
    same batch goes to two segments where they overlap)."""
    detections = b"[" + b",".join(items) + b"]"
    msg_id = f"det-{code}-" + hashlib.blake2b(detections, digest_size=16).hexdigest()
    return b'{"received_at":%.6f,"detections":%b}' % (received_at, detections), msg_id


@dataclass(frozen=True)
class Batch:
    """A decoded detection message: its wire objects, or a tick (no detections)."""

    detections: list[dict[str, Any]]
    received_at: float = 0.0
    tick: bool = False


def decode_batch(data: bytes) -> Batch:
    """A message body as a :class:`Batch` (``ValueError`` names what is wrong with a body
    no API process of ours sent)."""
    body = orjson.loads(data)
    if not isinstance(body, dict):
        raise ValueError("a detection message must be a JSON object")
    if body.get("tick") is True:
        return Batch([], tick=True)
    items = body.get("detections")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("detections: must be a JSON array of objects")
    received = body.get("received_at", 0.0)
    return Batch(items, float(received) if isinstance(received, int | float) else 0.0)


TICK_BODY = b'{"tick":true}'


def tick_id(code: str, after_seq: int) -> str:
    """The message id of the tick after stream position ``after_seq``: two workers that
    both decide to tick there (one taking over) publish it once (JetStream de-dup)."""
    return f"tick:{code}:{after_seq}"
