"""Each sensor's recent activity, for the sensor health panel (``GET /v1/sensors/health``):
when it last reported, how many of its reports were taken and refused over the recent
window, and refused in all. Pure (no clock, no lock, no I/O): the service counts under its
health lock, and tests give made-up times.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

WINDOW_S = 300.0
"""The recent window the rates are measured over (wall seconds), as /healthz's."""
MAX_SENSORS = 10_000
"""Sensors metered at most: a refused report names any sensor id its sender likes, so the
ids kept are bounded; past it new ids are counted as ``unmetered`` only."""


@dataclass(frozen=True)
class SensorActivity:
    """One sensor as the meter saw it, at the moment asked."""

    sensor_id: str
    last_report_s_ago: float
    """Wall seconds since its last report reached the service (taken or refused)."""
    taken: int
    """Reports taken (stored and tracked) in the window."""
    refused: int
    """Reports refused in the window (invalid, undeclared, over a key's limit, ...)."""
    refused_total: int
    """Reports refused since the service started."""

    def per_minute(self, window_s: float) -> float:
        """Reports taken per minute over the window."""
        return round(self.taken * 60.0 / window_s, 2)


@dataclass
class _Seen:
    last: float
    refused_total: int = 0
    seconds: deque[list[float]] = field(default_factory=deque)
    """[second, taken, refused] for each second with something counted."""


class SensorMeter:
    """Counts reports per sensor by second over the recent window (module docstring)."""

    def __init__(self, *, window_s: float = WINDOW_S, max_sensors: int = MAX_SENSORS) -> None:
        self.window_s = window_s
        self.max_sensors = max_sensors
        self.unmetered = 0
        """Reports of sensors beyond ``max_sensors``, not counted per sensor."""
        self._seen: dict[str, _Seen] = {}

    def count(self, now: float, sensor_id: str, *, taken: int = 0, refused: int = 0) -> None:
        """``taken`` and ``refused`` reports of ``sensor_id`` arrived at ``now``."""
        seen = self._seen.get(sensor_id)
        if seen is None:
            if len(self._seen) >= self.max_sensors:
                self.unmetered += taken + refused
                return
            seen = self._seen[sensor_id] = _Seen(now)
        seen.last = max(seen.last, now)
        seen.refused_total += refused
        second = float(int(now))
        if seen.seconds and seen.seconds[-1][0] == second:
            seen.seconds[-1][1] += taken
            seen.seconds[-1][2] += refused
        else:
            seen.seconds.append([second, taken, refused])
        self._forget(seen, now)

    def activity(self, now: float) -> dict[str, SensorActivity]:
        """Every metered sensor's activity at ``now``, by id."""
        out = {}
        for sensor_id, seen in self._seen.items():
            self._forget(seen, now)
            out[sensor_id] = SensorActivity(
                sensor_id=sensor_id,
                last_report_s_ago=round(max(0.0, now - seen.last), 1),
                taken=int(sum(s[1] for s in seen.seconds)),
                refused=int(sum(s[2] for s in seen.seconds)),
                refused_total=seen.refused_total,
            )
        return out

    def _forget(self, seen: _Seen, now: float) -> None:
        """Drop the seconds that have left the window."""
        while seen.seconds and seen.seconds[0][0] <= now - self.window_s:
            seen.seconds.popleft()


__all__ = ["MAX_SENSORS", "WINDOW_S", "SensorActivity", "SensorMeter"]
