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
        ({"count": 5, "count_low": 0}, "count_low"),
        ({"count": 5, "count_low": 6}, "count_low"),
        ({"count": 5, "count_low": 4.0}, "count_low"),
        ({"count": 5, "count_low": True}, "count_low"),
        ({"count": 5, "count_low": "4"}, "count_low"),
        ({"count": 5, "count_high": 4}, "count_high"),
        ({"count": 5, "count_high": 10_001}, "count_high"),
        ({"count": 5, "count_high": 7.5}, "count_high"),
        ({"count": 5, "count_high": False}, "count_high"),
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
        "count_low": 8,
        "count_high": 12,
    }
    det = parse_detection(obj)
    assert (det.count_low, det.count_high) == (8, 12)
    assert parse_detection(detection_to_wire(det)) == det


def test_a_count_range_is_optional_and_may_be_given_at_either_end() -> None:
    assert parse_detection({**GOOD, "count": 5}).count_low is None
    assert "count_low" not in detection_to_wire(parse_detection(GOOD))
    only_high = parse_detection({**GOOD, "count": 5, "count_high": 7})
    assert (only_high.count_low, only_high.count_high) == (None, 7)
    exact = parse_detection({**GOOD, "count": 5, "count_low": 5, "count_high": 5})
    assert (exact.count_low, exact.count_high) == (5, 5)


def test_a_bad_count_range_is_refused_with_the_count_in_the_reason() -> None:
    with pytest.raises(InputError) as err:
        parse_detection({**GOOD, "count": 5, "count_low": 4, "count_high": 3})
    assert err.value.field == "count_high" and "count is 5" in err.value.reason


def test_unknown_fields_are_ignored_so_producers_can_extend() -> None:
    assert parse_detection({**GOOD, "camera_azimuth": 180}).sensor_id == "cam-1"


def test_ingest_stores_every_field_the_wire_format_writes() -> None:
    # Ingest stores an item's wire fields only (WIRE_FIELDS): a field missing there is
    # lost at the first restart, as the count range would have been.
    from borderwatch.app.http.ingest import WIRE_FIELDS

    det = parse_detection({**GOOD, "sigma_m": 3.0, "kind": "person", "count": 5,
                           "confidence": 0.9, "id": "d-1", "children": 1, "simulated": True,
                           "count_low": 4, "count_high": 7})
    assert set(detection_to_wire(det)) <= set(WIRE_FIELDS)
