"""Partner tips (CoT, CAP 1.2, JSON), for any bytes and any attribute or element text: a
Detection or an InputError."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.adapters.sources.tips import parse_tip
from borderwatch.domain import Detection, InputError
from tests.property.strategies import (
    EDGE_NUMBERS,
    EDGE_TEXT,
    PROPERTY,
    SAFE_TIMES,
    parsed_or_refused,
)

# XML 1.0 allows no control characters but tab, newline and carriage return.
XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
).filter(lambda s: all(c in "\t\n\r" or ord(c) >= 0x20 for c in s))
FIELD_TEXT = st.one_of(
    EDGE_TEXT.filter(lambda s: "\x00" not in s),
    EDGE_NUMBERS.map(str),
    st.floats().map(str),
    st.integers().map(str),
    SAFE_TIMES,
    XML_TEXT,
)


def _check(det: Detection | None) -> None:
    if det is None:
        return
    assert -90 <= det.lat <= 90 and -180 <= det.lon <= 180
    assert 0 < det.sigma_m < math.inf and det.count >= 1
    assert det.sensor_id.startswith("tip:") or det.sensor_id


def cot(**attrs: str) -> bytes:
    event = {"uid": "u-1", "type": "a-u-G", "time": "2025-02-03T12:50:00Z", "opex": "e"}
    point = {"lat": "48.988", "lon": "-111.9", "ce": "400"}
    for key, value in attrs.items():
        (point if key in point else event)[key] = value
    a = " ".join(f"{k}={quoteattr(v)}" for k, v in event.items())
    p = " ".join(f"{k}={quoteattr(v)}" for k, v in point.items())
    detail = '<detail><contact callsign="X"/></detail>'
    return f'<event version="2.0" {a}><point {p}/>{detail}</event>'.encode()


def cap(**fields: str) -> bytes:
    values = {
        "status": "Actual",
        "msgType": "Alert",
        "sent": "2025-02-03T12:50:00+00:00",
        "circle": "48.988,-111.9005 0.979",
        "kind": "person",
        "count": "3",
        "confidence": "0.5",
        "sigma_m": "400",
    }
    values.update(fields)
    parameters = "".join(
        f"<parameter><valueName>{name}</valueName><value>{escape(values[name])}</value></parameter>"
        for name in ("kind", "count", "confidence", "sigma_m")
        if values[name] != "(absent)"
    )
    area = (
        f"<polygon>{escape(values['polygon'])}</polygon>"
        if "polygon" in values
        else f"<circle>{escape(values['circle'])}</circle>"
    )
    return (
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>I-1</identifier>'
        f"<sender>S</sender><sent>{escape(values['sent'])}</sent>"
        f"<status>{escape(values['status'])}</status><msgType>{escape(values['msgType'])}</msgType>"
        f"<scope>Private</scope><info><event>x</event>{parameters}<area><areaDesc>a</areaDesc>"
        f"{area}</area></info></alert>"
    ).encode()


@PROPERTY
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_are_a_tip_or_refused(data: bytes) -> None:
    _check(parsed_or_refused(parse_tip, data))


@PROPERTY
@given(
    st.dictionaries(
        st.sampled_from(["uid", "type", "time", "opex", "lat", "lon", "ce"]), FIELD_TEXT, max_size=3
    )
)
def test_a_cot_event_with_any_attributes_is_a_tip_or_refused(attrs: dict[str, str]) -> None:
    _check(parsed_or_refused(parse_tip, cot(**attrs)))


@PROPERTY
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "status",
                "msgType",
                "sent",
                "circle",
                "polygon",
                "kind",
                "count",
                "confidence",
                "sigma_m",
            ]
        ),
        FIELD_TEXT
        | st.just("(absent)")
        | st.lists(st.tuples(st.floats(-91, 91), st.floats(-181, 181)), max_size=5).map(
            lambda pts: " ".join(f"{a},{b}" for a, b in pts)
        ),
        max_size=3,
    )
)
def test_a_cap_alert_with_any_field_text_is_a_tip_or_refused(fields: dict[str, str]) -> None:
    _check(parsed_or_refused(parse_tip, cap(**fields)))


def test_the_templates_are_valid_tips() -> None:
    assert parse_tip(cot()).sigma_m == 400.0
    assert parse_tip(cap()).count == 3


# Found by these tests and fixed by the admission work (tips.py, domain/time.py).
@pytest.mark.parametrize(
    "tip",
    [cot(time="9999-12-31T23:59:59-01:00"), cap(sent="0001-01-01T00:00:00+01:00")],
    ids=["cot", "cap"],
)
def test_a_tip_time_beyond_the_calendar_is_refused(tip: bytes) -> None:
    with pytest.raises(InputError):
        parse_tip(tip)


@pytest.mark.parametrize(
    "fields",
    [{"count": "1e30"}, {"count": "-5"}, {"confidence": "7.5"}],
    ids=["huge-count", "negative-count", "confidence-over-1"],
)
def test_a_cap_tip_out_of_range_is_refused(fields: dict[str, str]) -> None:
    with pytest.raises(InputError):
        parse_tip(cap(**fields))
