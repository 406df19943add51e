"""Places as data: ports of entry and the units responsible for each stretch of boundary."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from borderwatch.domain import AgencyUnit, InputError
from borderwatch.geo.measure import great_circle_m


@dataclass(frozen=True)
class Port:
    port_id: str
    name: str
    lat: float
    lon: float
    segment: str


@dataclass(frozen=True)
class Coverage:
    segment: str
    lon_min: float = -math.inf
    lon_max: float = math.inf

    def contains(self, segment: str, lon: float) -> bool:
        return segment.split("#")[0] == self.segment and self.lon_min <= lon <= self.lon_max


@dataclass(frozen=True)
class ResponsibleUnit:
    unit: AgencyUnit
    covers: tuple[Coverage, ...]


@dataclass(frozen=True)
class Places:
    """Ports of entry and the responsible units and the stretch of line each covers: who
    is told about an incident at a place. Bundled as geo/data/places.yaml; a site may
    load its own."""

    ports: tuple[Port, ...]
    units: tuple[ResponsibleUnit, ...]
    _by_id: Mapping[str, AgencyUnit] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once: every case read and every row of the statistics looks a unit up.
        object.__setattr__(self, "_by_id", {r.unit.unit_id: r.unit for r in self.units})

    def unit(self, unit_id: str) -> AgencyUnit | None:
        """The declared unit with this id, None for a unit these places do not know."""
        return self._by_id.get(unit_id)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "places") -> Places:
        try:
            ports = tuple(
                Port(p["id"], p["name"], float(p["lat"]), float(p["lon"]), p["segment"])
                for p in data.get("ports_of_entry", [])
            )
            units = tuple(
                ResponsibleUnit(
                    AgencyUnit(u["unit_id"], u["name"], u["agency"], u["country"]),
                    tuple(
                        Coverage(
                            c["segment"],
                            float(c.get("lon_min", -math.inf)),
                            float(c.get("lon_max", math.inf)),
                        )
                        for c in u["covers"]
                    ),
                )
                for u in data.get("units", [])
            )
        except KeyError as err:
            raise InputError(str(err.args[0]), "is required", source=source) from None
        return cls(ports, units)

    @classmethod
    def bundled(cls) -> Places:
        text = resources.files("borderwatch.geo").joinpath("data/places.yaml").read_text("utf-8")
        return cls.from_dict(yaml.safe_load(text), source="bundled places.yaml")

    @classmethod
    def load(cls, path: str | Path) -> Places:
        return cls.from_dict(yaml.safe_load(Path(path).read_text("utf-8")), source=str(path))

    def unit_for(self, segment: str, lon: float, country: str) -> AgencyUnit | None:
        """The unit of ``country`` responsible for the boundary at (segment, lon)."""
        for responsible in self.units:
            if responsible.unit.country == country and any(
                c.contains(segment, lon) for c in responsible.covers
            ):
                return responsible.unit
        return None

    def nearest_port(self, lat: float, lon: float) -> tuple[Port, float] | None:
        """The nearest port of entry and its distance in km."""
        best: tuple[Port, float] | None = None
        for port in self.ports:
            km = great_circle_m(lat, lon, port.lat, port.lon) / 1000.0
            if best is None or km < best[1]:
                best = (port, km)
        return best
