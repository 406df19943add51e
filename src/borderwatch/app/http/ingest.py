"""``POST /v1/detections``: a batch in the detection wire format (docs/references.md).

Each item is validated on its own: a bad item is reported (index, field, reason) and the
valid ones are kept; a batch of which nothing could be taken is answered 422. A live item
must be dated within the service's skew of its clock, and the body is limited while it is
read (docs/security/admission.md). Accepted items are committed to SQLite before the
answer (a 2xx means stored); an ``id`` already stored is reported as a duplicate and
ignored. When the live pipeline is too far behind, the whole batch is refused with 429
and ``Retry-After`` before anything is stored, so the client can simply send the same
batch again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from borderwatch.adapters.sources.detection_wire import parse_detection
from borderwatch.app.http.sensors import refuse_undeclared
from borderwatch.app.runtime.service import IntakeUnavailable
from borderwatch.domain import Detection, InputError
from borderwatch.domain.access import Principal
from borderwatch.domain.detection import MAX_ID_CHARS
from borderwatch.domain.time import check_live_time

if TYPE_CHECKING:
    from starlette.requests import Request

    from borderwatch.app.runtime.service import Service

RETRY_AFTER_S = 1
WIRE_FIELDS = ("time", "sensor_id", "lat", "lon", "sigma_m", "kind", "count", "confidence",
               "id", "children", "simulated", "count_low", "count_high")
"""The fields of the detection wire format; anything else in an item is not stored."""
_WIRE_SET = frozenset(WIRE_FIELDS)


class BodyTooLarge(Exception):
    """The request body is longer than the service takes (answered 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than this service takes ({limit} bytes); "
                         "send fewer detections per request")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read chunk by chunk and given up on as soon as it passes
    ``limit`` bytes (or when its declared length already does), so one client cannot make
    the server hold more than ``limit`` bytes of its request."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def ingest_batch(service: Service, body: bytes, who: Principal | None = None,
                 now_s: float | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status code, JSON answer and headers for one ingest request by ``who`` (None: a
    producer inside the service, not held to the sensor registry); ``now_s`` is the
    service's clock (the wall clock unless a test gives one)."""
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        return 400, {"detail": f"the body is not JSON: {err}"}, {}
    if isinstance(items, dict) and isinstance(items.get("detections"), list):
        items = items["detections"]
    if not isinstance(items, list):
        return 422, {"detail": "the body must be a JSON array of detections"}, {}
    limit = service.config.max_batch
    if len(items) > limit:
        return 413, {"detail": f"at most {limit} detections per request, got {len(items)}"}, {}
    live = service.live
    counters = live.counters
    errors: list[dict[str, Any]] = []
    valid: list[tuple[int, Detection]] = []
    stored: list[tuple[str | None, bytes]] = []
    dumps = orjson.dumps
    config = service.config
    now = time.time() if now_s is None else now_s
    latest = now + config.max_skew_s
    earliest = -float("inf") if config.max_age_s is None else now - config.max_age_s
    for index, item in enumerate(items):
        try:
            det = parse_detection(item)
            if not earliest <= det.epoch_s <= latest:
                check_live_time(det.epoch_s, now, max_ahead_s=config.max_skew_s,
                                max_behind_s=config.max_age_s)
        except InputError as err:
            errors.append({"index": index, "field": err.field, "reason": err.reason})
            continue
        valid.append((index, det))
        # Stored as sent (its wire fields only): it parses again to the same detection
        # after a restart, and re-formatting every item cost as much as validating it.
        if item.keys() <= _WIRE_SET:
            stored.append((det.id, dumps(item)))
        else:
            stored.append((det.id, dumps({k: item[k] for k in WIRE_FIELDS if k in item})))
    if valid:
        valid, stored = _placeable(service, valid, stored, errors)
    if valid:  # declared sensors only, and within the key's limit (sensors.py)
        valid, stored = refuse_undeclared(service, who, valid, stored, errors)
    if live.stopped is not None:
        counters.throttled += 1
        return (503, {"detail": f"nothing from this request was stored: {live.stopped}"},
                {"Retry-After": str(RETRY_AFTER_S)})
    if not live.has_room(len(valid)):
        counters.throttled += 1
        return (
            429,
            {"detail": "the service is catching up; nothing from this request was stored. "
                       f"Send it again after {RETRY_AFTER_S} s.", "pending": live.pending},
            {"Retry-After": str(RETRY_AFTER_S)},
        )
    # A tracker that stops between the check and the hand-over is restarted from the
    # log, which then holds this batch (worker.ProcessTracker.submit).
    try:
        fresh = service.accept(stored, [det for _, det in valid])
    except IntakeUnavailable as err:
        counters.throttled += 1
        return (503, {"detail": "the bus did not acknowledge this request; send it again "
                                f"(repeated ids are stored once): {err}"},
                {"Retry-After": str(RETRY_AFTER_S)})
    service.refused(_refused_sensors(items, errors))
    accepted = [det for (_, det), new in zip(valid, fresh, strict=True) if new]
    duplicates = [index for (index, _), new in zip(valid, fresh, strict=True) if not new]
    counters.accepted += len(accepted)
    counters.rejected += len(errors)
    counters.duplicates += len(duplicates)
    answer: dict[str, Any] = {
        "accepted": len(accepted),
        "duplicates": duplicates,
        "errors": errors,
        "simulated": any(det.simulated for det in accepted),
    }
    if errors and not valid:  # nothing taken: a 4xx, so a one-item sender sees the refusal
        first = errors[0]
        where = f"field {first['field']}: " if first["field"] else ""
        answer["detail"] = (f"no detection was accepted; item {first['index']}: {where}"
                            f"{first['reason']}")
        return 422, answer, {}
    return 200, answer, {}


def _refused_sensors(items: list[Any], errors: list[dict[str, Any]]) -> list[str]:
    """The sensor each refused item names, where it names one (for the health panel)."""
    out = []
    for error in errors:
        item = items[error["index"]]
        sensor_id = item.get("sensor_id") if isinstance(item, dict) else None
        if (type(sensor_id) is str and 0 < len(sensor_id) <= MAX_ID_CHARS
                and sensor_id.isprintable()):  # as the wire format takes an id
            out.append(sensor_id)
    return out


def _placeable(
    service: Service,
    valid: list[tuple[int, Detection]],
    stored: list[tuple[str | None, bytes]],
    errors: list[dict[str, Any]],
) -> tuple[list[tuple[int, Detection]], list[tuple[str | None, bytes]]]:
    """Refuse, with a per-item error, what the deployment's map frame cannot place: its
    Lambert conic sends the far pole to infinity (found by the API fuzzer; the tracker
    would drop it unseen). One projection call for the batch."""
    east, north = service.boundary.frame.to_local(
        np.fromiter((d.lat for _, d in valid), float, len(valid)),
        np.fromiter((d.lon for _, d in valid), float, len(valid)),
    )
    placed = np.isfinite(east) & np.isfinite(north)
    if placed.all():
        return valid, stored
    for n in np.flatnonzero(~placed).tolist():
        errors.append({"index": valid[n][0], "field": "lat",
                       "reason": "cannot be placed on this deployment's map frame"})
    errors.sort(key=lambda e: e["index"])
    keep = np.flatnonzero(placed).tolist()
    return [valid[n] for n in keep], [stored[n] for n in keep]
