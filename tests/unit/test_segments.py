"""Watch segments: one owner per point, overlapping watches, one incident per crossing
(the rules in geo/segments.py), and the bundled cuts agree with places.yaml."""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from borderwatch.domain import InputError
from borderwatch.geo import Boundary, Places, Segments, WatchSegment

WGS84 = Geod(ellps="WGS84")
BUNDLED = Segments.bundled()
CUTS = [seg.west_lon for seg in BUNDLED.segments[1:]]


def east_of(lon: float, km: float, lat: float = 49.0) -> float:
    """Longitude ``km`` east (negative: west) of ``lon`` at ``lat``, by the WGS 84 geodesic
    (an independent check of the module's parallel-arc arithmetic: at 15 km the two differ
    by micrometres)."""
    east, _, _ = WGS84.fwd(lon, lat, 90.0 if km >= 0 else 270.0, abs(km) * 1000.0)
    return float(east)


def codes(segments: tuple[WatchSegment, ...]) -> tuple[str, ...]:
    return tuple(seg.code for seg in segments)


# ---- the bundled file ---------------------------------------------------------------------
def test_bundled_is_the_eight_northern_sectors_west_to_east() -> None:
    assert BUNDLED.codes == ("blw", "spw", "hvm", "gfn", "dtm", "bun", "swb", "hlt")
    assert [seg.usbp_sector for seg in BUNDLED] == [
        f"USBP-{code.upper()}" for code in BUNDLED.codes
    ]
    assert BUNDLED.margin_km == 10.0
    assert BUNDLED.get("hvm").facing == ("K", "F")
    assert BUNDLED.segments[0].west_lon == -math.inf
    assert BUNDLED.segments[-1].east_lon == math.inf
    assert sorted(CUTS) == CUTS


def test_every_point_on_the_bundled_line_has_the_owner_places_yaml_says(
    boundary: Boundary,
) -> None:
    """Dense samples along every piece: the owner's sector is the USBP unit whose `covers`
    include that piece at that longitude (as places.py evaluates them; ends inclusive)."""
    places = Places.bundled()
    us_units = [u for u in places.units if u.unit.country == "US"]
    extent = {
        p.segment_id: (min(q for _, q in p.coords), max(q for _, q in p.coords))
        for p in boundary.segments
    }
    rng = np.random.default_rng(16)
    checked = 0
    for piece in boundary.segments:
        lons = np.array([lon for _, lon in piece.coords])
        between = rng.uniform(lons.min(), lons.max(), 2000)
        samples = np.concatenate([lons, between, (lons[:-1] + lons[1:]) / 2])
        owners = BUNDLED.owners(np.full(len(samples), 49.0), samples)
        for lon, index in zip(samples, owners, strict=True):
            # A shared corner lies on two pieces: the units of either may own it.
            pieces = {sid for sid, (west, east) in extent.items() if west <= lon <= east}
            expected = {
                u.unit.unit_id
                for u in us_units
                if any(c.contains(p, lon) for c in u.covers for p in pieces)
            }
            owner = BUNDLED.owner(49.0, float(lon))
            assert owner is BUNDLED.segments[index]
            assert owner.usbp_sector in expected, (piece.segment_id, lon, expected)
            if lon not in CUTS:
                assert len(expected) == 1, (lon, expected)
            checked += 1
    assert checked > 20_000


def test_cuts_along_the_bundled_line_lie_on_it_and_the_rest_say_they_are_approximate(
    boundary: Boundary,
) -> None:
    corners = {
        (a.segment_id, b.segment_id): a.coords[-1][1]
        for a, b in zip(boundary.segments, boundary.segments[1:], strict=False)
    }
    assert BUNDLED.get("hvm").west_lon == corners[("BC-MT", "AB-MT")]
    assert BUNDLED.get("gfn").west_lon == corners[("SK-MT", "SK-ND")]
    assert BUNDLED.get("spw").west_lon == -120.6  # places.yaml's BLW/SPW limit on BC-WA
    line_east = max(lon for seg in boundary.segments for _, lon in seg.coords)
    for seg in BUNDLED.segments[1:]:
        if seg.west_lon <= line_east:
            assert boundary.signed_distance(49.0, seg.west_lon) == pytest.approx(0.0, abs=0.02)
        else:  # no bundled line there: a guess must not pass for a fact
            assert seg.west_approximate and seg.west_note, seg.code
        assert seg.west_note
    assert BUNDLED.get("spw").west_approximate  # SOURCES.md: "about 120.6 W"


def test_known_places() -> None:
    ports = {p.port_id: p for p in Places.bundled().ports}
    coutts = ports["coutts-sweetgrass"]
    assert BUNDLED.owner(49.0, -111.961).code == "hvm"
    assert BUNDLED.owner(coutts.lat, coutts.lon).code == "hvm"
    emerson = ports["emerson-pembina"]
    assert BUNDLED.owner(emerson.lat, emerson.lon).code == "gfn"
    assert BUNDLED.owner(49.0, -122.75).code == "blw"  # Blaine, WA
    assert BUNDLED.owner(49.0, -123.07).code == "blw"  # Point Roberts
    assert BUNDLED.owner(44.99, -73.45).code == "swb"  # Champlain, NY
    assert BUNDLED.owner(46.13, -67.84).code == "hlt"  # Houlton, ME


