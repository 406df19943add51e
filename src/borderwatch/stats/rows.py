"""From cases to person-encounter rows: where, when, who, for every person of a case.

Each person of a case becomes one row with the country and region where the interception
was made (a point on the line takes the side the people were going to), the RCMP division
and USBP sector of that stretch, the month of the local date there (not the UTC date) and
the direction. How each is decided: docs/statistics.md ("Where, when and which way").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from borderwatch.cases.base import CaseStore
from borderwatch.cases.in_force import case_in_force
from borderwatch.domain import Case
from borderwatch.geo import Boundary, Places
from borderwatch.stats.base import UNKNOWN, EncounterRow, Encounters
from borderwatch.stats.demographic import demographics
from borderwatch.stats.periods import month_of


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    country: str
    timezone: str
    rcmp_division: str | None = None
    rcmp_row: int | None = None
    """Position in the RCMP interception table (1 = first row), None when not a row."""


def load_regions(data: dict[str, Any] | None = None) -> dict[str, Region]:
    """Provinces and states (bundled ``stats/data/regions.yaml`` unless ``data`` is given)."""
    if data is None:
        text = resources.files("borderwatch.stats").joinpath("data/regions.yaml").read_text()
        data = yaml.safe_load(text)
    regions: dict[str, Region] = {}
    for key, country in (("provinces", "CA"), ("states", "US")):
        for code, r in data[key].items():
            if not isinstance(code, str):
                # YAML 1.1 reads a bare ON (Ontario) as true: codes must be quoted.
                raise ValueError(f"region code {code!r} in {key} is not text; quote it")
            regions[code] = Region(
                code, r["name"], country, r["timezone"], r.get("rcmp_division"), r.get("rcmp_row")
            )
    return regions


class Geography:
    """Places an interception: side, segment, region, division, sector and time zone."""

    def __init__(
        self,
        boundary: Boundary | None = None,
        places: Places | None = None,
        regions: dict[str, Region] | None = None,
    ) -> None:
        self.boundary = boundary or Boundary.bundled()
        self.places = places or Places.bundled()
        self.regions = regions or load_regions()

    def region_of(self, segment: str, country: str) -> Region | None:
        # Segment ids are <province>-<state>[-suffix] on the bundled line (module docstring).
        parts = segment.split("#")[0].split("-")
        index = 0 if country == "CA" else 1
        code = parts[index] if len(parts) > index else ""
        region = self.regions.get(code)
        return region if region is not None and region.country == country else None

    def rows_for(self, case: Case) -> list[EncounterRow]:
        """One row per person of the case."""
        i = case.interception
        direction = {"US": "northbound", "CA": "southbound"}.get(case.from_country, UNKNOWN)
        country = self.boundary.country_at(i.lat, i.lon, case.from_country) or UNKNOWN
        segment = self.boundary.segment_id_near(i.lat, i.lon)
        region = self.region_of(segment, country)
        province = self.region_of(segment, "CA")
        sector = self.places.unit_for(segment, i.lon, "US")
        unit = self.places.unit(i.unit_id)
        zone = ZoneInfo(region.timezone) if region else ZoneInfo("UTC")
        month = month_of(i.time.astimezone(zone).date())
        groups = demographics(case.people, case.relations)
        relations_assumed = any(
            a.field == "relations" or a.field.endswith("].relations") for a in case.assumptions
        )
        return [
            EncounterRow(
                month=month,
                country=country,
                region=region.code if region else UNKNOWN,
                segment=segment.split("#")[0],
                rcmp_division=(province.rcmp_division if province else None) or UNKNOWN,
                usbp_sector=sector.unit_id.removeprefix("USBP-") if sector else UNKNOWN,
                unit=i.unit_id,
                agency=unit.agency if unit else UNKNOWN,
                direction=direction,
                citizenship=p.nationalities[0] if p.nationalities else UNKNOWN,
                demographic=str(groups[p.person_id]),
                entry_kind=case.entry_kind,
                simulated=case.simulated or i.simulated,
                # With assumed relations, everyone's category is assumed: a person with no
                # relation recorded is a single adult or an unaccompanied minor only because
                # no relation was assumed for them.
                demographic_assumed=relations_assumed,
            )
            for p in case.people
        ]


def rows_from_cases(
    cases: Iterable[Case], geography: Geography | None = None
) -> Iterator[EncounterRow]:
    geography = geography or Geography()
    for case in cases:
        yield from geography.rows_for(case)


class CaseStoreEncounters:
    """The :class:`borderwatch.stats.base.EncounterSource` over a case store.

    Reads case by case through the :class:`CaseStore` contract, so it works on the SQL store
    and on its in-memory fake alike; the counting itself happens in the engine.
    """

    def __init__(
        self,
        store: CaseStore,
        geography: Geography | None = None,
        entered: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._store = store
        self._geography = geography or Geography()
        self._entered = entered or {}
        """The officer's facts in force by case id (cases/in_force.py ``entered_by_case``,
        read from the audit log at once, not case by case): citizenship and demographic
        come from them, not from the case as the field team opened it; a case no officer
        has entered counts as opened."""

    def encounters(self) -> Encounters:
        return Encounters.from_rows(rows_from_cases(self._cases(), self._geography))

    def _cases(self) -> Iterator[Case]:
        for case_id in self._store.list_cases():
            opened = self._store.get_case(case_id)
            yield case_in_force(opened, self._entered.get(case_id))
