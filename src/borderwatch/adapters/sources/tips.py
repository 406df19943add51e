"""Inbound tips: a partner agency's report (CoT event, CAP message or JSON) becomes a
detection with the uncertainty the partner stated, so the tracker treats it as what it is
(a vague tip is a cue, never a track).

Inbound XML is parsed with ``defusedxml`` and never with the plain parser: a document with
a DTD, an entity declaration or an external reference (the "billion laughs" bomb, XXE) is
rejected with :class:`InputError` before any of it is expanded or fetched.

How each format states where and how sure:

* **CoT**: ``point`` ``lat``/``lon``; ``ce`` is the 1-sigma circular error in metres
  (CoT Base-Event schema). ``ce="9999999.0"`` means unknown, and a tip of unknown
  position is refused rather than given an invented one. ``opex`` ``s``/``e`` marks
  simulation/exercise.
* **CAP 1.2**: the first ``info``'s ``area``: a ``circle`` (``lat,lon radius_km``) or a
  ``polygon``. A ``parameter`` ``sigma_m`` states the error directly; otherwise the area is
  read as the 95 % region of a 2-D normal error, so sigma = radius / 2.45. Parameters
  ``kind``, ``count`` and ``confidence`` are read when present. ``status`` other than
  ``Actual`` marks the tip simulated.
* **JSON**: the detection wire format (docs/references.md), with ``sigma_m`` required.

Every format is held to the wire format's admission rules (docs/security/admission.md):
strict RFC 3339 times in 1970-2099, the error within [0.1 m, 50 km], ``count`` a whole
number within [1, 10 000], ``confidence`` within [0, 1], ids short and printable.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

import orjson
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from borderwatch.adapters.sources.detection_wire import parse_detection
from borderwatch.domain import Detection, InputError, Kind, check_lat_lon
from borderwatch.domain.detection import (
    EARLIEST_EPOCH_S,
    LATEST_EPOCH_S,
    MAX_COUNT,
    SIGMA_MAX_M,
    SIGMA_MIN_M,
    check_label,
)
from borderwatch.domain.time import parse_time
from borderwatch.geo.measure import great_circle_m

CAP_NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
UNKNOWN_CE = 9_999_999.0
R95_PER_SIGMA = math.sqrt(-2.0 * math.log(0.05))
"""Radius holding 95 % of a circular 2-D normal error, in sigmas (≈ 2.448)."""
_KINDS = {k.value: k for k in Kind}


def parse_tip(data: bytes | str, *, source: str = "tip") -> Detection:
    """One tip in any of the three formats (told apart by their first element)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    stripped = raw.lstrip()
    if not stripped:
        raise InputError(None, "empty tip", source=source)
    if stripped.startswith(b"{"):
        return parse_json_tip(raw, source=source)
    root = safe_xml(raw, source=source)
    if root.tag == "event":
        return _cot_tip(root, source)
    if root.tag == f"{CAP_NS}alert":
        return _cap_tip(root, source)
    raise InputError(
        None, f"not a CoT event or a CAP 1.2 alert (root element {root.tag!r})", source=source
    )


