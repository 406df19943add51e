"""Scenario files: the bundled ones load with the story's facts; bad input names its field."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from borderwatch.domain import RELATIONS, InputError, Kind
from borderwatch.sim import (
    Animal,
    Camera,
    Drone,
    Group,
    Member,
    Scenario,
    Tip,
    Vehicle,
    Weather,
    bundled_scenario_names,
    bundled_scenario_path,
    load_scenario,
)
from borderwatch.sim.scenario import Frames


@pytest.fixture(scope="module")
def coutts_raw() -> dict[str, Any]:
    raw = yaml.safe_load(bundled_scenario_path("coutts").read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


@pytest.fixture(scope="module")
def coutts() -> Scenario:
    return load_scenario(bundled_scenario_path("coutts"))


def write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def refused(tmp_path: Path, raw: dict[str, Any]) -> InputError:
    path = write(tmp_path, raw)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.source == str(path), "the error names the file"
    return info.value


# ---- bundled scenarios ----------------------------------------------------------------------
def test_bundled_names_and_paths() -> None:
    assert bundled_scenario_names() == ["coutts", "emerson"]
    assert bundled_scenario_path("coutts").name == "coutts-2025-02-03.yaml"
    assert bundled_scenario_path("emerson").name == "emerson-pembina.yaml"
    assert bundled_scenario_path("coutts-2025-02-03") == bundled_scenario_path("coutts")
    for name in bundled_scenario_names():
        assert bundled_scenario_path(name).is_file()


def test_unknown_bundled_name_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="coutts, emerson"):
        bundled_scenario_path("sweetgrass")


def test_coutts_holds_the_reported_facts(coutts: Scenario) -> None:
    assert coutts.timezone == "America/Edmonton"
    assert coutts.start == datetime(2025, 2, 3, 12, 30, tzinfo=UTC)  # 05:30 MST
    assert coutts.end == datetime(2025, 2, 3, 13, 45, tzinfo=UTC)
    assert coutts.weather.temperature_c == -27.0 and coutts.weather.snow_cover
    assert coutts.entry == {"kind": "between_ports", "from_country": "US"}
    assert "simulated" in coutts.title.lower() and "reconstruction" in coutts.title.lower()
    (group,) = coutts.groups
    assert group.kind is Kind.PERSON and group.group_size == 9
    ages = sorted(m.age for m in group.members if m.age is not None and m.age < 18)
    assert ages == [5, 7, 7, 10, 13]
    assert group.children == 5
    assert sum(1 for m in group.members if m.nationality == "VE") == 7
    assert sorted(m.age for m in group.members if m.nationality == "CO") == [5, 7]
    adults = [m for m in group.members if m.age is not None and m.age >= 18]
    assert len(adults) == 4 and all("age" in m.assumed for m in adults)
    assert all("age" not in m.assumed for m in group.members if m not in adults)
    assert all("member_id" in m.assumed for m in group.members), "no names were published"
    assert all(m.assumed for m in group.members)
    assert coutts.response is not None and coutts.response.unit_id == "RCMP-K-IBET"


def test_coutts_relations_are_assumed_and_use_irpr_words(coutts: Scenario) -> None:
    (group,) = coutts.groups
    assert group.relations_assumed
    ids = {m.member_id for m in group.members}
    for person, word, of in group.relations:
        assert word in RELATIONS and person in ids and of in ids
    colombians = {m.member_id for m in group.members if m.nationality == "CO"}
    assert not any(of in colombians for _, _, of in group.relations), "guardian unknown"
    fields = " ".join(a.field for a in coutts.assumptions)
    for assumed in ("groups[0].relations", "groups[0].waypoints", "tips[0]", "sensors"):
        assert assumed in fields


def test_coutts_sensors_and_tip(coutts: Scenario) -> None:
    cameras = [s for s in coutts.sensors if isinstance(s, Camera)]
    drones = [s for s in coutts.sensors if isinstance(s, Drone)]
    assert 3 <= len(cameras) <= 4 and len(drones) == 1
    assert all(c.position[0] > 49.0 and c.children_range_m > 0 for c in cameras)
    (tip,) = coutts.tips
    assert tip.agency_unit == "USBP-HVM" and tip.sigma_m >= 300
    assert drones[0].after_tip == tip.tip_id and drones[0].delay_s == 360


def test_emerson_loads_and_is_marked_illustrative() -> None:
    emerson = load_scenario(bundled_scenario_path("emerson"))
    assert "illustrative" in emerson.title.lower()
    assert emerson.assumptions and emerson.tips == ()
    assert {g.group_size for g in emerson.groups} == {4, 1}


# ---- validation -----------------------------------------------------------------------------
def test_missing_waypoint_lat_names_the_field(tmp_path: Path, coutts_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(coutts_raw)
    del raw["groups"][0]["waypoints"][1]["lat"]
    err = refused(tmp_path, raw)
    assert err.field == "groups[0].waypoints[1].lat"
    assert "groups[0].waypoints[1].lat: is required" in str(err)


def test_negative_age_names_the_field(tmp_path: Path, coutts_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(coutts_raw)
    raw["groups"][0]["members"][3]["age"] = -4
    err = refused(tmp_path, raw)
    assert err.field == "groups[0].members[3].age"
    assert "must be an integer >= 0" in str(err)


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (lambda r: r["groups"][0].update(sped_ms=1), "groups[0].sped_ms", "unknown field"),
        (
            lambda r: r["groups"][0]["waypoints"][0].update(lon=-200),
            "groups[0].waypoints[0].lon",
            "within",
        ),
        (
            lambda r: r["groups"][0]["waypoints"][0].update(lat=None),
            "groups[0].waypoints[0].lat",
            "required",
        ),
        (
            lambda r: r["groups"][0]["relations"][0].update(**{"is": "cousin"}),
            "groups[0].relations[0].is",
            "must be one of",
        ),
        (
            lambda r: r["groups"][0]["relations"][0].update(of="p42"),
            "groups[0].relations[0].of",
            "not a member",
        ),
        (
            lambda r: r["groups"][0]["members"][1].update(assumed=["sex"]),
            "groups[0].members[1].assumed",
            "unknown is not assumed",
        ),
        (
            lambda r: r["groups"][0]["members"][1].update(nationality="Venezuela"),
            "groups[0].members[1].nationality",
            "alpha-2",
        ),
        (lambda r: r["groups"][0].update(speed_ms=-1), "groups[0].speed_ms", "must be in"),
        (lambda r: r.update(end="2025-02-03T05:00:00-07:00"), "end", "after start"),
        (lambda r: r.update(start="2025-02-03T05:30:00"), "start", "UTC offset"),
        (lambda r: r.update(timezone="Mars/Olympus"), "timezone", "unknown"),
        (lambda r: r["sensors"][4].update(after_tip="tip-9"), "sensors[4].after_tip", "no tip"),
        (
            lambda r: r["sensors"][1].update(sensor_id="cam-1"),
            "sensors[1].sensor_id",
            "already used",
        ),
        (lambda r: r["sensors"][0].update(fov_deg=0), "sensors[0].fov_deg", "must be in"),
        (
            lambda r: r["sensors"][0].update(confusion={"person": {"person": 0.5}}),
            "sensors[0].confusion.person",
            "sum to 1",
        ),
        (lambda r: r["animals"][0]["area"].update(north=48.0), "animals[0].area", "south < north"),
        (lambda r: r["tips"][0].pop("position"), "tips[0].position", "required"),
        (lambda r: r["vehicles"][0]["waypoints"].pop(), None, None),  # still >= 2: accepted
    ],
)
def test_bad_fields_are_named(
    tmp_path: Path, coutts_raw: dict[str, Any], edit: Any, field: str | None, reason: str | None
) -> None:
    raw = copy.deepcopy(coutts_raw)
    edit(raw)
    if field is None:
        load_scenario(write(tmp_path, raw))
        return
    err = refused(tmp_path, raw)
    assert err.field == field, str(err)
    assert reason is not None and reason in err.reason


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ngroups: [\n  {a: 1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.line is not None and info.value.source == str(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")


def test_boundary_path_is_relative_to_the_file(tmp_path: Path, coutts_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(coutts_raw)
    raw["boundary"] = "lines/local.geojson"
    scenario = load_scenario(write(tmp_path, raw))
    assert scenario.boundary == (tmp_path / "lines" / "local.geojson").resolve()


def test_every_scenario_field_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    classes = (Scenario, Weather, Group, Member, Vehicle, Animal, Camera, Drone, Tip, Frames)
    for cls in classes:
        for field in dataclasses.fields(cls):
            if field.name != "source":  # set by the loader, not a file field
                assert f"`{field.name}`" in doc, f"{cls.__name__}.{field.name} is undocumented"
