"""Boundaries: load a line with declared sides, say which side a point is on, how far from
the line it is, and where a move between two points crossed it.

Conventions (tested in tests/unit/test_boundary.py):

* A boundary is a set of segments (GeoJSON LineString features). Each declares which country
  lies on its **left** and which on its **right** when walking along its vertices in order.
  One of the two countries is the boundary's *north* side (Canada on the Canada-US line).
* Between two vertices the line is straight in the boundary's local conformal frame, like a
  surveyed line between monuments. Files whose vertices are further apart than 1 km are
  densified in that frame, which does not move the line.
* The signed distance is positive on the north side, negative on the south side, zero on the
  line. A point less than :data:`ON_LINE_TOLERANCE_M` from the line is **on the line** and on
  neither side: a person standing on the line has not crossed it (see watch.crossing).
* Beyond the ends of the boundary, the side is that of the nearest end segment extended in a
  straight line; the distance is still the true distance to the line's end.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from borderwatch.domain import InputError, Side, check_lat_lon
from borderwatch.geo.projection import FloatArray, LocalFrame

ON_LINE_TOLERANCE_M = 0.001
"""Closer than 1 mm to the line counts as on it. No position we handle is that precise, so
this only catches points constructed on the line, whose float rounding is ~1e-9 m."""

_MAX_PIECE_M = 1000.0
_NEIGHBOURS = 4


@dataclass(frozen=True)
class BoundarySegment:
    """One named stretch of a boundary, e.g. ``AB-MT`` (Alberta - Montana)."""

    segment_id: str
    left: str
    """Country on the left when walking along ``coords`` in order (ISO 3166-1 alpha-2)."""
    right: str
    coords: tuple[tuple[float, float], ...]
    """Vertices as (lat, lon) degrees. (The GeoJSON file holds them as [lon, lat].)"""
    name: str = ""


@dataclass(frozen=True)
class CrossingPoint:
    """Where a straight move between two points met the line."""

    east_m: float
    north_m: float
    lat: float
    lon: float
    fraction: float
    """How far along the move (0 = start, 1 = end) the line was met."""
    segment_id: str


class Boundary:
    """A boundary line with a north and a south side, in a local metric frame."""

    def __init__(
        self,
        segments: Sequence[BoundarySegment],
        *,
        north: str = "CA",
        south: str = "US",
        source: str = "",
        accuracy: str = "",
        frame: LocalFrame | None = None,
    ) -> None:
        if not segments:
            raise InputError("features", "a boundary needs at least one LineString segment")
        for seg in segments:
            if {seg.left, seg.right} != {north, south}:
                raise InputError(
                    f"features[{seg.segment_id}].properties",
                    f"left/right must be {north} and {south}, got {seg.left}/{seg.right}",
                )
        self.segments = tuple(segments)
        self.north = north
        self.south = south
        self.source = source
        self.accuracy = accuracy
        lats = [lat for seg in segments for lat, _ in seg.coords]
        lons = [lon for seg in segments for _, lon in seg.coords]
        self.frame = frame or LocalFrame.for_bounds(min(lats), max(lats), min(lons), max(lons))
        self._build_pieces()

    # ---- construction -------------------------------------------------------------------
    def _build_pieces(self) -> None:
        starts: list[FloatArray] = []
        ends: list[FloatArray] = []
        owner: list[int] = []
        north_sign: list[float] = []
        prev: list[int] = []
        for seg_index, seg in enumerate(self.segments):
            lat, lon = np.array(seg.coords, float).T
            east, north = self.frame.to_local(lat, lon)
            pts = _densify(np.column_stack([east, north]), _MAX_PIECE_M)
            first = len(owner)
            n = len(pts) - 1
            starts.append(pts[:-1])
            ends.append(pts[1:])
            owner.extend([seg_index] * n)
            north_sign.extend([1.0 if seg.left == self.north else -1.0] * n)
            prev.extend([-1, *range(first, first + n - 1)])
        self._a = np.vstack(starts)
        self._b = np.vstack(ends)
        self._owner = np.asarray(owner)
        self._north_sign = np.asarray(north_sign)
        count = len(self._a)
        self._prev = np.asarray(prev)
        self._next = np.full(count, -1)
        has_prev = self._prev >= 0
        self._next[self._prev[has_prev]] = np.nonzero(has_prev)[0]
        # Join segments that meet end to start (e.g. BC-WA then BC-ID), so corners at the
        # joints get the same treatment as corners inside a segment.
        starts_free = np.nonzero(self._prev < 0)[0]
        ends_free = np.nonzero(self._next < 0)[0]
        for e in ends_free:
            gap = np.hypot(*(self._a[starts_free] - self._b[e]).T)
            j = int(np.argmin(gap))
            if gap[j] < 0.01 and self._north_sign[starts_free[j]] == self._north_sign[e]:
                self._next[e] = starts_free[j]
                self._prev[starts_free[j]] = e
        direction = self._b - self._a
        length = np.hypot(direction[:, 0], direction[:, 1])  # > 0: _densify drops repeats
        self._length = length
        self._unit = direction / length[:, None]
        self._left_normal = np.column_stack([-self._unit[:, 1], self._unit[:, 0]])
        self._half_piece = float(length.max()) / 2.0
        self._tree = cKDTree((self._a + self._b) / 2.0)
        self._k = min(_NEIGHBOURS, count)
        self._strtree = shapely.STRtree(shapely.linestrings(np.stack([self._a, self._b], axis=1)))

    # ---- loading ------------------------------------------------------------------------
    @classmethod
    def from_geojson(cls, data: dict[str, Any], *, source_name: str = "boundary") -> Boundary:
        """Build from a GeoJSON FeatureCollection of LineString features.

        Each feature's properties: ``segment`` (id), ``left`` and ``right`` (countries).
        Top-level members ``north``/``south`` (default CA/US), ``source`` and ``accuracy``.
        """
        if data.get("type") != "FeatureCollection":
            raise InputError("type", "must be FeatureCollection", source=source_name)
        segments = []
        for i, feature in enumerate(data.get("features") or []):
            where = f"features[{i}]"
            geometry = feature.get("geometry") or {}
            props = feature.get("properties") or {}
            kind = geometry.get("type")
            lines = (
                [geometry.get("coordinates")]
                if kind == "LineString"
                else geometry.get("coordinates")
                if kind == "MultiLineString"
                else None
            )
            if not lines:
                raise InputError(
                    f"{where}.geometry", f"must be a LineString, got {kind}", source=source_name
                )
            for key in ("segment", "left", "right"):
                if not isinstance(props.get(key), str):
                    raise InputError(
                        f"{where}.properties.{key}", "is required (a string)", source=source_name
                    )
            sides = {str(data.get("north", "CA")), str(data.get("south", "US"))}
            if {props["left"], props["right"]} != sides:
                raise InputError(
                    f"{where}.properties",
                    f"left/right must be {' and '.join(sorted(sides))}, "
                    f"got {props['left']}/{props['right']}",
                    source=source_name,
                )
            for j, line in enumerate(lines):
                coords = []
                for k, pair in enumerate(line or []):
                    if not isinstance(pair, list | tuple) or len(pair) < 2:
                        raise InputError(
                            f"{where}.geometry.coordinates[{k}]",
                            "must be [lon, lat]",
                            source=source_name,
                        )
                    try:
                        lat, lon = check_lat_lon(pair[1], pair[0])
                    except InputError as err:
                        raise InputError(
                            f"{where}.geometry.coordinates[{k}]",
                            f"{err.field} {err.reason}",
                            source=source_name,
                        ) from None
                    coords.append((lat, lon))
                if len(coords) < 2:
                    raise InputError(
                        f"{where}.geometry", "a line needs at least 2 positions", source=source_name
                    )
                suffix = f"#{j}" if len(lines) > 1 else ""
                segments.append(
                    BoundarySegment(
                        segment_id=props["segment"] + suffix,
                        left=props["left"],
                        right=props["right"],
                        coords=tuple(coords),
                        name=str(props.get("name", "")),
                    )
                )
        return cls(
            segments,
            north=str(data.get("north", "CA")),
            south=str(data.get("south", "US")),
            source=str(data.get("source", "")),
            accuracy=str(data.get("accuracy", "")),
        )

    @classmethod
    def load(cls, path: str | Path) -> Boundary:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise InputError(None, f"not valid JSON: {err}", source=str(path)) from None
        except OSError as err:
            raise InputError(None, f"cannot read: {err.strerror}", source=str(path)) from None
        return cls.from_geojson(data, source_name=str(path))

    @classmethod
    def bundled(cls) -> Boundary:
        """The Canada-US line along the 49th parallel, from the Pacific to Lake of the Woods.
        See ``geo/data/SOURCES.md`` for where it comes from and how accurate it is."""
        text = resources.files("borderwatch.geo").joinpath("data/canada_us_49th.geojson")
        return cls.from_geojson(json.loads(text.read_text(encoding="utf-8")), source_name="bundled")

    # ---- queries ------------------------------------------------------------------------
    def signed_distance_local(
        self, east: ArrayLike, north: ArrayLike
    ) -> tuple[FloatArray, NDArray[np.intp]]:
        """Signed distance in metres (positive north) and the nearest piece's index."""
        points = np.column_stack([np.atleast_1d(east), np.atleast_1d(north)]).astype(float)
        nearest, nearest_dist, nearest_t, unsure = self._nearest_of_k(points, self._k)
        if len(unsure) and 4 * self._k <= len(self._a):
            wide = self._nearest_of_k(points[unsure], 4 * self._k)
            nearest[unsure], nearest_dist[unsure], nearest_t[unsure] = wide[:3]
            unsure = unsure[wide[3]]
        if len(unsure):
            # Far from the line the k nearest midpoints may miss the nearest piece: ask the
            # exact R-tree nearest-neighbour search for those points (slower, but exact).
            rows, pieces = self._strtree.query_nearest(shapely.points(points[unsure]))
            d_all, t_all = self._distance_to(points[unsure][rows][:, None, :], pieces[:, None])
            order = np.lexsort((d_all[:, 0], rows))  # per row, the smallest distance first
            first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
            target = unsure[rows[first]]
            nearest[target] = pieces[first]
            nearest_dist[target] = d_all[first, 0]
            nearest_t[target] = t_all[first, 0]
        sign = self._sign(points, nearest, nearest_t)
        signed = np.where(nearest_dist < ON_LINE_TOLERANCE_M, 0.0, sign * nearest_dist)
        return signed, nearest

    def _nearest_of_k(
        self, points: FloatArray, k: int
    ) -> tuple[NDArray[np.intp], FloatArray, FloatArray, NDArray[np.intp]]:
        """Nearest piece among the k with the nearest midpoints, and the rows where that is
        not proven: the true nearest piece has its midpoint within (its distance + half a
        piece), so if the k-th midpoint is closer than that, a candidate may be missing."""
        mid_dist, cand = self._tree.query(points, k=k)
        cand = cand.reshape(len(points), -1)
        mid_dist = mid_dist.reshape(len(points), -1)
        dist, t = self._distance_to(points[:, None, :], cand)
        best = np.argmin(dist, axis=1)
        rows = np.arange(len(points))
        nearest_dist = dist[rows, best]
        unsure = np.nonzero(mid_dist[:, -1] <= nearest_dist + self._half_piece)[0]
        return cand[rows, best], nearest_dist, t[rows, best], unsure

    def _distance_to(
        self, points: FloatArray, pieces: NDArray[np.intp]
    ) -> tuple[FloatArray, FloatArray]:
        # Component-wise: numpy's reductions over a trailing axis of length 2 are slow.
        ax, ay = self._a[pieces, 0], self._a[pieces, 1]
        abx, aby = self._b[pieces, 0] - ax, self._b[pieces, 1] - ay
        apx, apy = points[..., 0] - ax, points[..., 1] - ay
        t = np.clip((apx * abx + apy * aby) / (abx * abx + aby * aby), 0.0, 1.0)
        return np.hypot(apx - t * abx, apy - t * aby), t

    def _sign(self, points: FloatArray, piece: NDArray[np.intp], t: FloatArray) -> FloatArray:
        """+1 north, -1 south. At a vertex, use the sum of the two pieces' normals (the
        angle-weighted pseudo-normal of Baerentzen & Aanaes, IEEE TVCG 11(3), 2005, reduced
        to 2-D), which is the only choice that is right inside a corner's wedge."""
        normal = self._left_normal[piece].copy()
        anchor = self._a[piece].copy()
        at_start = (t <= 0.0) & (self._prev[piece] >= 0)
        at_end = (t >= 1.0) & (self._next[piece] >= 0)
        normal[at_start] += self._left_normal[self._prev[piece[at_start]]]
        normal[at_end] += self._left_normal[self._next[piece[at_end]]]
        anchor[at_end] = self._b[piece[at_end]]
        side = np.sign(np.sum((points - anchor) * normal, axis=1))
        side[side == 0] = 1.0  # on the line: the distance is 0 there, the sign is moot
        return np.asarray(side * self._north_sign[piece], float)

    def north_normal(self, piece: NDArray[np.intp]) -> FloatArray:
        """Unit vectors (n, 2) perpendicular to the given pieces, pointing to the north side."""
        return np.asarray(self._left_normal[piece] * self._north_sign[piece, None], float)

    def signed_distance(self, lat: float, lon: float) -> float:
        """Signed distance in metres from a WGS 84 point; positive on the north side."""
        east, north = self.frame.point_to_local(*check_lat_lon(lat, lon))
        return float(self.signed_distance_local([east], [north])[0][0])

    def side(self, lat: float, lon: float) -> Side:
        """Which side a point is on. (-111.9583 is a vertex of the bundled line; between
        vertices the line is a chord, ~1 cm north of the parallel: see docs/gotchas.md.)

        >>> line = Boundary.bundled()
        >>> line.side(49.001, -111.9), line.side(48.999, -111.9), line.side(49.0, -111.9583)
        (<Side.NORTH: 'north'>, <Side.SOUTH: 'south'>, <Side.ON_LINE: 'on_line'>)
        """
        return side_of(self.signed_distance(lat, lon))

    def country_at(self, lat: float, lon: float, from_country: str) -> str | None:
        """The country whose side of the line a point is on; a point on the line is on
        neither, so it takes the side people coming from ``from_country`` were going to
        (None when that is not one of the line's two countries).

        >>> line = Boundary.bundled()
        >>> line.country_at(49.001, -111.9, "US"), line.country_at(49.0, -111.9583, "US")
        ('CA', 'CA')
        >>> line.country_at(48.999, -111.9, "US"), line.country_at(49.0, -111.9583, "")
        ('US', None)
        """
        side = self.side(lat, lon)
        if side is Side.NORTH:
            return self.north
        if side is Side.SOUTH:
            return self.south
        return {self.north: self.south, self.south: self.north}.get(from_country)

    def segment_at(self, piece: int) -> BoundarySegment:
        return self.segments[int(self._owner[piece])]

    def segment_id_near(self, lat: float, lon: float) -> str:
        east, north = self.frame.point_to_local(lat, lon)
        _, piece = self.signed_distance_local([east], [north])
        return self.segment_at(int(piece[0])).segment_id

    def crossing_local(
        self, start: tuple[float, float], end: tuple[float, float]
    ) -> CrossingPoint | None:
        """The first point where the straight move start -> end meets the line, or None."""
        move = shapely.LineString([start, end])
        best: tuple[float, float, float, int] | None = None
        p0 = np.asarray(start, float)
        d = np.asarray(end, float) - p0
        for piece in self._strtree.query(move):
            a, b = self._a[piece], self._b[piece]
            e = b - a
            denom = d[0] * e[1] - d[1] * e[0]
            if denom == 0.0:
                continue
            w = a - p0
            s = (w[0] * e[1] - w[1] * e[0]) / denom
            u = (w[0] * d[1] - w[1] * d[0]) / denom
            if (
                -1e-12 <= s <= 1 + 1e-12
                and -1e-12 <= u <= 1 + 1e-12
                and (best is None or s < best[0])
            ):
                best = (float(s), *(p0 + s * d), int(piece))
        if best is None:
            return None
        s, east, north, piece = best
        lat, lon = self.frame.point_to_geo(east, north)
        return CrossingPoint(east, north, lat, lon, s, self.segment_at(piece).segment_id)

    def nearest_point_local(self, east: float, north: float) -> tuple[float, float, str]:
        """The point of the line nearest to a local point, and its segment id."""
        _, piece_arr = self.signed_distance_local([east], [north])
        piece = int(piece_arr[0])
        a, b = self._a[piece], self._b[piece]
        ab = b - a
        t = float(np.clip(np.dot([east, north] - a, ab) / np.dot(ab, ab), 0.0, 1.0))
        q = a + t * ab
        return float(q[0]), float(q[1]), self.segment_at(piece).segment_id

    @property
    def length_km(self) -> float:
        return float(self._length.sum() / 1000.0)


def side_of(signed_distance_m: float) -> Side:
    """Side for a signed distance (positive north). Exactly 0 is ON_LINE."""
    if signed_distance_m > 0:
        return Side.NORTH
    if signed_distance_m < 0:
        return Side.SOUTH
    return Side.ON_LINE


def _densify(points: FloatArray, max_len: float) -> FloatArray:
    out = [points[0]]
    for a, b in itertools.pairwise(points):
        length = math.hypot(*(b - a))
        if length == 0:
            continue  # repeated vertex: drop it, it has no direction
        steps = max(1, math.ceil(length / max_len))
        for k in range(1, steps + 1):
            out.append(a + (b - a) * (k / steps))
    if len(out) < 2:
        raise InputError("geometry", "a boundary line needs two distinct positions")
    return np.asarray(out)