def safe_xml(raw: bytes, *, source: str) -> Element:
    """Parse untrusted XML: no DTD, no entities, no external references."""
    try:
        root: Element = SafeET.fromstring(
            raw, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as err:
        raise InputError(
            None,
            f"rejected unsafe XML ({type(err).__name__}: {err}); DTDs, entity declarations "
            "and external references are refused (XML bomb / external entity protection)",
            source=source,
        ) from None
    except SafeET.ParseError as err:
        raise InputError(None, f"not well-formed XML ({err})", source=source) from None
    return root


def parse_json_tip(raw: bytes, *, source: str = "tip") -> Detection:
    try:
        obj: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise InputError(None, f"not valid JSON ({err})", source=source) from None
    if isinstance(obj, dict) and "sigma_m" not in obj:
        raise InputError("sigma_m", "a tip must state its uncertainty (metres)", source=source)
    try:
        return parse_detection(obj)
    except InputError as err:
        raise err.at(source=source) from None


def _cot_tip(root: Element, source: str) -> Detection:
    def fail(field: str, reason: str) -> InputError:
        return InputError(field, reason, source=source)

    point = root.find("point")
    if point is None:
        raise fail("point", "is required")
    lat = _number(point.get("lat"), "point.lat", source)
    lon = _number(point.get("lon"), "point.lon", source)
    ce = _number(point.get("ce"), "point.ce", source)
    try:
        check_lat_lon(lat, lon)
    except InputError as err:
        raise err.at(source=source) from None
    if ce >= UNKNOWN_CE:
        raise fail("point.ce", "is 9999999 (unknown): a tip must state its uncertainty")
    _sigma(ce, "point.ce", source)
    uid = root.get("uid") or ""
    if not uid:
        raise fail("uid", "is required")
    _label("uid", uid, source)
    time = _time(root.get("time"), "time", source)
    event_type = root.get("type") or ""
    contact = root.find("detail/contact")
    caller = contact.get("callsign") if contact is not None else None
    if caller:
        _label("detail.contact.callsign", caller, source)
    return Detection(
        time=time,
        epoch_s=time.timestamp(),
        sensor_id=_label("uid" if not caller else "detail.contact.callsign",
                         f"tip:{caller or uid}", source),
        lat=lat,
        lon=lon,
        sigma_m=ce,
        # MIL-STD-2525 ground equipment / vehicle; anything else is not told by the type.
        kind=Kind.VEHICLE if "-G-E-V" in event_type else Kind.UNKNOWN,
        count=1,
        confidence=None,
        id=uid,
        simulated=(root.get("opex") or "o")[:1] in ("s", "e"),
    )


def _cap_tip(root: Element, source: str) -> Detection:
    def text(node: Element, tag: str, field: str, required: bool = True) -> str | None:
        found = node.find(f"{CAP_NS}{tag}")
        value = found.text.strip() if found is not None and found.text else None
        if required and not value:
            raise InputError(field, "is required", source=source)
        return value

    identifier = text(root, "identifier", "identifier")
    sender = text(root, "sender", "sender")
    status = text(root, "status", "status")
    msg_type = text(root, "msgType", "msgType")
    if msg_type not in ("Alert", "Update"):
        raise InputError("msgType", f"a {msg_type} is not a tip (Alert or Update)", source=source)
    if status == "System":
        raise InputError("status", "a System message is not a tip", source=source)
    info = root.find(f"{CAP_NS}info")
    if info is None:
        raise InputError("info", "is required for a tip (it holds the area)", source=source)
    parameters = {}
    for parameter in info.findall(f"{CAP_NS}parameter"):
        name = text(parameter, "valueName", "info.parameter.valueName")
        parameters[name] = text(parameter, "value", f"info.parameter[{name}].value") or ""
    area = info.find(f"{CAP_NS}area")
    if area is None:
        raise InputError("info.area", "is required for a tip", source=source)
    lat, lon, radius_m = _cap_area(area, source)
    sigma = (
        _number(parameters["sigma_m"], "info.parameter[sigma_m]", source)
        if "sigma_m" in parameters
        else radius_m / R95_PER_SIGMA
    )
    if not sigma > 0:
        raise InputError("info.area", "a tip must state a non-zero uncertainty", source=source)
    _sigma(sigma, "info.parameter[sigma_m]" if "sigma_m" in parameters else "info.area", source)
    onset = text(info, "onset", "info.onset", required=False)
    time = _time(onset or text(root, "sent", "sent"), "info.onset" if onset else "sent", source)
    kind_text = parameters.get("kind", "unknown")
    if kind_text not in _KINDS:
        raise InputError("info.parameter[kind]", f"unknown kind {kind_text!r}", source=source)
    count = _count(parameters.get("count", "1"), source)
    confidence = (
        _number(parameters["confidence"], "info.parameter[confidence]", source)
        if "confidence" in parameters
        else None
    )
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        raise InputError("info.parameter[confidence]",
                         f"must be a number in [0, 1], got {confidence:g}", source=source)
    tip_id = parameters.get("tip_id")
    det_id = _label("info.parameter[tip_id]" if tip_id else "identifier",
                    tip_id or identifier, source)
    return Detection(
        time=time,
        epoch_s=time.timestamp(),
        sensor_id=_label("sender", f"tip:{sender}", source),
        lat=lat,
        lon=lon,
        sigma_m=sigma,
        kind=_KINDS[kind_text],
        count=count,
        confidence=confidence,
        id=det_id,
        simulated=status != "Actual",
    )


def _cap_area(area: Element, source: str) -> tuple[float, float, float]:
    """(lat, lon, radius in metres) of the first circle, else of the first polygon (its
    vertex mean, and the farthest vertex from it)."""
    circle = area.find(f"{CAP_NS}circle")
    if circle is not None and circle.text:
        try:
            centre, radius = circle.text.split()
            lat_text, lon_text = centre.split(",")
        except ValueError:
            raise InputError(
                "info.area.circle",
                f"must be 'lat,lon radius_km', got {circle.text!r}",
                source=source,
            ) from None
        lat = _number(lat_text, "info.area.circle", source)
        lon = _number(lon_text, "info.area.circle", source)
        _check(lat, lon, "info.area.circle", source)
        return lat, lon, _number(radius, "info.area.circle", source) * 1000.0
    polygon = area.find(f"{CAP_NS}polygon")
    if polygon is not None and polygon.text:
        points = []
        for pair in polygon.text.split():
            try:
                lat_text, lon_text = pair.split(",")
            except ValueError:
                raise InputError(
                    "info.area.polygon", f"bad pair {pair!r} (want lat,lon)", source=source
                ) from None
            lat, lon = (
                _number(lat_text, "info.area.polygon", source),
                _number(lon_text, "info.area.polygon", source),
            )
            _check(lat, lon, "info.area.polygon", source)
            points.append((lat, lon))
        if len(points) >= 2 and points[0] == points[-1]:
            points = points[:-1]
        if len(points) < 3:
            raise InputError("info.area.polygon", "needs at least 3 points", source=source)
        mean_lat = sum(p[0] for p in points) / len(points)
        mean_lon = sum(p[1] for p in points) / len(points)
        farthest = max(great_circle_m(mean_lat, mean_lon, p[0], p[1]) for p in points)
        return mean_lat, mean_lon, farthest
    raise InputError("info.area", "needs a circle or a polygon", source=source)


def _check(lat: float, lon: float, field: str, source: str) -> None:
    try:
        check_lat_lon(lat, lon)
    except InputError as err:
        raise InputError(field, err.reason, source=source) from None


def _number(value: str | None, field: str, source: str) -> float:
    if value is None:
        raise InputError(field, "is required", source=source)
    try:
        number = float(value)
    except ValueError:
        raise InputError(field, f"must be a number, got {value!r}", source=source) from None
    if not math.isfinite(number):
        raise InputError(field, f"must be finite, got {value!r}", source=source)
    return number


def _time(value: str | None, field: str, source: str) -> datetime:
    if value is None:
        raise InputError(field, "is required", source=source)
    try:
        time = parse_time(value, field)
    except InputError as err:
        raise err.at(source=source) from None
    if not EARLIEST_EPOCH_S <= time.timestamp() < LATEST_EPOCH_S:
        raise InputError(field, f"must be within the years 1970-2099 (UTC), got {value!r}",
                         source=source)
    return time


def _sigma(sigma_m: float, field: str, source: str) -> None:
    if not SIGMA_MIN_M <= sigma_m <= SIGMA_MAX_M:
        raise InputError(field, f"the position error must be within [{SIGMA_MIN_M:g}, "
                         f"{SIGMA_MAX_M:g}] metres, got {sigma_m:g}", source=source)


def _count(value: str, source: str) -> int:
    """A whole number of objects (CAP parameter text): "12", never "1e30", "-3" or "2.5"."""
    field = "info.parameter[count]"
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise InputError(field, f"must be a whole number in [1, {MAX_COUNT}], got "
                         f"{value[:40]!r}", source=source)
    count = int(text)
    if not 1 <= count <= MAX_COUNT:
        raise InputError(field, f"must be a whole number in [1, {MAX_COUNT}], got {count}",
                         source=source)
    return count


def _label(field: str, value: object, source: str) -> str:
    try:
        return check_label(field, value)
    except InputError as err:
        raise err.at(source=source) from None
