"""The detection wire format and JSONL files, for any input: a Detection or an InputError."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.adapters.sources.detection_wire import detection_to_wire, parse_detection
from borderwatch.adapters.sources.jsonl import JsonlDetectionSource, read_jsonl
from borderwatch.domain import Detection, InputError
from tests.property.strategies import (
    JSON_VALUES,
    PROPERTY,
    SAFE_TIMES,
    mutated,
    parsed_or_refused,
)

VALID = {
    "time": "2025-02-03T13:00:00Z",
    "sensor_id": "cam-1",
    "lat": 48.99,
    "lon": -111.96,
    "sigma_m": 5.0,
    "kind": "person",
    "count": 3,
    "confidence": 0.8,
    "id": "d-1",
    "children": 1,
    "simulated": True,
    "count_low": 2,
    "count_high": 5,
}


def _check(det: Detection | None) -> None:
    """What parse_detection promises of what it accepts."""
    if det is None:
        return
    assert det.time.utcoffset() is not None and math.isclose(det.epoch_s, det.time.timestamp())
    assert -90 <= det.lat <= 90 and -180 <= det.lon <= 180
    assert 0 < det.sigma_m < math.inf
    assert type(det.count) is int and det.count >= 1
    assert det.confidence is None or 0 <= det.confidence <= 1
    assert det.children is None or 0 <= det.children <= det.count
    assert det.count_low is None or 1 <= det.count_low <= det.count
    assert det.count_high is None or det.count <= det.count_high <= 10_000
    assert isinstance(det.sensor_id, str) and det.sensor_id
    # What was accepted goes back on the wire and is accepted again.
    assert parse_detection(detection_to_wire(det)).kind is det.kind


@PROPERTY
@given(JSON_VALUES)
def test_any_json_value_is_a_detection_or_refused(obj: object) -> None:
    _check(parsed_or_refused(parse_detection, obj))


@PROPERTY
@given(mutated({**VALID, "time": "2025-02-03T13:00:00Z"}))
def test_a_mutated_detection_is_a_detection_or_refused(obj: object) -> None:
    _check(parsed_or_refused(parse_detection, obj))


@PROPERTY
@given(
    time=SAFE_TIMES,
    lat=st.floats(-90, 90, exclude_min=True, exclude_max=True),
    lon=st.floats(-180, 180),
)
def test_a_valid_detection_is_accepted(time: str, lat: float, lon: float) -> None:
    det = parse_detection({**VALID, "time": time, "lat": lat, "lon": lon})
    assert (det.lat, det.lon) == (lat, lon)


@PROPERTY
@given(
    st.binary(max_size=400)
    | st.lists(
        st.sampled_from(
            [
                orjson.dumps(VALID),
                b"{",
                b"[]",
                b"\xff\xfe",
                b"\x00",
                b"   ",
                b"[" * 2000,
                b"1e400",
                orjson.dumps({**VALID, "lat": "49"}),
            ]
        ),
        max_size=6,
    ).map(b"\n".join)
)
def test_a_jsonl_file_of_any_bytes_yields_detections_and_line_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.jsonl"
        path.write_bytes(data)
        source = JsonlDetectionSource(path)
        found = list(source)
        assert len(found) == source.report.accepted
        for det in found:
            _check(det)
        for err in source.report.errors:
            assert err.line is not None and err.source == str(path)
        try:
            list(read_jsonl(path))
        except InputError as err:
            assert err.line is not None


# Found by these tests and fixed by the admission work (detection_wire.py, domain/time.py):
# each was a traceback or a silent acceptance before; now a field-naming refusal.
@pytest.mark.parametrize("time", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_a_time_beyond_the_calendar_in_utc_is_refused(time: str) -> None:
    with pytest.raises(InputError) as err:
        parse_detection({**VALID, "time": time})
    assert err.value.field == "time"


@pytest.mark.parametrize(
    "time",
    ["2025-W06-1T13:00:00Z", "2025-02-03 13:00:00Z", "2025-02-03T13:00Z", "20250203T130000Z"],
)
def test_a_time_that_is_not_rfc_3339_is_refused(time: str) -> None:
    """RFC 3339 section 5.6: ``datetime.fromisoformat`` takes wider ISO 8601 forms."""
    with pytest.raises(InputError) as err:
        parse_detection({**VALID, "time": time})
    assert err.value.field == "time"
