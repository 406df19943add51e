"""Geographic positions. (lat, lon) order everywhere in the domain; GeoJSON is (lon, lat)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from borderwatch.domain.errors import InputError


def check_lat_lon(lat: object, lon: object) -> tuple[float, float]:
    """Validate a WGS 84 latitude/longitude pair and return it as floats.

    A missing coordinate is an error, never 0: a default of 0 puts a person in the Gulf of
    Guinea, and for a border system a wrong position is a safety bug (docs/references.md, pytak's
    ``cot_point``).

    >>> check_lat_lon(49.0, -111.96)
    (49.0, -111.96)
    >>> check_lat_lon(None, -111.96)
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field lat: is required (a number in degrees)
    """
    return _degrees("lat", lat, 90.0), _degrees("lon", lon, 180.0)


def _degrees(name: str, value: object, limit: float) -> float:
    if value is None:
        raise InputError(name, "is required (a number in degrees)", code="degrees_required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(name, f"must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond a double's range (YAML allows any size)
        raise InputError(
            name, f"must be within [-{limit:g}, {limit:g}], got a huge integer"
        ) from None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise InputError(
            name,
            f"must be within [-{limit:g}, {limit:g}], got {value!r}",
            code="out_of_range",
            params={"min": -limit, "max": limit},
        )
    return number


@dataclass(frozen=True, slots=True)
class Position:
    """A WGS 84 position in degrees. Construction validates; there is no default."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        check_lat_lon(self.lat, self.lon)

    def geojson(self) -> list[float]:
        """GeoJSON coordinate order: [lon, lat] (RFC 7946 section 3.1.1)."""
        return [self.lon, self.lat]
