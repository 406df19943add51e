"""Geography: boundaries with sides, local metric frames, places and responsible units."""

from borderwatch.geo.boundary import (
    ON_LINE_TOLERANCE_M,
    Boundary,
    BoundarySegment,
    CrossingPoint,
    side_of,
)
from borderwatch.geo.places import Places, Port
from borderwatch.geo.projection import LocalFrame
from borderwatch.geo.segments import Segments, WatchSegment

__all__ = [
    "ON_LINE_TOLERANCE_M",
    "Boundary",
    "BoundarySegment",
    "CrossingPoint",
    "LocalFrame",
    "Places",
    "Port",
    "Segments",
    "WatchSegment",
    "side_of",
]
