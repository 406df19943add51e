"""Where a case's people were met, for who may screen it (app/http/officers.py): the
intercepting unit's country first, the point's side of the line only for a unit the
places do not know. The statistics keep the side (stats/rows.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.case_helpers import coutts_case, interception

from borderwatch.app.http.officers import case_country
from borderwatch.domain import Case
from borderwatch.geo import Boundary, Places
from borderwatch.stats.rows import Geography

SOUTH_OF_COUTTS = (48.99999, -111.9302)  # about a metre past the line, in Montana
ON_THE_LINE = (49.0, -111.9583)  # a vertex of the bundled line


@pytest.fixture(scope="module")
def places() -> Places:
    return Places.bundled()


def _case(unit_id: str, at: tuple[float, float]) -> Case:
    lat, lon = at
    return coutts_case(at=replace(interception(), unit_id=unit_id, lat=lat, lon=lon))


def test_places_know_their_units_by_id(places: Places) -> None:
    unit = places.unit("RCMP-K-IBET")
    assert unit is not None and (unit.agency, unit.country) == ("RCMP", "CA")
    assert places.unit("rcmp-ibet-coutts") is None


def test_a_case_the_rcmp_opened_a_metre_south_of_the_line_is_in_canada(
    places: Places, boundary: Boundary
) -> None:
    case = _case("RCMP-K-IBET", SOUTH_OF_COUTTS)
    assert boundary.side(*SOUTH_OF_COUTTS).value == "south"
    assert case_country(places, boundary, case) == "CA"
    # The statistics count where the interception was made: the side of the line.
    assert Geography(boundary, places).rows_for(case)[0].country == "US"


def test_an_unknown_unit_is_placed_by_the_side_of_the_line(
    places: Places, boundary: Boundary
) -> None:
    assert case_country(places, boundary, _case("rcmp-ibet-coutts", SOUTH_OF_COUTTS)) == "US"
    assert case_country(places, boundary, _case("rcmp-ibet-coutts", (49.0012, -111.93))) == "CA"
    # On the line, the side the people were going to (they came from the US).
    on_line = _case("rcmp-ibet-coutts", ON_THE_LINE)
    assert case_country(places, boundary, on_line) == "CA"
    assert Geography(boundary, places).rows_for(on_line)[0].country == "CA"
    assert case_country(places, boundary, replace(on_line, from_country="")) == ""
