"""Local metric frames. Distances are computed in metres on a conformal projection, never in
degrees (docs/references.md, "Conventions")."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class LocalFrame:
    """A Lambert conformal conic frame fitted to a region, in metres (east, north).

    Conformal, so angles and headings are true; with standard parallels inside the region the
    scale error is below 1e-4 over a band of a few degrees of latitude (Snyder, *Map
    Projections - A Working Manual*, USGS PP 1395, ch. 15). Along the 49th parallel with both
    standard parallels at 49 N the scale is exactly 1 on the line itself.
    """

    lat_0: float
    lon_0: float
    lat_1: float
    lat_2: float
    _forward: Transformer = field(init=False, repr=False, compare=False)
    _inverse: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crs = CRS.from_proj4(
            f"+proj=lcc +lat_0={self.lat_0} +lon_0={self.lon_0} +lat_1={self.lat_1} "
            f"+lat_2={self.lat_2} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
        )
        wgs84 = CRS.from_epsg(4326)
        object.__setattr__(self, "_forward", Transformer.from_crs(wgs84, crs, always_xy=True))
        object.__setattr__(self, "_inverse", Transformer.from_crs(crs, wgs84, always_xy=True))

    @classmethod
    def for_bounds(
        cls, min_lat: float, max_lat: float, min_lon: float, max_lon: float
    ) -> LocalFrame:
        """A frame centred on a bounding box, standard parallels at 1/6 and 5/6 of its height
        (the usual rule of thumb for conic projections, Snyder p. 104)."""
        span = max_lat - min_lat
        return cls(
            lat_0=round((min_lat + max_lat) / 2, 6),
            lon_0=round((min_lon + max_lon) / 2, 6),
            lat_1=round(min_lat + span / 6, 6),
            lat_2=round(max_lat - span / 6, 6),
        )

    def to_local(self, lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """WGS 84 degrees -> (east, north) metres. Note the (lat, lon) argument order."""
        east, north = self._forward.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(east, float), np.asarray(north, float)

    def to_geo(self, east: ArrayLike, north: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(east, north) metres -> (lat, lon) WGS 84 degrees."""
        lon, lat = self._inverse.transform(np.asarray(east, float), np.asarray(north, float))
        return np.asarray(lat, float), np.asarray(lon, float)

    def point_to_local(self, lat: float, lon: float) -> tuple[float, float]:
        east, north = self.to_local(lat, lon)
        return float(east), float(north)

    def point_to_geo(self, east: float, north: float) -> tuple[float, float]:
        lat, lon = self.to_geo(east, north)
        return float(lat), float(lon)
