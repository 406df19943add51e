"""Short distances between WGS 84 points for labels and matching (not for side-of-line)."""

from __future__ import annotations

import math

EARTH_MEAN_RADIUS_M = 6_371_008.8
"""IUGG mean radius R1 (Moritz, Geodetic Reference System 1980)."""


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in metres; within 0.5% of the ellipsoidal distance.

    >>> round(great_circle_m(49.0, -111.961, 49.0, -111.9))
    4450
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(math.sqrt(h))
