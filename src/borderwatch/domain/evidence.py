"""Evidence: what a sensor saw when it reported a detection (a frame's crop, as PNG).

Kept beside the detection, by its id, so an operator can see what made the system raise
an incident before sending a team (issue 20). Simulated evidence is marked like every
simulated output.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 64 * 1024
"""A crop is a few kilobytes (adapters/sources/thermal/snapshot.py); more is not one."""
EARTH_RADIUS_M = 6_371_008.8
BEFORE = timedelta(minutes=3)
AFTER = timedelta(minutes=1)
"""An incident's evidence is looked for from 3 minutes before its time to 1 minute after:
the group was seen on its way to the line, and just after."""
RADIUS_M = 600.0
LIMIT = 6


@dataclass(frozen=True, slots=True)
class Snapshot:
    detection_id: str
    sensor_id: str
    time: datetime
    lat: float
    lon: float
    png: bytes
    band: str = "lwir"
    """``lwir`` (thermal) or ``nir`` (near-infrared night vision)."""
    simulated: bool = False

    def __post_init__(self) -> None:
        if not self.png.startswith(PNG_SIGNATURE):
            raise ValueError(f"evidence {self.detection_id}: not a PNG")
        if len(self.png) > MAX_PNG_BYTES:
            raise ValueError(f"evidence {self.detection_id}: {len(self.png)} bytes, at most "
                             f"{MAX_PNG_BYTES}")
        if self.time.tzinfo is None:
            raise ValueError(f"evidence {self.detection_id}: time without a time zone")


def nearest(snapshots: Iterable[Snapshot], lat: float, lon: float, when: datetime, *,
            radius_m: float, limit: int) -> list[Snapshot]:
    """Of ``snapshots``, those within ``radius_m`` of (lat, lon), nearest in time to
    ``when`` first (ties: the nearer in space), at most ``limit``.

    Distances on the sphere (haversine): evidence is for eyes, not for the line.

    >>> from datetime import UTC
    >>> t = datetime(2025, 2, 3, 13, 0, tzinfo=UTC)
    >>> png = PNG_SIGNATURE + b"x"
    >>> far = Snapshot("a", "cam", t, 49.1, -111.9, png)
    >>> near = Snapshot("b", "cam", t, 49.0005, -111.9, png)
    >>> [s.detection_id for s in nearest([far, near], 49.0, -111.9, t, radius_m=500,
    ...                                  limit=5)]
    ['b']
    """
    def metres(s: Snapshot) -> float:
        p1, p2 = math.radians(lat), math.radians(s.lat)
        dp, dl = p2 - p1, math.radians(s.lon - lon)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))

    close = [(abs((s.time - when).total_seconds()), d, s)
             for s in snapshots if (d := metres(s)) <= radius_m]
    close.sort(key=lambda item: (item[0], item[1], item[2].detection_id))
    return [s for _, _, s in close[:limit]]
