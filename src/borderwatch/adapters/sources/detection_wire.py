"""The detection wire format (docs/references.md): one JSON object per line. Parse and write.

Parsing validates every field and names it in the error; it never defaults a position.
Every number must lie in its physical range and ids must be short and printable
(domain/detection.py; docs/security/admission.md). Unknown fields are ignored (a
producer may add its own), so the format can grow.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from borderwatch.domain import DEFAULT_SIGMA_M, Detection, InputError, Kind, check_lat_lon
from borderwatch.domain.detection import (
    EARLIEST_EPOCH_S,
    LATEST_EPOCH_S,
    MAX_COUNT,
    MAX_ID_CHARS,
    SIGMA_MAX_M,
    SIGMA_MIN_M,
    check_label,
)
from borderwatch.domain.time import check_live_time, format_time, parse_time

_KINDS = {k.value: k for k in Kind}

_TIME_CACHE: dict[str, tuple[datetime, float]] = {}
_TIME_CACHE_LIMIT = 65_536


def _cached_time(value: object) -> tuple[datetime, float]:
    """parse_time with a small cache: a scan's reports share their time stamp."""
    if type(value) is str:
        hit = _TIME_CACHE.get(value)
        if hit is not None:
            return hit
    parsed = parse_time(value)
    result = (parsed, parsed.timestamp())
    if len(_TIME_CACHE) >= _TIME_CACHE_LIMIT:
        _TIME_CACHE.clear()
    _TIME_CACHE[value] = result  # type: ignore[index]  # value is a str: parse_time checked
    return result


def parse_detection(obj: Any, *, default_sigma_m: float | None = None) -> Detection:
    """Validate one wire object. ``default_sigma_m`` comes from the sensor registry."""
    if not isinstance(obj, dict):
        raise InputError(None, f"a detection must be a JSON object, got {type(obj).__name__}")
    if "time" not in obj:
        raise InputError("time", "is required")
    time, epoch_s = _cached_time(obj["time"])
    if not EARLIEST_EPOCH_S <= epoch_s < LATEST_EPOCH_S:
        raise InputError("time", "must be within the years 1970-2099 (UTC), got "
                         f"{format_time(time)}")
    # Each check tests the common valid case first, with exact type tests (bool is not a
    # number here), and falls back to the thorough check that names the problem.
    sensor_id = obj.get("sensor_id")
    if not (type(sensor_id) is str and 0 < len(sensor_id) <= MAX_ID_CHARS
            and sensor_id.isprintable()):
        if sensor_id is None or sensor_id == "":
            raise InputError("sensor_id", "is required (a non-empty string)")
        check_label("sensor_id", sensor_id)
    lat = obj.get("lat")
    lon = obj.get("lon")
    if not (
        (type(lat) is float or type(lat) is int)
        and (type(lon) is float or type(lon) is int)
        and -90.0 < lat < 90.0
        and -180.0 <= lon <= 180.0
    ):
        if "lat" not in obj:
            raise InputError("lat", "is required")
        if "lon" not in obj:
            raise InputError("lon", "is required")
        lat, lon = check_lat_lon(lat, lon)
        if abs(lat) == 90.0:  # both poles alike (the south one was refused, the north not)
            raise InputError("lat", f"is a pole ({lat:g}): longitude is undefined there and "
                             "no map frame places it")
    sigma = obj.get("sigma_m")
    if sigma is None:
        sigma = default_sigma_m if default_sigma_m is not None else DEFAULT_SIGMA_M
    elif not ((type(sigma) is float or type(sigma) is int)
              and SIGMA_MIN_M <= sigma <= SIGMA_MAX_M):
        raise InputError("sigma_m", f"must be a number of metres in [{SIGMA_MIN_M:g}, "
                         f"{SIGMA_MAX_M:g}], got {sigma!r}")
    kind_value = obj.get("kind", "unknown")
    kind = _KINDS.get(kind_value) if type(kind_value) is str else None
    if kind is None:
        raise InputError("kind", f"must be one of {', '.join(_KINDS)}, got {kind_value!r}")
    count = obj.get("count", 1)
    if type(count) is not int or not 1 <= count <= MAX_COUNT:
        raise InputError("count", f"must be an integer >= 1 and <= {MAX_COUNT}, got {count!r}")
    confidence = obj.get("confidence")
    if confidence is not None and not (
        (type(confidence) is float or type(confidence) is int) and 0.0 <= confidence <= 1.0
    ):
        raise InputError("confidence", f"must be a number in [0, 1], got {confidence!r}")
    det_id = obj.get("id")
    if det_id is not None and not (type(det_id) is str and 0 < len(det_id) <= MAX_ID_CHARS
                                   and det_id.isprintable()):
        check_label("id", det_id)
    children = obj.get("children")
    if children is not None and not (type(children) is int and 0 <= children <= count):
        raise InputError("children", f"must be an integer in [0, count], got {children!r}")
    simulated = obj.get("simulated", False)
    if type(simulated) is not bool:
        raise InputError("simulated", f"must be true or false, got {simulated!r}")
    det = Detection(
        time=time,
        epoch_s=epoch_s,
        sensor_id=sensor_id,
        lat=float(lat),
        lon=float(lon),
        sigma_m=float(sigma),
        kind=kind,
        count=count,
        confidence=None if confidence is None else float(confidence),
        id=det_id,
        children=children,
        simulated=simulated,
    )
    # The count's range is rare: a report without one is built without passing it (each
    # keyword costs a million times per replay; docs/performance.md).
    count_low = obj.get("count_low")
    count_high = obj.get("count_high")
    if count_low is None and count_high is None:
        return det
    if count_low is not None and not (type(count_low) is int and 1 <= count_low <= count):
        raise InputError("count_low", f"must be an integer in [1, count] (count is {count}), "
                         f"got {count_low!r}")
    if count_high is not None and not (type(count_high) is int
                                       and count <= count_high <= MAX_COUNT):
        raise InputError("count_high", f"must be an integer in [count, {MAX_COUNT}] (count is "
                         f"{count}), got {count_high!r}")
    return det._replace(count_low=count_low, count_high=count_high)


