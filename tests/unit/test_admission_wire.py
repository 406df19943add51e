"""Admission at the edge, the parsing half (issue 17): strict RFC 3339, every number in a
physical range, short printable ids, and the live clock window; each refusal names the
field and the reason, and nothing raises anything but InputError."""

from __future__ import annotations

from typing import Any

import pytest

from borderwatch.adapters.sources.detection_wire import parse_detection, parse_stored
from borderwatch.domain import InputError
from borderwatch.domain.detection import MAX_COUNT, MAX_ID_CHARS, SIGMA_MAX_M, SIGMA_MIN_M
from borderwatch.domain.time import check_live_time, parse_time

GOOD: dict[str, Any] = {
    "time": "2025-02-03T06:16:00-07:00",
    "sensor_id": "cam-1",
    "lat": 49.001,
    "lon": -111.9,
}


def refused(change: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_detection({**GOOD, **change})
    return caught.value


# -- time: strict RFC 3339 and no overflow ----------------------------------------------


@pytest.mark.parametrize("text", [
    "2025-W06-1T06:16:00Z",        # ISO 8601 week date
    "2025-034T06:16:00Z",          # ordinal date
    "20250203T061600Z",            # basic format
    "2025-02-03 06:16:00Z",        # space instead of T
    "2025-02-03T06:16Z",           # no seconds
    "2025-02-03T06:16:00,5Z",      # comma fraction
    "2025-02-03T06:16:00+0700",    # offset without a colon
    "2025-02-03T06:16:00+24:00",   # offset out of range
    "2025-02-30T06:16:00Z",        # no such day
    "2025-02-03T24:00:00Z",        # no such hour
    "2016-12-31T23:59:60Z",        # leap second: not representable
    "２０２５-02-03T06:16:00Z",     # non-ASCII digits
    "2025-02-03T06:16:00Z" + " " * 100,
])
def test_only_rfc_3339_date_times_are_times(text: str) -> None:
    err = refused({"time": text})
    assert err.field == "time"
    assert len(err.reason) < 200


@pytest.mark.parametrize("text", [
    "9999-12-31T23:59:59-01:00",   # year 10000 in UTC: was an OverflowError (a 500)
    "0001-01-01T00:00:00+01:00",   # year 0 in UTC: the same
])
def test_dates_that_overflow_in_utc_are_input_errors(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_time(text, "until")
    assert caught.value.field == "until" and "1-9999" in caught.value.reason
    assert refused({"time": text}).field == "time"


@pytest.mark.parametrize("text", ["2999-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
                                  "2100-01-01T00:00:00Z"])
def test_detection_times_lie_within_1970_to_2099(text: str) -> None:
    err = refused({"time": text})
    assert err.field == "time" and "1970-2099" in err.reason


def test_the_accepted_spellings() -> None:
    assert parse_time("2025-02-03t13:16:00z") == parse_time("2025-02-03T13:16:00Z")
    assert parse_time("2025-02-03T13:16:00.123456789Z").microsecond == 123456
    assert parse_time("2025-02-03T13:16:00-00:00") == parse_time("2025-02-03T13:16:00Z")
    assert parse_detection({**GOOD, "time": "2099-12-31T23:59:59Z"}).time.year == 2099


def test_a_live_time_ahead_of_the_clock_is_refused_with_how_far() -> None:
    check_live_time(1_000.0 + 2.0, 1_000.0, max_ahead_s=2.0)
    with pytest.raises(InputError) as caught:
        check_live_time(1_000.0 + 2.5, 1_000.0, max_ahead_s=2.0)
    assert caught.value.field == "time" and "2.5 s ahead" in caught.value.reason
    with pytest.raises(InputError, match="behind the service clock"):
        check_live_time(0.0, 100_000.0, max_ahead_s=2.0, max_behind_s=86_400.0)
    check_live_time(0.0, 100_000.0, max_ahead_s=2.0)  # no bound into the past by default


# -- numbers in their physical ranges ----------------------------------------------------


@pytest.mark.parametrize(("change", "field"), [
    ({"count": 2**62}, "count"),
    ({"count": MAX_COUNT + 1}, "count"),
    ({"count": 0}, "count"),
    ({"sigma_m": 1e300}, "sigma_m"),
    ({"sigma_m": 1e-300}, "sigma_m"),
    ({"sigma_m": SIGMA_MAX_M * 1.01}, "sigma_m"),
    ({"sigma_m": SIGMA_MIN_M / 2}, "sigma_m"),
    ({"lat": 90}, "lat"),
    ({"lat": -90.0}, "lat"),
    ({"lat": 90.0000001}, "lat"),
    ({"lon": 180.5}, "lon"),
    ({"confidence": 7.5}, "confidence"),
])
def test_numbers_outside_their_physical_range_are_refused(change: dict[str, Any],
                                                        field: str) -> None:
    err = refused(change)
    assert err.field == field
    assert len(err.reason) < 200


def test_the_poles_are_refused_alike() -> None:
    north, south = refused({"lat": 90.0}), refused({"lat": -90})
    assert "pole" in north.reason and "pole" in south.reason


def test_the_range_ends_are_accepted() -> None:
    det = parse_detection({**GOOD, "count": MAX_COUNT, "sigma_m": SIGMA_MIN_M,
                           "lat": 89.999, "lon": -180})
    assert det.count == MAX_COUNT and det.sigma_m == SIGMA_MIN_M
    assert parse_detection({**GOOD, "sigma_m": SIGMA_MAX_M}).sigma_m == SIGMA_MAX_M


# -- ids: bounded and printable ----------------------------------------------------------


@pytest.mark.parametrize("field", ["id", "sensor_id"])
@pytest.mark.parametrize("value", [
    "x" * (MAX_ID_CHARS + 1),
    "x" * 1_000_000,
    "cam\x00one",          # NUL
    "cam\u202eeno",         # right-to-left override
    "cam\u2066one",         # left-to-right isolate
    "cam\u200bone",         # zero-width space
    "cam\none",             # line feed
    "cam\u2028one",         # line separator
    "cam\ud800one",         # lone surrogate
    "",
])
def test_ids_are_bounded_and_printable(field: str, value: str) -> None:
    err = refused({field: value})
    assert err.field == field
    assert len(err.reason) < 200  # a 1 MB id is not echoed back


def test_a_long_printable_id_is_fine() -> None:
    det = parse_detection({**GOOD, "id": "é" * MAX_ID_CHARS, "sensor_id": "cam 7/north"})
    assert det.id == "é" * MAX_ID_CHARS


# -- the replay after a restart ----------------------------------------------------------


def test_a_stored_report_dated_ahead_or_now_refused_is_skipped_on_replay() -> None:
    now = parse_time("2025-02-03T13:16:00Z").timestamp()
    stored = [
        {**GOOD, "time": "2999-01-01T00:00:00Z", "id": "blinding"},  # stored by an old version
        {**GOOD, "id": "x" * 10_000},
        {**GOOD, "id": "fine"},
        {**GOOD, "time": "2025-02-03T13:16:01Z", "id": "one second ahead"},
    ]
    detections, errors = parse_stored(stored, now_s=now, max_ahead_s=2.0)
    assert [d.id for d in detections] == ["fine", "one second ahead"]
    assert [e.field for e in errors] == ["time", "id"]
