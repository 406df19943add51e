"""Declared sensors: which sensor ids a service tracks, who may report for each, and how
many distinct sensors one API key may report for.

A live service tracks only declared sensors: a report from an id nobody declared is
refused at the door (ingest answers a per-item error naming ``sensor_id``) instead of
growing the tracker's and the picture's per-sensor state. A development service or an
exercise can allow undeclared sensors explicitly; each key is then still held to
``max_sensors_per_key`` distinct ids, so one key cannot flood the picture with sensors.
The file format and its loader: adapters/sources/sensor_file.py.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from borderwatch.domain.access import Principal

MAX_SENSORS_PER_KEY = 1_000
"""Distinct sensor ids one API key may report for, unless the registry says otherwise."""


@dataclass(frozen=True, kw_only=True)
class DeclaredSensor:
    """One sensor as the registry declares it."""

    sensor_id: str
    lat: float
    lon: float
    kind: str
    """What it is: camera, thermal, drone, ground, radar, ... (shown, not interpreted)."""
    agency: str
    """The agency (or unit) that owns it, e.g. ``RCMP-K``."""
    reporters: frozenset[str] = frozenset()
    """Who may report for it: agencies (``RCMP-K``), agency families (``RCMP`` matches
    ``RCMP-K``) or key ids (``key-…``). Empty: the owning agency's keys."""
    expected_interval_s: float | None = None
    """Silent longer than this (wall seconds): /healthz says degraded. None: not watched."""
    info: Mapping[str, Any] = field(default_factory=dict)
    """Coverage shown on the map: azimuth_deg, fov_deg, range_m."""

    def may_report(self, who: Principal) -> bool:
        """Whether ``who``'s key may report for this sensor (admins may, for any)."""
        allowed = self.reporters or frozenset({self.agency})
        return (who.role.value == "admin" or who.key_id in allowed or who.agency in allowed
                or who.sharing_agency in allowed)


class SensorRegistry:
    """The declared sensors, and the distinct ids each key reported for (module docstring).

    Not thread-safe for :meth:`admit`; the caller serialises it (ingest holds a lock)."""

    def __init__(self, sensors: Iterable[DeclaredSensor] = (), *,
                 allow_undeclared: bool = False,
                 max_sensors_per_key: int = MAX_SENSORS_PER_KEY) -> None:
        if max_sensors_per_key < 1:
            raise ValueError("max_sensors_per_key must be >= 1")
        self.sensors: dict[str, DeclaredSensor] = {}
        for sensor in sensors:
            if sensor.sensor_id in self.sensors:
                raise ValueError(f"sensor {sensor.sensor_id!r} is declared twice")
            self.sensors[sensor.sensor_id] = sensor
        self.allow_undeclared = allow_undeclared
        self.max_sensors_per_key = max_sensors_per_key
        self._by_key: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self.sensors)

    def get(self, sensor_id: str) -> DeclaredSensor | None:
        return self.sensors.get(sensor_id)

    def admit(self, sensor_id: str, who: Principal | None) -> str | None:
        """None if ``who`` may report for ``sensor_id`` now (and it is counted to the key),
        else the reason it may not. ``who`` None: a trusted producer inside the service
        (a scenario replay), held to nothing.

        >>> r = SensorRegistry([DeclaredSensor(sensor_id="cam-1", lat=49.0, lon=-112.0,
        ...                    kind="camera", agency="RCMP-K")])
        >>> from borderwatch.domain.access import Role
        >>> r.admit("cam-1", Principal("key-a", "RCMP-K", Role.OPERATOR)) is None
        True
        >>> r.admit("cam-9", Principal("key-a", "RCMP-K", Role.OPERATOR))
        'is not a declared sensor (declare it in the sensor registry)'
        >>> r.admit("cam-1", Principal("key-b", "USBP-HVM", Role.OPERATOR))
        'this key (agency USBP-HVM) may not report for sensor cam-1'
        """
        if who is None:
            return None
        declared = self.sensors.get(sensor_id)
        if declared is None:
            if not self.allow_undeclared:
                return "is not a declared sensor (declare it in the sensor registry)"
        elif not declared.may_report(who):
            return f"this key (agency {who.agency}) may not report for sensor {sensor_id}"
        seen = self._by_key.setdefault(who.key_id, set())
        if sensor_id not in seen:
            if len(seen) >= self.max_sensors_per_key:
                return (f"this key already reports for {len(seen)} sensors, the most one "
                        "key may (max_sensors_per_key)")
            seen.add(sensor_id)
        return None

    def expected_intervals(self) -> dict[str, float]:
        """Each watched sensor's longest expected silence (wall seconds)."""
        return {s.sensor_id: s.expected_interval_s for s in self.sensors.values()
                if s.expected_interval_s is not None}


def page_after(ids: Iterable[str], cursor: str | None, limit: int) -> tuple[list[str], str | None]:
    """One page of ``ids`` in sorted order: up to ``limit`` ids after ``cursor`` (None:
    from the first), and the cursor of the next page (None: this was the last).

    >>> page_after(["c", "a", "b"], None, 2)
    (['a', 'b'], 'b')
    >>> page_after(["c", "a", "b"], "b", 2)
    (['c'], None)
    """
    ordered = sorted(ids)
    start = 0 if cursor is None else bisect.bisect_right(ordered, cursor)
    chosen = ordered[start:start + limit]
    more = start + limit < len(ordered)
    return chosen, (chosen[-1] if more and chosen else None)