# ---- owner and overlap --------------------------------------------------------------------
def test_a_point_exactly_on_a_cut_belongs_to_the_east_segment() -> None:
    for west, east in zip(BUNDLED.segments, BUNDLED.segments[1:], strict=False):
        assert BUNDLED.owner(49.0, east.west_lon) is east
        assert BUNDLED.owner(49.0, math.nextafter(east.west_lon, -math.inf)) is west
        assert BUNDLED.owns_incident(east.code, 49.0, east.west_lon)
        assert not BUNDLED.owns_incident(west.code, 49.0, east.west_lon)


def test_the_watch_overlaps_by_the_margin_on_each_side_of_a_cut() -> None:
    cut = BUNDLED.get("hvm").west_lon  # Spokane | Havre, the BC/AB corner
    assert codes(BUNDLED.covering(49.0, east_of(cut, 5))) == ("spw", "hvm")
    assert codes(BUNDLED.covering(49.0, east_of(cut, -5))) == ("spw", "hvm")
    assert codes(BUNDLED.covering(49.0, east_of(cut, 15))) == ("hvm",)
    assert codes(BUNDLED.covering(49.0, east_of(cut, -15))) == ("spw",)
    assert codes(BUNDLED.covering(49.0, east_of(cut, 9.99))) == ("spw", "hvm")
    assert codes(BUNDLED.covering(49.0, east_of(cut, 10.01))) == ("hvm",)
    assert BUNDLED.owner(49.0, east_of(cut, 5)).code == "hvm"
    assert BUNDLED.owner(49.0, east_of(cut, -5)).code == "spw"


def test_the_margin_is_measured_along_the_parallel_at_the_points_latitude() -> None:
    cut = BUNDLED.get("hlt").west_lon
    swb = BUNDLED.index("swb")
    for lat in (42.0, 45.3, 60.0):
        inside, outside = east_of(cut, 9.99, lat), east_of(cut, 10.01, lat)
        assert "swb" in codes(BUNDLED.covering(lat, inside))
        assert "swb" not in codes(BUNDLED.covering(lat, outside))
        mask = BUNDLED.covering_mask([lat, lat], [inside, outside])
        assert mask[:, swb].tolist() == [True, False]


def test_a_walk_along_the_line_is_handed_over_inside_the_overlap() -> None:
    """A group walking east along the 49th from 40 km west of the SPW/HVM cut to 40 km east
    of it: always watched, watched by Havre for the last margin before the cut, still by
    Spokane for a margin after it; every point owned by exactly one of them."""
    cut = BUNDLED.get("hvm").west_lon
    km = np.arange(-40.0, 40.0, 0.05)
    lons = np.array([east_of(cut, k) for k in km])
    mask = BUNDLED.covering_mask(np.full(len(km), 49.0), lons)
    spw, hvm = BUNDLED.index("spw"), BUNDLED.index("hvm")
    assert mask[:, [spw, hvm]].any(axis=1).all()
    first_seen_by_hvm = km[np.argmax(mask[:, hvm])]
    last_seen_by_spw = km[len(km) - 1 - np.argmax(mask[::-1, spw])]
    assert -10.001 <= first_seen_by_hvm <= -9.95  # within a step (50 m) of the margin
    assert 9.95 <= last_seen_by_spw <= 10.001
    owners = BUNDLED.owners(np.full(len(km), 49.0), lons)
    assert set(owners[km < 0]) == {spw} and set(owners[km >= 0]) == {hvm}


def test_one_incident_for_a_crossing_in_the_overlap_and_the_far_side_seen_by_its_owner() -> None:
    cut = BUNDLED.get("gfn").west_lon
    for km in (-9.0, -0.001, 0.0, 0.001, 9.0, 25.0):
        lon = cut if km == 0.0 else east_of(cut, km)
        watching = codes(BUNDLED.covering(49.0, lon))
        raising = [code for code in watching if BUNDLED.owns_incident(code, 49.0, lon)]
        assert raising == ["gfn" if km >= 0 else "hvm"], km
    assert codes(BUNDLED.covering(49.0, east_of(cut, 25))) == ("gfn",)


def test_unknown_code_and_bad_positions_are_errors_naming_the_field() -> None:
    with pytest.raises(InputError) as err:
        BUNDLED.get("xyz")
    assert err.value.field == "segment" and "hvm" in err.value.reason
    with pytest.raises(InputError) as err:
        BUNDLED.owns_incident("nope", 49.0, -100.0)
    assert err.value.field == "segment"
    with pytest.raises(InputError) as err:
        BUNDLED.owner(None, -100.0)  # type: ignore[arg-type]
    assert err.value.field == "lat"
    with pytest.raises(InputError) as err:
        BUNDLED.owners([49.0, 49.0], [-100.0, float("nan")])
    assert err.value.field == "lons[1]"
    with pytest.raises(InputError) as err:
        BUNDLED.covering_mask([49.0, 91.0], [-100.0, -100.0])
    assert err.value.field == "lats[1]"
    with pytest.raises(InputError) as err:
        BUNDLED.owners([49.0], [-100.0, -99.0])
    assert err.value.field == "lats"