def detection_to_wire(det: Detection) -> dict[str, Any]:
    """The wire object for a detection (optional fields only when set)."""
    out: dict[str, Any] = {
        "time": format_time(det.time),
        "sensor_id": det.sensor_id,
        "lat": round(det.lat, 7),
        "lon": round(det.lon, 7),
        "sigma_m": round(det.sigma_m, 2),
        "kind": det.kind.value,
        "count": det.count,
    }
    if det.confidence is not None:
        out["confidence"] = round(det.confidence, 3)
    if det.id is not None:
        out["id"] = det.id
    if det.children is not None:
        out["children"] = det.children
    if det.simulated:
        out["simulated"] = True
    if det.count_low is not None:
        out["count_low"] = det.count_low
    if det.count_high is not None:
        out["count_high"] = det.count_high
    return out


def parse_stored(objs: Iterable[Any], *, now_s: float, max_ahead_s: float
                 ) -> tuple[list[Detection], list[InputError]]:
    """Stored wire objects replayed into the tracker after a restart, and the errors of
    those skipped: anything this version's :func:`parse_detection` refuses (an older
    version stored it), and anything dated more than ``max_ahead_s`` after ``now_s``.

    Everything stored arrived before now, so a report ahead of now by more than the skew
    was as far ahead when it came: live ingest refuses it today, and replaying it first
    would count every later report late again after each restart."""
    detections: list[Detection] = []
    errors: list[InputError] = []
    limit = now_s + max_ahead_s
    for obj in objs:
        try:
            det = parse_detection(obj)
            if det.epoch_s > limit:
                check_live_time(det.epoch_s, now_s, max_ahead_s=max_ahead_s)
        except InputError as err:
            errors.append(err)
            continue
        detections.append(det)
    return detections, errors
