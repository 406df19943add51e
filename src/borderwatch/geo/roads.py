"""A road network for intercepts: the operator's roads as a graph in the local frame.

Nothing is bundled: road data are the deployment's own (a GIS export, an OpenStreetMap
extract), given as GeoJSON ``LineString``/``MultiLineString`` features with an optional
``speed_kmh`` (the road's usual speed; a unit never goes faster than its own road speed)
and ``name``. Roads meet where their lines share a vertex (as in OpenStreetMap): two lines
that only cross on the map, a bridge over a highway, are not joined. Vertices within
``JOIN_M`` of each other are one junction, so a file whose lines end a few centimetres
apart still connects.

Long straight segments are cut every ``STEP_M``, so a unit can leave or join a road
anywhere along it to within that step, not only at the file's vertices.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix

from borderwatch.domain import InputError
from borderwatch.domain.position import check_lat_lon
from borderwatch.geo.projection import LocalFrame

STEP_M = 100.0
"""Longest piece of road between two graph nodes."""
JOIN_M = 1.0
"""Vertices nearer than this are one junction."""
MAX_SPEED_KMH = 200.0


@dataclass(frozen=True)
class RoadNetwork:
    """Junctions and road pieces in a local frame, in metres."""

    nodes: NDArray[np.float64]
    """(N, 2): east, north of each node."""
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    """Each piece joins ``start[i]`` and ``end[i]`` (both ways)."""
    length_m: NDArray[np.float64]
    speed_ms: NDArray[np.float64]
    """The road's own speed; ``inf`` where the file gives none (the unit's speed rules)."""
    names: tuple[str, ...]
    """The roads' names (``road <n>`` for an unnamed one), for the answers' text."""
    source: str

    @property
    def size(self) -> int:
        return int(self.nodes.shape[0])

    def times(self, unit_speed_ms: float) -> csr_matrix:
        """The graph with each piece's travel time at ``min(unit, road)`` speed, seconds."""
        if not unit_speed_ms > 0:
            raise ValueError(f"unit speed must be > 0, got {unit_speed_ms}")
        seconds = self.length_m / np.minimum(self.speed_ms, unit_speed_ms)
        n = self.size
        both = coo_matrix((np.concatenate([seconds, seconds]),
                           (np.concatenate([self.start, self.end]),
                            np.concatenate([self.end, self.start]))), shape=(n, n))
        return both.tocsr()  # each piece once (_network), so nothing is summed here


def load_roads(path: Path, frame: LocalFrame) -> RoadNetwork:
    """Read a GeoJSON file of roads (``InputError`` names the feature and the field)."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as err:
        raise InputError("--roads", f"cannot read {path}: {err.strerror}") from None
    except orjson.JSONDecodeError as err:
        raise InputError("--roads", f"{path} is not JSON: {err}") from None
    return roads_from_geojson(data, frame, source=str(path))


def roads_from_geojson(data: Any, frame: LocalFrame, *, source: str = "roads") -> RoadNetwork:
    """The network of a GeoJSON FeatureCollection (see the module's docstring)."""
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise InputError("type", "a roads file is a GeoJSON FeatureCollection", source=source)
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise InputError("features", "must list at least one road", source=source)
    lines: list[tuple[NDArray[np.float64], float, str]] = []
    for n, feature in enumerate(features):
        where = f"features[{n}]"
        if not isinstance(feature, Mapping):
            raise InputError(where, "must be a GeoJSON Feature", source=source)
        props = feature.get("properties") or {}
        if not isinstance(props, Mapping):
            raise InputError(f"{where}.properties", "must be an object", source=source)
        speed = _speed(props.get("speed_kmh"), f"{where}.properties.speed_kmh", source)
        name = str(props.get("name") or f"road {n}")
        for coords in _lines(feature.get("geometry"), f"{where}.geometry", source):
            lines.append((_densified(coords, frame), speed, name))
    return _network(lines, source)


def _speed(value: Any, where: str, source: str) -> float:
    if value is None:
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            0 < value <= MAX_SPEED_KMH):
        raise InputError(where, f"must be a speed in km/h in (0, {MAX_SPEED_KMH:g}], got "
                         f"{value!r}", source=source)
    return float(value) / 3.6


def _lines(geometry: Any, where: str, source: str) -> list[list[tuple[float, float]]]:
    if not isinstance(geometry, Mapping):
        raise InputError(where, "is missing", source=source)
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "LineString":
        parts = [coords]
    elif kind == "MultiLineString" and isinstance(coords, list):
        parts = coords
    else:
        raise InputError(f"{where}.type", f"must be LineString or MultiLineString, got "
                         f"{kind!r}", source=source)
    out = []
    for i, part in enumerate(parts):
        if not isinstance(part, list) or len(part) < 2:
            raise InputError(f"{where}.coordinates", "a line needs at least two points",
                             source=source)
        points = []
        for j, point in enumerate(part):
            if not isinstance(point, list | tuple) or len(point) < 2:
                raise InputError(f"{where}.coordinates[{i}][{j}]", "must be [lon, lat]",
                                 source=source)
            try:
                lat, lon = check_lat_lon(point[1], point[0])
            except InputError as err:
                raise InputError(f"{where}.coordinates[{i}][{j}]", err.reason,
                                 source=source) from None
            points.append((lat, lon))
        out.append(points)
    return out


def _densified(coords: Sequence[tuple[float, float]], frame: LocalFrame
               ) -> NDArray[np.float64]:
    lat = np.array([c[0] for c in coords])
    lon = np.array([c[1] for c in coords])
    east, north = frame.to_local(lat, lon)
    points = np.column_stack([east, north])
    pieces = [points[:1]]
    for a, b in itertools.pairwise(points):
        cuts = max(1, math.ceil(float(np.hypot(*(b - a))) / STEP_M))
        t = np.arange(1, cuts + 1)[:, None] / cuts
        pieces.append(a + (b - a) * t)
    return np.vstack(pieces)


def _network(lines: Sequence[tuple[NDArray[np.float64], float, str]], source: str
             ) -> RoadNetwork:
    keys: dict[tuple[int, int], int] = {}
    nodes: list[NDArray[np.float64]] = []
    pieces: dict[tuple[int, int], float] = {}
    """(lower node, higher node) -> speed: a piece two lines share is one piece, at the
    faster of their speeds."""
    names: list[str] = []

    def node(point: NDArray[np.float64]) -> int:
        key = (round(float(point[0]) / JOIN_M), round(float(point[1]) / JOIN_M))
        if key not in keys:
            keys[key] = len(nodes)
            nodes.append(point)
        return keys[key]

    for points, line_speed, name in lines:
        ids = [node(p) for p in points]
        names.append(name)
        for a, b in itertools.pairwise(ids):
            if a != b:
                key = (min(a, b), max(a, b))
                pieces[key] = max(line_speed, pieces.get(key, 0.0))
    if not pieces:
        raise InputError("features", "no road has any length", source=source)
    node_array = np.array(nodes, dtype=np.float64)
    s = np.array([k[0] for k in pieces], dtype=np.int64)
    e = np.array([k[1] for k in pieces], dtype=np.int64)
    length = np.hypot(*(node_array[e] - node_array[s]).T)
    return RoadNetwork(node_array, s, e, length, np.array(list(pieces.values())),
                       tuple(names), source)
