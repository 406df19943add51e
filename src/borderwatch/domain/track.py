"""Tracks: what the tracker believes about one object or one group moving together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from borderwatch.domain.detection import Kind


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    """A track's state after a scan, as the watch stage and the outputs see it.

    Positions are WGS 84; ``east_m``/``north_m`` are the same point in the tracker's local
    metric frame (watch rules measure distances there). Velocity is in metres per second
    in that frame; ``heading_deg`` is the compass course over ground (0 = north, 90 = east).
    """

    track_id: str
    time: datetime
    epoch_s: float
    lat: float
    lon: float
    east_m: float
    north_m: float
    velocity_east_ms: float
    velocity_north_ms: float
    position_sigma_m: float
    """1-sigma horizontal position uncertainty (square root of the larger covariance axis)."""
    group_size: int
    """Head count estimate (from the counts of the detections that updated this track)."""
    group_size_sigma: float
    children: int | None
    """Children seen in the group, when a sensor judged ages; None when no sensor did."""
    kind: Kind
    kind_probability: float
    confirmed: bool
    hits: int
    sensors: tuple[str, ...]
    simulated: bool

    @property
    def speed_ms(self) -> float:
        return float((self.velocity_east_ms**2 + self.velocity_north_ms**2) ** 0.5)

    @property
    def heading_deg(self) -> float:
        import math

        return math.degrees(math.atan2(self.velocity_east_ms, self.velocity_north_ms)) % 360.0
