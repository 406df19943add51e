"""Signed webhooks carry their signing time, and a receiver's check (verify_signature)
refuses a replay past the tolerance, a changed timestamp, body or secret, and malformed
or doubled headers (issue 17: a captured message could be replayed for ever)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.alerts.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TOLERANCE_S,
    SignatureError,
    sign,
    signature_headers,
    verify_signature,
)

SECRET = b"shared-secret"
BODY = b'{"alert_id":"ALR-1","dedup_key":"ALR-1:raise:webhook:x","simulated":true}'
SENT_AT = 1_764_900_000.25


def test_headers_are_named_and_shaped_as_documented() -> None:
    headers = signature_headers(BODY, SECRET, SENT_AT)
    assert headers == {
        "X-Borderwatch-Timestamp": "1764900000",
        "X-Borderwatch-Signature": sign(BODY, SECRET, 1_764_900_000),
    }
    assert headers[SIGNATURE_HEADER].startswith("sha256=")
    assert len(headers[SIGNATURE_HEADER]) == len("sha256=") + 64


def test_a_fresh_request_is_accepted_within_the_tolerance_either_way() -> None:
    headers = signature_headers(BODY, SECRET, SENT_AT)
    assert verify_signature(SECRET, headers, BODY, now=SENT_AT) == 1_764_900_000
    assert verify_signature(SECRET, headers, BODY, now=1_764_900_000 + TOLERANCE_S)
    assert verify_signature(SECRET, headers, BODY, now=1_764_900_000 - TOLERANCE_S)


def test_a_replay_after_the_tolerance_is_refused() -> None:
    captured = signature_headers(BODY, SECRET, SENT_AT)  # body and signature unchanged
    with pytest.raises(SignatureError, match=r"Timestamp: 301 s old"):
        verify_signature(SECRET, captured, BODY, now=1_764_900_000 + 301)
    with pytest.raises(SignatureError, match="old"):
        verify_signature(SECRET, captured, BODY, now=SENT_AT + 86_400)


def test_a_timestamp_from_the_future_is_refused() -> None:
    headers = signature_headers(BODY, SECRET, SENT_AT + 400)
    with pytest.raises(SignatureError, match="in the future"):
        verify_signature(SECRET, headers, BODY, now=SENT_AT)


def test_a_tampered_timestamp_is_refused() -> None:
    """An old capture made current by rewriting its timestamp: the signature covers it."""
    captured = signature_headers(BODY, SECRET, SENT_AT)
    later = SENT_AT + 3600
    forged = {**captured, TIMESTAMP_HEADER: str(int(later))}
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRET, forged, BODY, now=later)


def test_a_changed_body_or_another_secret_is_refused() -> None:
    headers = signature_headers(BODY, SECRET, SENT_AT)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(SECRET, headers, BODY + b" ", now=SENT_AT)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(b"other-secret", headers, BODY, now=SENT_AT)
    with pytest.raises(ValueError, match="secret"):
        verify_signature(b"", headers, BODY, now=SENT_AT)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({TIMESTAMP_HEADER: None}, "Timestamp: missing"),
        ({SIGNATURE_HEADER: None}, "Signature: missing"),
        ({TIMESTAMP_HEADER: "1764900000.0"}, "not whole seconds"),
        ({TIMESTAMP_HEADER: "-1764900000"}, "not whole seconds"),
        ({TIMESTAMP_HEADER: "1e9"}, "not whole seconds"),
        ({TIMESTAMP_HEADER: "9" * 40}, "not whole seconds"),
        ({TIMESTAMP_HEADER: "١٧٦٤٩٠٠٠٠٠"}, "not whole seconds"),  # Arabic-Indic digits
        ({SIGNATURE_HEADER: "sha256=" + "0" * 64}, "does not match"),
        ({SIGNATURE_HEADER: "sha256=é"}, "does not match"),
    ],
)
def test_malformed_headers_are_refused_naming_the_header(
    change: dict[str, str | None], reason: str
) -> None:
    headers: dict[str, str] = dict(signature_headers(BODY, SECRET, SENT_AT))
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    with pytest.raises(SignatureError, match=reason):
        verify_signature(SECRET, headers, BODY, now=SENT_AT)


def test_header_names_are_case_insensitive_but_a_doubled_header_is_refused() -> None:
    headers = signature_headers(BODY, SECRET, SENT_AT)
    lowered = {name.lower(): value for name, value in headers.items()}
    assert verify_signature(SECRET, lowered, BODY, now=SENT_AT)
    doubled = [*headers.items(), (TIMESTAMP_HEADER.lower(), str(int(SENT_AT) + 1))]

    class Pairs:
        def items(self) -> list[tuple[str, str]]:
            return doubled

    with pytest.raises(SignatureError, match="given 2 times"):
        verify_signature(SECRET, Pairs(), BODY, now=SENT_AT)


@given(body=st.binary(max_size=200), shift=st.integers(min_value=1, max_value=10**6),
       flip=st.integers(min_value=0, max_value=199))
def test_any_change_to_the_body_or_timestamp_is_refused(body: bytes, shift: int,
                                                        flip: int) -> None:
    headers = signature_headers(body, SECRET, SENT_AT)
    assert verify_signature(SECRET, headers, body, now=SENT_AT)
    moved = {**headers, TIMESTAMP_HEADER: str(int(SENT_AT) + shift)}
    with pytest.raises(SignatureError):
        verify_signature(SECRET, moved, body, now=SENT_AT + shift)
    if body:
        changed = bytearray(body)
        changed[flip % len(body)] ^= 0x01
        with pytest.raises(SignatureError):
            verify_signature(SECRET, headers, bytes(changed), now=SENT_AT)
