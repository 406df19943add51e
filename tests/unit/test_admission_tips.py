"""Admission for partner tips (issue 17): CoT, CAP and JSON tips are held to the wire
format's ranges; a bad value is an InputError naming the element, never a traceback and
never silently changed (a negative count became 1)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.unit.test_inbound_tips import COT_TIP, _cap

from borderwatch.adapters.sources.tips import parse_tip
from borderwatch.domain import InputError


def refused(tip: bytes) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_tip(tip, source="tip.xml")
    assert caught.value.source == "tip.xml"
    assert len(caught.value.reason) < 200
    return caught.value


@pytest.mark.parametrize(("value", "field"), [
    ("1e30", "info.parameter[count]"),    # crashed when printed (past 64 bits)
    ("-3", "info.parameter[count]"),      # silently became 1
    ("0", "info.parameter[count]"),
    ("2.5", "info.parameter[count]"),
    ("10001", "info.parameter[count]"),
])
def test_cap_count_is_a_whole_number_in_range(value: str, field: str) -> None:
    assert refused(_cap(parameters=(("count", value),))).field == field


def test_cap_count_and_confidence_in_range_are_kept() -> None:
    tip = parse_tip(_cap(parameters=(("count", "12"), ("confidence", "0.7"))))
    assert tip.count == 12 and tip.confidence == 0.7


@pytest.mark.parametrize("value", ["7.5", "-0.1"])
def test_cap_confidence_is_within_0_and_1(value: str) -> None:
    assert refused(_cap(parameters=(("confidence", value),))).field == \
        "info.parameter[confidence]"


@pytest.mark.parametrize("value", ["1e300", "1e-300"])
def test_cap_sigma_is_within_its_physical_range(value: str) -> None:
    assert refused(_cap(parameters=(("sigma_m", value),))).field == "info.parameter[sigma_m]"


@pytest.mark.parametrize(("old", "new", "field"), [
    # was a traceback:
    (b'time="2025-02-03T12:50:00Z"', b'time="9999-12-31T23:59:59-01:00"', "time"),
    (b'time="2025-02-03T12:50:00Z"', b'time="0001-01-01T00:00:00+01:00"', "time"),
    (b'time="2025-02-03T12:50:00Z"', b'time="2999-01-01T00:00:00Z"', "time"),
    (b'time="2025-02-03T12:50:00Z"', b'time="2025-W06-1T12:50:00Z"', "time"),
    (b'ce="400"', b'ce="1e300"', "point.ce"),
    (b'ce="400"', b'ce="1e-300"', "point.ce"),
    (b'uid="usbp-hvm-tip-1"', b'uid="tip&#x202E;1"', "uid"),
    (b'uid="usbp-hvm-tip-1"', b'uid="' + b"u" * 200 + b'"', "uid"),
    (b'callsign="USBP-HVM"', b'callsign="USBP&#x0;HVM"', None),  # XML refuses NUL itself
    (b'callsign="USBP-HVM"', b'callsign="USBP&#x200F;HVM"', "detail.contact.callsign"),
])
def test_cot_tip_values_are_held_to_the_wire_rules(old: bytes, new: bytes,
                                                   field: str | None) -> None:
    tip = COT_TIP.replace(old, new)
    assert tip != COT_TIP
    assert refused(tip).field == field


def test_cap_ids_are_bounded_and_printable() -> None:
    assert refused(_cap(parameters=(("tip_id", "a\u202eb"),))).field == \
        "info.parameter[tip_id]"


def test_json_tips_are_held_to_the_same_rules() -> None:
    base = (b'{"time": "2025-02-03T12:50:00Z", "sensor_id": "tip:x", "lat": 48.9, '
            b'"lon": -111.9, "sigma_m": 400')
    assert refused(base + b', "count": 4611686018427387904}').field == "count"
    assert refused(base.replace(b"2025-02-03T12", b"2999-02-03T12") + b"}").field == "time"


def _tip_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "borderwatch", "alerts", "tip", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_alerts_tip_refuses_a_live_tip_dated_ahead_unless_told_it_is_a_replay(
        tmp_path: Path) -> None:
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3_600))
    tip = tmp_path / "tip.xml"
    tip.write_bytes(COT_TIP.replace(b"2025-02-03T12:50:00Z", soon.encode()))
    live = _tip_cli(str(tip))
    assert live.returncode == 2, live.stdout
    assert "field time" in live.stderr and "ahead of the service clock" in live.stderr
    assert "Traceback" not in live.stderr
    replayed = _tip_cli(str(tip), "--replay")
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["time"] == soon.replace("Z", ".000Z")
    # Out of the years even for a replay; a count past 64 bits is an error, not a traceback.
    tip.write_bytes(COT_TIP.replace(b"2025-02-03T12:50:00Z", b"9999-12-31T23:59:59-01:00"))
    cap = tmp_path / "tip.cap.xml"
    cap.write_bytes(_cap(parameters=(("count", "1e30"),)))
    for args in ([str(tip), "--replay"], [str(cap), "--replay"]):
        result = _tip_cli(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
