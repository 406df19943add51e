"""The sensor registry file (``borderwatch serve --sensors sensors.yaml``): the sensors a
service tracks, who may report for each, and the limit per key (sources/registry.py).

```yaml
max_sensors_per_key: 500        # optional (default 1000)
sensors:
  - id: cam-coutts-1
    position: {lat: 49.0012, lon: -111.9611}
    kind: camera                # camera, thermal, drone, ground, radar, ...
    agency: RCMP-K              # the owner
    reporters: [RCMP-K]         # optional: agencies, agency families or key ids; default the owner
    expected_interval_s: 60     # optional: /healthz degrades when silent for longer
    azimuth_deg: 180            # optional coverage for the map: azimuth_deg, fov_deg, range_m
    fov_deg: 60
    range_m: 1500
```

Every refusal names the file, the field path and the reason; an unknown field is an error.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from borderwatch.adapters.sources.yaml_fields import Node
from borderwatch.domain import InputError
from borderwatch.sources.registry import MAX_SENSORS_PER_KEY, DeclaredSensor, SensorRegistry

MAX_ID_CHARS = 128


def load_sensor_file(path: Path, *, allow_undeclared: bool = False) -> SensorRegistry:
    """The registry a file declares (``InputError`` names the file, field and reason)."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise InputError(None, f"cannot read: {reason}", source=name) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(err, "problem", None) or str(err)
        raise InputError(None, f"not valid YAML: {reason}", line=line, source=name) from None
    try:
        return parse_sensors(raw, allow_undeclared=allow_undeclared)
    except InputError as err:
        raise err.at(source=name) from None


def parse_sensors(raw: object, *, allow_undeclared: bool = False) -> SensorRegistry:
    root = Node(raw, "")
    limit = root.integer("max_sensors_per_key", MAX_SENSORS_PER_KEY, low=1)
    sensors: list[DeclaredSensor] = []
    seen: set[str] = set()
    for node in root.nodes("sensors", required=True):
        sensor = _sensor(node)
        if sensor.sensor_id in seen:
            raise InputError(node.where("id"), f"{sensor.sensor_id!r} is declared twice")
        seen.add(sensor.sensor_id)
        sensors.append(sensor)
    root.finish()
    return SensorRegistry(sensors, allow_undeclared=allow_undeclared,
                          max_sensors_per_key=limit)


def _sensor(node: Node) -> DeclaredSensor:
    sensor_id = node.text("id")
    if len(sensor_id) > MAX_ID_CHARS or not sensor_id.isprintable():
        raise InputError(node.where("id"), f"must be printable and at most {MAX_ID_CHARS} "
                         "characters")
    lat, lon = node.position("position")
    reporters = [(path, item) for path, item in node.items("reporters")]
    for path, item in reporters:
        if not isinstance(item, str) or not item.strip():
            raise InputError(path, f"must be an agency or a key id, got {item!r}")
    info: dict[str, float] = {}
    for key, low, high in (("azimuth_deg", 0.0, 360.0), ("fov_deg", 0.0, 360.0),
                           ("range_m", 0.0, 100_000.0)):
        if node.has(key):
            info[key] = node.number(key, low=low, high=high)
    kind = node.text("kind")
    sensor = DeclaredSensor(
        sensor_id=sensor_id, lat=lat, lon=lon, kind=kind, agency=node.text("agency"),
        reporters=frozenset(item.strip() for _, item in reporters),
        expected_interval_s=(node.number("expected_interval_s", low=0.0, low_open=True)
                             if node.has("expected_interval_s") else None),
        info={"kind": kind, **info},
    )
    node.finish()
    return sensor
