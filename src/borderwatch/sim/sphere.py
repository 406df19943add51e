"""Metres to degrees near the 49th parallel on a sphere: the generators' conversion.

The crossing suite, the throughput benchmark's stream and the thermal scenes place things
in metres and convert them with these numbers. This is the generator, not the system under
test: the pipeline uses its own projection (``geo.LocalFrame``), so an error here is noise
in the test data, not a bias the tests would share with the code they test.
"""

from __future__ import annotations

import math
from typing import Final

M_PER_DEG_LAT: Final = 111_200.0
"""Metres per degree of latitude (a sphere of mean radius, rounded)."""
LINE_LAT: Final = 49.0
"""The 49th parallel: the boundary from Lake of the Woods to the Pacific."""
M_PER_DEG_LON: Final = M_PER_DEG_LAT * math.cos(math.radians(LINE_LAT))
"""Metres per degree of longitude along the 49th parallel."""


class ParallelStrip:
    """A stretch of the 49th parallel between two longitudes (subclasses give them)."""

    west_lon: float
    east_lon: float

    @property
    def m_per_deg_lon(self) -> float:
        return M_PER_DEG_LON

    @property
    def length_m(self) -> float:
        """East-west length of the stretch along the line."""
        return (self.east_lon - self.west_lon) * self.m_per_deg_lon
