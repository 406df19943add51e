"""The detection wire format: every bad field is named; optional fields default."""

from __future__ import annotations

from typing import Any

import pytest

from borderwatch.adapters.sources.detection_wire import detection_to_wire, parse_detection
from borderwatch.domain import DEFAULT_SIGMA_M, InputError, Kind

GOOD: dict[str, Any] = {
    "time": "2025-02-03T06:16:00-07:00",
    "sensor_id": "cam-1",
    "lat": 49.001,
    "lon": -111.9,
}


def test_minimal_detection_gets_documented_defaults() -> None:
    det = parse_detection(GOOD)
    assert det.time.isoformat() == "2025-02-03T13:16:00+00:00"
    assert det.sigma_m == DEFAULT_SIGMA_M
    assert det.kind is Kind.UNKNOWN
    assert det.count == 1
    assert det.confidence is None and det.id is None and det.simulated is False


def test_sensor_registry_sigma_is_the_fallback() -> None:
    assert parse_detection(GOOD, default_sigma_m=7.0).sigma_m == 7.0
    assert parse_detection({**GOOD, "sigma_m": 3}, default_sigma_m=7.0).sigma_m == 3.0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time": "yesterday"}, "time"),
        ({"time": "2025-02-03T06:16:00"}, "time"),
        ({"lat": None}, "lat"),
        ({"lat": 91}, "lat"),
        ({"lon": "-111.9"}, "lon"),
        ({"lon": float("nan")}, "lon"),
        ({"sigma_m": 0}, "sigma_m"),
        ({"sigma_m": -3}, "sigma_m"),
        ({"kind": "horse"}, "kind"),
        ({"count": 0}, "count"),
        ({"count": 2.5}, "count"),
        ({"count": True}, "count"),
        ({"confidence": 1.5}, "confidence"),
        ({"id": 17}, "id"),
        ({"sensor_id": ""}, "sensor_id"),
        ({"children": 3}, "children"),
        ({"simulated": "yes"}, "simulated"),
    ],
)
def test_bad_fields_are_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        parse_detection({**GOOD, **change})
    assert err.value.field == field


@pytest.mark.parametrize("missing", ["time", "sensor_id", "lat", "lon"])
def test_required_fields(missing: str) -> None:
    obj = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(InputError) as err:
        parse_detection(obj)
    assert err.value.field == missing


def test_round_trip() -> None:
    obj = {
        **GOOD,
        "sigma_m": 12.5,
        "kind": "person",
        "count": 9,
        "children": 5,
        "confidence": 0.8,
        "id": "x-1",
        "simulated": True,
    }
    det = parse_detection(obj)
    assert parse_detection(detection_to_wire(det)) == det


def test_unknown_fields_are_ignored_so_producers_can_extend() -> None:
    assert parse_detection({**GOOD, "camera_azimuth": 180}).sensor_id == "cam-1"
