"""Scenario YAML -> :class:`~borderwatch.sim.scenario.Scenario`, validated field by field.

The format is documented in docs/scenario-format.md; defaults live in the dataclasses of
``scenario.py`` and in the per-species table below, and the docs quote them.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from borderwatch.adapters.sources.yaml_fields import REQUIRED, Node, load_yaml, position
from borderwatch.domain import RELATIONS, Assumption, InputError, Kind
from borderwatch.sim.scenario import (
    Animal,
    Area,
    Camera,
    Drone,
    Frames,
    Group,
    Member,
    Response,
    Scenario,
    Sensor,
    Tip,
    Vehicle,
    Weather,
)

MAX_DURATION_S = 24 * 3600.0
"""A run is at most a day: the simulator keeps 1 s paths in memory."""

SPECIES: dict[str, dict[str, float]] = {
    # speed m/s, burst m/s, bursts per hour, burst length s, turn sigma deg/s
    "deer": {
        "speed_ms": 0.6,
        "burst_speed_ms": 2.0,
        "bursts_per_hour": 2.0,
        "burst_s": 20.0,
        "turn_deg": 10.0,
    },
    "coyote": {
        "speed_ms": 1.0,
        "burst_speed_ms": 2.0,
        "bursts_per_hour": 3.0,
        "burst_s": 15.0,
        "turn_deg": 14.0,
    },
}
"""Defaults per species (an animal file may override each). Others need every field."""

_MEMBER_FIELDS = ("member_id", "age", "nationality", "sex")
_KINDS = [k.value for k in Kind]


def parse_scenario_file(path: Path) -> Scenario:
    name = str(path)
    raw = load_yaml(path, what="scenario file")
    try:
        return parse_scenario(raw, base_dir=path.parent, source=name)
    except InputError as err:
        raise err.at(source=name) from None


def parse_scenario(raw: object, *, base_dir: Path, source: str = "") -> Scenario:
    """Validate an already parsed YAML document. ``base_dir`` resolves relative paths."""
    top = Node(raw, "")
    start, end = top.time("start"), top.time("end")
    if end <= start:
        raise InputError("end", f"must be after start ({start.isoformat()})")
    if (end - start).total_seconds() > MAX_DURATION_S:
        raise InputError("end", "a run may last at most 24 h")
    timezone = top.text("timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("timezone", f"unknown IANA time zone {timezone!r}") from None
    boundary_text = top.text("boundary", None)
    groups = tuple(_group(n, start) for n in top.nodes("groups"))
    tips = tuple(_tip(n) for n in top.nodes("tips"))
    scenario = Scenario(
        name=top.text("name"),
        title=top.text("title"),
        description=top.text("description"),
        start=start,
        end=end,
        timezone=timezone,
        seed=top.integer("seed"),
        weather=_weather(top.child("weather")),
        boundary=None if boundary_text is None else (base_dir / boundary_text).resolve(),
        groups=groups,
        vehicles=tuple(_vehicle(n, start) for n in top.nodes("vehicles")),
        animals=tuple(_animal(n) for n in top.nodes("animals")),
        sensors=tuple(_sensor(n, tips) for n in top.nodes("sensors")),
        tips=tips,
        response=_response(top.child("response")) if top.has("response") else None,
        assumptions=tuple(_assumption(n) for n in top.nodes("assumptions")),
        entry=_entry(top.child("entry")) if top.has("entry") else {},
        source=source,
    )
    top.finish()
    _check_consistency(scenario)
    return scenario


def _weather(node: Node) -> Weather:
    weather = Weather(
        temperature_c=node.number("temperature_c", low=-90, high=60),
        snow_cover=node.boolean("snow_cover"),
        wind_ms=node.number("wind_ms", 0.0, low=0, high=100),
    )
    node.finish()
    return weather


def _waypoints(node: Node, minimum: int = 2) -> tuple[tuple[float, float], ...]:
    items = node.items("waypoints", required=True)
    if len(items) < minimum:
        raise InputError(node.where("waypoints"), f"needs at least {minimum} positions")
    return tuple(position(item, path) for path, item in items)


def _member(node: Node) -> Member:
    assumed_raw = node.get("assumed", [])
    if not isinstance(assumed_raw, list) or not all(a in _MEMBER_FIELDS for a in assumed_raw):
        raise InputError(node.where("assumed"), f"must be a list of {', '.join(_MEMBER_FIELDS)}")
    nationality = node.text("nationality", None)
    if nationality is not None and not (len(nationality) == 2 and nationality.isupper()):
        raise InputError(node.where("nationality"), "must be an ISO 3166-1 alpha-2 code, e.g. VE")
    member = Member(
        member_id=node.text("member_id"),
        age=node.integer("age", None),
        nationality=nationality,
        sex=node.choice("sex", ["female", "male"], None),
        assumed=tuple(assumed_raw),
    )
    for name in member.assumed:
        if getattr(member, name) is None:
            raise InputError(
                node.where("assumed"), f"lists {name}, which has no value (unknown is not assumed)"
            )
    node.finish()
    return member


def _group(node: Node, run_start: datetime) -> Group:
    members = tuple(_member(n) for n in node.nodes("members", required=True))
    if not members:
        raise InputError(node.where("members"), "a group needs at least one member")
    ids = [m.member_id for m in members]
    for i, member_id in enumerate(ids):
        if member_id in ids[:i]:
            raise InputError(f"{node.where('members')}[{i}].member_id", f"repeats {member_id!r}")
    relations = []
    for rel in node.nodes("relations"):
        triple = (rel.text("person"), rel.text("is"), rel.text("of"))
        for key, value in (("person", triple[0]), ("of", triple[2])):
            if value not in ids:
                raise InputError(rel.where(key), f"{value!r} is not a member of this group")
        if triple[1] not in RELATIONS:
            raise InputError(rel.where("is"), f"must be one of {', '.join(sorted(RELATIONS))}")
        rel.finish()
        relations.append(triple)
    group = Group(
        entity_id=node.text("entity_id"),
        kind=Kind(node.choice("kind", ["person"], "person")),
        members=members,
        relations=tuple(relations),
        relations_assumed=node.boolean("relations_assumed", False),
        speed_ms=node.number("speed_ms", low=0.1, high=3.0),
        waypoints=_waypoints(node),
        start=node.time("start", run_start),
        until=node.time("until", None),
        description=node.text("description", ""),
    )
    node.finish()
    return group


def _vehicle(node: Node, run_start: datetime) -> Vehicle:
    vehicle = Vehicle(
        entity_id=node.text("entity_id"),
        speed_ms=node.number("speed_ms", low=0.5, high=40.0),
        waypoints=_waypoints(node),
        start=node.time("start", run_start),
        until=node.time("until", None),
        back_and_forth=node.boolean("back_and_forth", False),
        lateral_wander_m=node.number("lateral_wander_m", 0.0, low=0.0, high=100.0),
        description=node.text("description", ""),
    )
    node.finish()
    return vehicle


def _animal(node: Node) -> Animal:
    species = node.text("species")
    defaults: dict[str, Any] = SPECIES.get(species, {})

    def num(key: str, low: float, high: float) -> float:
        return node.number(key, defaults.get(key, REQUIRED), low=low, high=high)

    box = node.child("area")
    area = Area(
        south=box.number("south", low=-90, high=90),
        north=box.number("north", low=-90, high=90),
        west=box.number("west", low=-180, high=180),
        east=box.number("east", low=-180, high=180),
    )
    box.finish()
    if area.north <= area.south or area.east <= area.west:
        raise InputError(box.path, "needs south < north and west < east")
    start_position = node.position("start_position") if node.has("start_position") else None
    if start_position is not None and not (
        area.south <= start_position[0] <= area.north
        and area.west <= start_position[1] <= area.east
    ):
        raise InputError(node.where("start_position"), "must be inside area")
    animal = Animal(
        entity_id=node.text("entity_id"),
        species=species,
        area=area,
        speed_ms=num("speed_ms", 0.05, 5.0),
        burst_speed_ms=num("burst_speed_ms", 0.05, 20.0),
        bursts_per_hour=num("bursts_per_hour", 0.0, 60.0),
        burst_s=num("burst_s", 1.0, 600.0),
        turn_deg=num("turn_deg", 0.0, 90.0),
        start_position=start_position,
        start=node.time("start", None),
        until=node.time("until", None),
        description=node.text("description", ""),
    )
    node.finish()
    return animal


def _confusion(node: Node) -> dict[Kind, dict[Kind, float]]:
    if not node.has("confusion"):
        return {}
    table = node.child("confusion")
    out: dict[Kind, dict[Kind, float]] = {}
    for true_kind in _KINDS:
        if not table.has(true_kind):
            continue
        row = table.child(true_kind)
        probs = {Kind(k): row.number(k, 0.0, low=0.0, high=1.0) for k in _KINDS}
        row.finish()
        if abs(sum(probs.values()) - 1.0) > 1e-6:
            raise InputError(row.path, f"probabilities must sum to 1, got {sum(probs.values()):g}")
        out[Kind(true_kind)] = probs
    table.finish()
    return out


def _sensor(node: Node, tips: tuple[Tip, ...]) -> Sensor:
    sensor_type = node.choice("type", ["camera", "drone"])
    sensor: Sensor
    if sensor_type == "camera":
        sensor = Camera(
            sensor_id=node.text("sensor_id"),
            position=node.position("position"),
            azimuth_deg=node.number("azimuth_deg", low=0.0, high=360.0),
            fov_deg=node.number("fov_deg", low=0.0, high=360.0, low_open=True),
            range_m=node.number("range_m", low=0.0, high=20_000.0, low_open=True),
            revisit_s=node.number("revisit_s", 1.0, low=1.0, high=3600.0),
            pd_near=node.number("pd_near", 0.95, low=0.0, high=1.0),
            pd_far=node.number("pd_far", 0.5, low=0.0, high=1.0),
            sigma0_m=node.number("sigma0_m", 2.0, low=0.0, high=1000.0, low_open=True),
            sigma_per_km_m=node.number("sigma_per_km_m", 15.0, low=0.0, high=1000.0),
            clutter_per_scan=node.number("clutter_per_scan", 0.02, low=0.0, high=10.0),
            p_occluded=node.number("p_occluded", 0.1, low=0.0, high=0.9),
            children_range_m=node.number("children_range_m", 0.0, low=0.0, high=20_000.0),
            confusion=_confusion(node),
            frames=_frames(node, tips),
            description=node.text("description", ""),
        )
    else:
        after_tip = node.text("after_tip", None)
        launch_at = node.time("launch_at", None)
        if (after_tip is None) == (launch_at is None):
            raise InputError(node.where("launch_at"), "give either launch_at or after_tip")
        if after_tip is not None and after_tip not in {t.tip_id for t in tips}:
            raise InputError(node.where("after_tip"), f"no tip with tip_id {after_tip!r}")
        target = node.position("target") if node.has("target") else None
        if target is None and after_tip is None:
            raise InputError(node.where("target"), "is required when the drone follows no tip")
        endurance = (
            node.number("endurance_s", low=0.0, high=86_400.0, low_open=True)
            if node.has("endurance_s")
            else None
        )
        hold = (
            node.number("hold_north_m", low=0.0, high=10_000.0)
            if node.has("hold_north_m")
            else None
        )
        sensor = Drone(
            sensor_id=node.text("sensor_id"),
            base=node.position("base"),
            launch_at=launch_at,
            after_tip=after_tip,
            delay_s=node.number("delay_s", 0.0, low=0.0, high=86_400.0),
            target=target,
            hold_north_m=hold,
            cruise_ms=node.number("cruise_ms", 15.0, low=0.0, high=100.0, low_open=True),
            orbit_radius_m=node.number("orbit_radius_m", 80.0, low=0.0, high=5000.0),
            orbit_speed_ms=node.number("orbit_speed_ms", 8.0, low=0.0, high=100.0),
            footprint_m=node.number("footprint_m", 150.0, low=0.0, high=5000.0, low_open=True),
            endurance_s=endurance,
            revisit_s=node.number("revisit_s", 1.0, low=1.0, high=3600.0),
            pd=node.number("pd", 0.9, low=0.0, high=1.0),
            sigma_m=node.number("sigma_m", 4.0, low=0.0, high=1000.0, low_open=True),
            clutter_per_scan=node.number("clutter_per_scan", 0.005, low=0.0, high=10.0),
            p_occluded=node.number("p_occluded", 0.05, low=0.0, high=0.9),
            confusion=_confusion(node),
            frames=_frames(node, tips),
            description=node.text("description", ""),
        )
    node.finish()
    return sensor


def _frames(node: Node, tips: tuple[Tip, ...]) -> Frames | None:
    """The optional ``frames`` block of a camera or drone (docs/scenario-format.md)."""
    if not node.has("frames"):
        return None
    block = node.child("frames")
    frames = Frames(
        focal_mm=block.number("focal_mm", low=0.5, high=2000.0) if block.has("focal_mm")
        else None,
        pitch_um=block.number("pitch_um", 12.0, low=1.0, high=100.0),
        width_px=block.integer("width_px", 640, low=16, high=16_384),
        height_px=block.integer("height_px", 512, low=16, high=16_384),
        height_m=block.number("height_m", 15.0, low=0.0, high=10_000.0, low_open=True),
        tilt_deg=block.number("tilt_deg", low=-30.0, high=90.0) if block.has("tilt_deg")
        else None,
        altitude_m=block.number("altitude_m", 100.0, low=0.0, high=10_000.0, low_open=True),
        gimbal_pitch_deg=block.number("gimbal_pitch_deg", -90.0, low=-135.0, high=45.0),
        follow_after_tip=block.text("follow_after_tip") if block.has("follow_after_tip")
        else None,
        follow_delay_s=block.number("follow_delay_s", 0.0, low=0.0, high=86_400.0),
    )
    if frames.follow_after_tip is not None and frames.follow_after_tip not in {
        t.tip_id for t in tips
    }:
        raise InputError(
            block.where("follow_after_tip"), f"no tip with tip_id {frames.follow_after_tip!r}"
        )
    block.finish()
    return frames


def _tip(node: Node) -> Tip:
    tip = Tip(
        tip_id=node.text("tip_id"),
        agency_unit=node.text("agency_unit"),
        time=node.time("time"),
        position=node.position("position"),
        sigma_m=node.number("sigma_m", low=0.0, high=100_000.0, low_open=True),
        kind=Kind(node.choice("kind", _KINDS, "person")),
        text=node.text("text"),
        confidence=node.number("confidence", 0.5, low=0.0, high=1.0),
    )
    node.finish()
    return tip


def _response(node: Node) -> Response:
    lat, lon = node.position("base")
    response = Response(
        unit_id=node.text("unit_id"),
        base_lat=lat,
        base_lon=lon,
        speed_ms=node.number("speed_ms", low=0.0, high=100.0, low_open=True),
        dispatch_delay_s=node.number("dispatch_delay_s", 0.0, low=0.0, high=86_400.0),
    )
    node.finish()
    return response


def _assumption(node: Node) -> Assumption:
    assumption = Assumption(
        field=node.text("field"), value=str(node.get("value")), reason=node.text("reason")
    )
    node.finish()
    return assumption


def _entry(node: Node) -> dict[str, Any]:
    entry = {
        "kind": node.choice("kind", ["between_ports", "land_port", "airport", "harbour_port"]),
        "from_country": node.text("from_country"),
    }
    if node.has("date"):
        entry["date"] = str(node.get("date"))
    node.finish()
    return entry


def _check_consistency(scenario: Scenario) -> None:
    """Entity ids, sensor ids and tip ids must be unique: they key streams and outputs.
    A mover that leaves the scene must do so after it enters it."""
    seen: dict[str, str] = {}
    lists: list[tuple[str, list[str]]] = [
        ("groups", [g.entity_id for g in scenario.groups]),
        ("vehicles", [v.entity_id for v in scenario.vehicles]),
        ("animals", [a.entity_id for a in scenario.animals]),
        ("sensors", [s.sensor_id for s in scenario.sensors]),
        ("tips", [t.tip_id for t in scenario.tips]),
    ]
    for section, ids in lists:
        for i, ident in enumerate(ids):
            key = {"sensors": "sensor_id", "tips": "tip_id"}.get(section, "entity_id")
            if ident in seen:
                raise InputError(
                    f"{section}[{i}].{key}", f"{ident!r} is already used by {seen[ident]}"
                )
            seen[ident] = f"{section}[{i}]"
    movers: list[tuple[str, Any]] = [
        *(("groups", g) for g in scenario.groups),
        *(("vehicles", v) for v in scenario.vehicles),
        *(("animals", a) for a in scenario.animals),
    ]
    counters: dict[str, int] = {}
    for section, mover in movers:
        i = counters[section] = counters.get(section, -1) + 1
        start = mover.start or scenario.start
        if mover.until is not None and mover.until <= start:
            raise InputError(f"{section}[{i}].until", "must be after start")


_BUNDLED = {"coutts": "coutts-2025-02-03.yaml", "emerson": "emerson-pembina.yaml"}


def bundled_scenario_names() -> list[str]:
    """Short names of the scenarios shipped with Borderwatch."""
    return sorted(_BUNDLED)


def bundled_scenario_path(name: str) -> Path:
    """The file of a bundled scenario, by short name (``coutts``) or file stem."""
    by_stem = {Path(file).stem: file for file in _BUNDLED.values()}
    file = _BUNDLED.get(name) or by_stem.get(name)
    if file is None:
        raise InputError(
            "scenario",
            f"no bundled scenario {name!r}; known: {', '.join(bundled_scenario_names())}",
        )
    return Path(str(resources.files("borderwatch.sim").joinpath("scenarios", file)))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file. Errors name the field path and the file."""
    return parse_scenario_file(Path(path))