# ---- vectorised == scalar -----------------------------------------------------------------
near_a_cut = st.builds(
    lambda cut, km: east_of(cut, km), st.sampled_from(CUTS), st.floats(-30.0, 30.0)
)
points = st.lists(
    st.tuples(
        st.floats(-89.0, 89.0),
        st.one_of(st.floats(-180.0, 180.0), near_a_cut, st.sampled_from(CUTS)),
    ),
    min_size=1,
    max_size=50,
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(points=points, margin_km=st.sampled_from([0.0, 3.0, 10.0, 50.0]))
def test_vectorised_forms_agree_with_the_scalar_ones(
    points: list[tuple[float, float]], margin_km: float
) -> None:
    segments = Segments(BUNDLED.segments, margin_km=margin_km)
    lats, lons = np.array(points).T
    owners = segments.owners(lats, lons)
    mask = segments.covering_mask(lats, lons)
    assert mask.shape == (len(points), len(segments))
    for (lat, lon), index, row in zip(points, owners, mask, strict=True):
        owner = segments.owner(lat, lon)
        assert owner is segments.segments[index]
        assert owner.in_core(lon)
        assert sum(seg.in_core(lon) for seg in segments) == 1
        covering = segments.covering(lat, lon)
        assert covering == tuple(s for s, on in zip(segments, row, strict=True) if on)
        assert owner in covering
        assert [segments.owns_incident(s.code, lat, lon) for s in segments].count(True) == 1


# ---- loading and validation ---------------------------------------------------------------
def bundled_data() -> dict[str, Any]:
    path = Path(__file__).parents[2] / "src/borderwatch/geo/data/segments.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def test_load_reads_a_users_own_file(tmp_path: Path) -> None:
    data = bundled_data()
    data["margin_km"] = 4
    data["segments"][1]["west_cut"] = {"lon": -121.0, "note": "our own limit"}
    path = tmp_path / "segments.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    mine = Segments.load(path)
    assert mine.margin_km == 4.0 and mine.source == str(path)
    assert mine.owner(49.0, -120.8).code == "spw"
    assert not mine.get("spw").west_approximate and mine.get("blw").east_note == "our own limit"


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read") as err:
        Segments.load(tmp_path / "missing.yaml")
    assert err.value.source == str(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("segments: [\n", "utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        Segments.load(bad)


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is KeyError:
        del node[last]
    else:
        node[int(last) if isinstance(node, list) else last] = value


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("colour", "red", "colour", "unknown key"),
        ("segments/2/sector", "HVM", "segments[2].sector", "unknown key"),
        ("segments/2/west_cut/longitude", 1.0, "segments[2].west_cut.longitude", "unknown key"),
        ("segments/3/west_cut/lon", -115.0, "segments[2].west_cut.lon", "must increase"),
        ("segments/3/code", "hvm", "segments[3].code", "duplicate"),
        ("segments/3/code", "GFN", "segments[3].code", "subject token"),
        ("segments/3/code", "gf.n", "segments[3].code", "subject token"),
        ("segments/3/code", "gf*", "segments[3].code", "subject token"),
        ("margin_km", -1, "margin_km", "0 or more"),
        ("margin_km", "ten", "margin_km", "number"),
        ("segments/0/west_cut", {"lon": -130.0}, "segments[0].west_cut", "open to the west"),
        ("segments/4/west_cut", KeyError, "segments[4].west_cut", "required"),
        ("segments/4/west_cut/lon", "89W", "segments[4].west_cut.lon", "longitude"),
        ("segments/4/west_cut/lon", -200.0, "segments[4].west_cut.lon", "longitude"),
        ("segments/4/west_cut/note", "", "segments[4].west_cut.note", "approximate"),
        ("segments/4/west_cut/approximate", "yes", "segments[4].west_cut.approximate", "true"),
        ("segments/1/name", KeyError, "segments[1].name", "required"),
        ("segments/1/usbp_sector", 7, "segments[1].usbp_sector", "required"),
        ("segments/1/facing", "E", "segments[1].facing", "RCMP"),
        ("segments", [], "segments", "required"),
    ],
)
def test_bad_files_are_errors_naming_the_field(
    path: str, value: Any, field: str, reason: str
) -> None:
    data = copy.deepcopy(bundled_data())
    _set(data, path, value)
    with pytest.raises(InputError) as err:
        Segments.from_dict(data, source="mine.yaml")
    assert err.value.field == field
    assert reason in err.value.reason
    assert err.value.source == "mine.yaml"


def test_segments_built_directly_must_tile_the_longitudes() -> None:
    blw, spw, *_ = BUNDLED.segments
    with pytest.raises(InputError, match="open to the west"):
        Segments([spw])
    gap = dataclasses.replace(spw, west_lon=-120.0, east_lon=math.inf)
    with pytest.raises(InputError) as err:
        Segments([blw, gap])
    assert err.value.field == "segments[1].west_cut.lon"
