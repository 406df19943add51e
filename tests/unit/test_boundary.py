"""Side-of-line, distance and crossing point: the conventions in geo/boundary.py."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import geo

from borderwatch.domain import InputError, Side
from borderwatch.geo import ON_LINE_TOLERANCE_M, Boundary

VERTEX_LON = -111.9583  # a vertex of the bundled line (every 0.01 deg from -114.0683)


def test_sides_north_is_canada(boundary: Boundary) -> None:
    assert boundary.north == "CA"
    assert boundary.side(*geo(0, 30)) is Side.NORTH
    assert boundary.side(*geo(0, -30)) is Side.SOUTH


def test_point_exactly_on_the_line_is_on_neither_side(boundary: Boundary) -> None:
    assert boundary.side(49.0, VERTEX_LON) is Side.ON_LINE
    assert boundary.signed_distance(49.0, VERTEX_LON) == 0.0


def test_points_within_a_millimetre_are_on_the_line_and_beyond_are_not(
    boundary: Boundary,
) -> None:
    east, north = boundary.frame.point_to_local(49.0, VERTEX_LON)
    normal = boundary.north_normal(boundary.signed_distance_local([east], [north])[1])[0]
    for offset, expected in ((0.0005, 0.0), (-0.0005, 0.0), (0.01, 0.01), (-0.01, -0.01)):
        signed, _ = boundary.signed_distance_local(
            [east + offset * normal[0]], [north + offset * normal[1]]
        )
        assert signed[0] == pytest.approx(expected, abs=1e-6)
    assert ON_LINE_TOLERANCE_M == 0.001


def test_signed_distance_is_metres_from_the_parallel(boundary: Boundary) -> None:
    for north in (-500.0, -25.0, 7.0, 1200.0):
        assert boundary.signed_distance(*geo(123.0, north)) == pytest.approx(north, abs=0.5)


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(48.0, 50.0).filter(lambda v: abs(v - 49.0) > 1e-6),
    lon=st.floats(-122.7, -95.2),
)
def test_side_agrees_with_latitude_inside_the_line(
    boundary: Boundary, lat: float, lon: float
) -> None:
    # The line is the parallel (to ~1.2 cm between vertices); 1e-6 deg is ~11 cm.
    expected = Side.NORTH if lat > 49.0 else Side.SOUTH
    assert boundary.side(lat, lon) is expected


def test_distance_is_exact_against_shapely(boundary: Boundary) -> None:
    rng = np.random.default_rng(3)
    lat = 49.0 + rng.uniform(-0.5, 0.5, 3000) * rng.choice([1e-3, 1e-2, 1], 3000)
    lon = rng.uniform(-112.5, -111.0, 3000)
    east, north = boundary.frame.to_local(lat, lon)
    signed, _ = boundary.signed_distance_local(east, north)
    pieces = shapely.MultiLineString(
        [np.array([a, b]) for a, b in zip(boundary._a, boundary._b, strict=True)]
    )
    exact = shapely.distance(shapely.points(np.column_stack([east, north])), pieces)
    np.testing.assert_allclose(np.abs(signed), exact, atol=1e-6)


def test_crossing_point_and_fraction(boundary: Boundary) -> None:
    start = boundary.frame.point_to_local(*geo(0, -100))
    end = boundary.frame.point_to_local(*geo(0, 300))
    point = boundary.crossing_local(start, end)
    assert point is not None
    assert point.fraction == pytest.approx(0.25, abs=0.002)
    assert point.lat == pytest.approx(49.0, abs=1e-6)
    assert point.segment_id == "AB-MT"
    assert boundary.crossing_local(start, boundary.frame.point_to_local(*geo(50, -10))) is None


def test_segments_and_places_of_the_reference_stretch(boundary: Boundary) -> None:
    assert boundary.segment_id_near(49.0, -111.961) == "AB-MT"
    assert boundary.segment_id_near(49.0, -97.24) == "MB-ND"
    assert 2000 < boundary.length_km < 2050  # Pacific to Lake of the Woods, ~2,030 km


def _collection(coords: list[list[float]], **props: str) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"segment": "X", "left": "CA", "right": "US", **props},
                "geometry": {"type": "LineString", "coordinates": coords},
            }
        ],
    }


def test_a_user_line_with_a_corner_decides_sides_inside_the_wedge() -> None:
    # A line going east then turning north: Canada on the left (north-west side).
    line = Boundary.from_geojson(_collection([[-112.0, 49.0], [-111.9, 49.0], [-111.9, 49.1]]))
    # Inside the corner's wedge on the outer (south-east) side: US.
    assert line.side(48.999, -111.899) is Side.SOUTH
    # Inside the corner (north-west of both pieces): Canada.
    assert line.side(49.001, -111.901) is Side.NORTH
    # Exactly at the corner vertex: on the line.
    assert line.side(49.0, -111.9) is Side.ON_LINE


def test_reversed_vertex_order_with_swapped_sides_is_the_same_boundary() -> None:
    forward = Boundary.from_geojson(_collection([[-112.0, 49.0], [-111.8, 49.0]]))
    backward = Boundary.from_geojson(
        _collection([[-111.8, 49.0], [-112.0, 49.0]], left="US", right="CA")
    )
    for lat in (48.99, 49.01):
        assert forward.side(lat, -111.9) is backward.side(lat, -111.9)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["features"][0]["properties"].pop("left"), "features[0].properties.left"),
        (
            lambda d: d["features"][0]["geometry"]["coordinates"][1].__setitem__(1, None),
            "features[0].geometry.coordinates[1]",
        ),
        (
            lambda d: d["features"][0]["geometry"].__setitem__("type", "Point"),
            "features[0].geometry",
        ),
        (
            lambda d: d["features"][0]["properties"].__setitem__("left", "MX"),
            "features[0].properties",
        ),
    ],
)
def test_bad_boundary_files_name_the_field(tmp_path, mutate, field) -> None:  # type: ignore[no-untyped-def]
    data = _collection([[-112.0, 49.0], [-111.8, 49.0]])
    mutate(data)
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        Boundary.load(path)
    assert err.value.field == field
    assert str(path) in str(err.value)


def test_missing_coordinate_is_never_zero() -> None:
    with pytest.raises(InputError, match="lat"):
        Boundary.from_geojson(_collection([[-112.0, None], [-111.8, 49.0]]))


def test_a_point_is_in_the_country_of_its_side_and_on_the_line_in_the_one_ahead(
    boundary: Boundary,
) -> None:
    assert boundary.country_at(*geo(0, 1), from_country="CA") == "CA"
    assert boundary.country_at(*geo(0, -1), from_country="US") == "US"
    assert boundary.country_at(49.0, VERTEX_LON, from_country="US") == "CA"
    assert boundary.country_at(49.0, VERTEX_LON, from_country="CA") == "US"
    assert boundary.country_at(49.0, VERTEX_LON, from_country="MX") is None
