"""Declared sensors (sources/registry.py) and their file (adapters/sources/sensor_file.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderwatch.adapters.sources.sensor_file import load_sensor_file, parse_sensors
from borderwatch.app.cli.serve import _sensor_registry
from borderwatch.domain import InputError
from borderwatch.domain.access import Principal, Role
from borderwatch.sources.registry import DeclaredSensor, SensorRegistry, page_after

RCMP = Principal("key-rcmp", "RCMP-K", Role.OPERATOR)
USBP = Principal("key-usbp", "USBP-HVM", Role.OPERATOR)


def _cam(sensor_id: str, **kw: object) -> DeclaredSensor:
    return DeclaredSensor(sensor_id=sensor_id, lat=49.0, lon=-111.96, kind="camera",
                          agency="RCMP-K", **kw)  # type: ignore[arg-type]


def test_only_declared_sensors_are_admitted_by_default() -> None:
    registry = SensorRegistry([_cam("cam-1")])
    assert registry.admit("cam-1", RCMP) is None
    assert registry.admit("cam-2", RCMP) == ("is not a declared sensor (declare it in the "
                                             "sensor registry)")
    # A producer inside the service (a scenario replay) is not held to it.
    assert registry.admit("cam-2", None) is None


def test_a_sensor_takes_reports_from_its_reporters_only() -> None:
    registry = SensorRegistry([_cam("cam-1"), _cam("cam-2", reporters=frozenset({"USBP"})),
                               _cam("cam-3", reporters=frozenset({"key-usbp"}))])
    assert registry.admit("cam-1", USBP) is not None  # the owner's keys only
    assert registry.admit("cam-2", USBP) is None  # agency family
    assert registry.admit("cam-2", RCMP) is not None
    assert registry.admit("cam-3", USBP) is None  # one key
    assert registry.admit("cam-1", Principal("key-adm", "OPS", Role.ADMIN)) is None


def test_each_key_is_held_to_its_limit_of_sensors_even_when_undeclared_are_allowed() -> None:
    registry = SensorRegistry(allow_undeclared=True, max_sensors_per_key=3)
    assert [registry.admit(f"s-{n}", RCMP) for n in range(3)] == [None, None, None]
    assert registry.admit("s-0", RCMP) is None  # one it already reports for
    assert "already reports for 3 sensors" in str(registry.admit("s-3", RCMP))
    assert registry.admit("s-3", USBP) is None  # another key has its own


def test_serve_without_a_registry_refuses_every_sensor() -> None:
    assert _sensor_registry(None, False, None, False).admit("cam-1", RCMP) is not None
    allowing = _sensor_registry(None, True, 5, False)
    assert allowing.admit("cam-1", RCMP) is None
    assert allowing.max_sensors_per_key == 5


def test_pages_cover_every_id_once_in_order() -> None:
    ids = [f"s-{n:03d}" for n in range(25)][::-1]
    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = page_after(ids, cursor, 10)
        seen += page
        if cursor is None:
            break
    assert seen == sorted(ids)


def test_the_file_declares_sensors_with_coverage_and_limits(tmp_path: Path) -> None:
    path = tmp_path / "sensors.yaml"
    path.write_text(
        "max_sensors_per_key: 50\n"
        "sensors:\n"
        "  - id: cam-1\n"
        "    position: {lat: 49.0012, lon: -111.9611}\n"
        "    kind: camera\n"
        "    agency: RCMP-K\n"
        "    reporters: [RCMP-K, key-abc]\n"
        "    expected_interval_s: 60\n"
        "    azimuth_deg: 180\n"
        "    fov_deg: 60\n"
        "    range_m: 1500\n"
        "  - id: seismic-7\n"
        "    position: {lat: 49.0, lon: -111.9}\n"
        "    kind: ground\n"
        "    agency: RCMP-K\n", encoding="utf-8")
    registry = load_sensor_file(path)
    assert registry.max_sensors_per_key == 50 and not registry.allow_undeclared
    cam = registry.get("cam-1")
    assert cam is not None and cam.reporters == frozenset({"RCMP-K", "key-abc"})
    assert dict(cam.info) == {"kind": "camera", "azimuth_deg": 180.0, "fov_deg": 60.0,
                              "range_m": 1500.0}
    assert registry.expected_intervals() == {"cam-1": 60.0}


@pytest.mark.parametrize(("sensors", "field", "reason"), [
    ([{"id": "a", "kind": "camera", "agency": "X"}], "sensors[0].position", "is required"),
    ([{"id": "a", "position": {"lat": 91, "lon": 0}, "kind": "c", "agency": "X"}],
     "lat", "[-90, 90]"),
    ([{"id": "a\u202e", "position": {"lat": 1, "lon": 0}, "kind": "c", "agency": "X"}],
     "sensors[0].id", "printable"),
    ([{"id": "a", "position": {"lat": 1, "lon": 0}, "kind": "c", "agency": "X"}] * 2,
     "sensors[1].id", "declared twice"),
    ([{"id": "a", "position": {"lat": 1, "lon": 0}, "kind": "c", "agency": "X",
       "expected_interval_s": 0}], "sensors[0].expected_interval_s", "(0,"),
    ([{"id": "a", "position": {"lat": 1, "lon": 0}, "kind": "c", "agency": "X",
       "rang_m": 5}], "sensors[0].rang_m", "unknown field"),
])
def test_a_bad_file_is_refused_naming_the_field(sensors: list[object], field: str,
                                                reason: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_sensors({"sensors": sensors})
    assert field in str(caught.value.field) and reason in caught.value.reason


def test_a_file_that_is_not_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("sensors:\n  - id: [\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_sensor_file(path)
    assert caught.value.source == str(path) and caught.value.line is not None
