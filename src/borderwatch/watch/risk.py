"""Humanitarian risk of a group in the open: cold, darkness, children, group size.

A score with its reasons, not a black box: each reason says what it is and how many points
it adds, so an operator can see why an incident is "extreme". The thresholds follow the
Environment and Climate Change Canada wind-chill/cold guidance (risk of frostbite rises
sharply below -27 on the wind-chill index; "extreme cold" warnings in the Prairies are
issued near -40) and civil twilight (sun 6 degrees below the horizon) for darkness.
Unknown facts add no points and are listed as unknown, never assumed benign or severe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from astral import Observer
from astral.sun import elevation

from borderwatch.domain import Kind, Risk, RiskReason, Severity


@dataclass(frozen=True, slots=True)
class Conditions:
    temperature_c: float | None
    snow_cover: bool | None = None
    wind_ms: float | None = None


class ConditionsProvider(Protocol):
    def conditions_at(self, lat: float, lon: float, time: datetime) -> Conditions: ...


@dataclass(frozen=True)
class FixedConditions:
    """Weather known for the whole area and period (a scenario, or an operator's entry)."""

    conditions: Conditions

    def conditions_at(self, lat: float, lon: float, time: datetime) -> Conditions:
        return self.conditions


UNKNOWN_CONDITIONS = FixedConditions(Conditions(temperature_c=None))


def wind_chill_c(temperature_c: float, wind_ms: float | None) -> float:
    """Wind-chill index (Osczevski & Bluestein 2005, the North American formula, wind at
    10 m in km/h). Below 5 km/h the index is the air temperature.

    >>> round(wind_chill_c(-27.0, 5.0), 1)
    -38.7
    """
    if wind_ms is None:
        return temperature_c
    v = wind_ms * 3.6
    if v < 5.0:
        return temperature_c
    v16 = v**0.16
    return float(13.12 + 0.6215 * temperature_c - 11.37 * v16 + 0.3965 * temperature_c * v16)


def sun_elevation_deg(lat: float, lon: float, time: datetime) -> float:
    return float(elevation(Observer(latitude=lat, longitude=lon), time))


@dataclass(frozen=True)
class RiskModel:
    """Scores the humanitarian risk of a group where and when it was seen.

    Weather comes from ``conditions`` (unknown by default, which adds no points); darkness
    from the sun's elevation. The thresholds and why are in this module's docstring.
    """

    conditions: ConditionsProvider = UNKNOWN_CONDITIONS

    def assess(
        self,
        *,
        lat: float,
        lon: float,
        time: datetime,
        kind: Kind,
        group_size: int,
        children: int | None,
    ) -> Risk:
        """The risk of ``group_size`` of ``kind`` at (lat, lon) at ``time``: a score, its
        severity and every reason with its points.

        Cold and snow count only for people on foot (or an unknown kind); ``children``
        None means the group's make-up was not seen, which is listed, never scored.
        """
        reasons: list[RiskReason] = []
        weather = self.conditions.conditions_at(lat, lon, time)
        on_foot = kind in (Kind.PERSON, Kind.UNKNOWN)
        if weather.temperature_c is None:
            reasons.append(RiskReason("temperature_unknown", "temperature unknown", 0))
        elif on_foot:
            felt = wind_chill_c(weather.temperature_c, weather.wind_ms)
            text = f"{weather.temperature_c:.0f} °C"
            chill: int | None = None
            if felt < weather.temperature_c - 0.5:
                chill = round(felt)
                text += f" (wind chill {felt:.0f})"
            cold = (("temperature_c", round(weather.temperature_c)), ("wind_chill_c", chill))
            if felt <= -27:
                reasons.append(RiskReason("extreme_cold", f"extreme cold: {text}", 4, cold))
            elif felt <= -15:
                reasons.append(RiskReason("severe_cold", f"severe cold: {text}", 2, cold))
            elif felt <= 0:
                reasons.append(RiskReason("cold", f"cold: {text}", 1, cold))
        sun = sun_elevation_deg(lat, lon, time)
        if sun < -6.0:
            # Said as a depression ("16° below"), never "-16° below": a double negative.
            reasons.append(
                RiskReason(
                    "night",
                    f"dark (sun {-sun:.0f}° below the horizon)",
                    2,
                    (("sun_below_deg", round(-sun)),),
                )
            )
        if on_foot and weather.snow_cover:
            reasons.append(RiskReason("snow", "on foot in snow", 1))
        if children is None:
            if on_foot:
                reasons.append(RiskReason("ages_unknown", "group composition not seen", 0))
        elif children > 0:
            reasons.append(
                RiskReason(
                    "children", f"children in group: {children}", 3, (("count", children),)
                )
            )
        if group_size >= 5:
            reasons.append(
                RiskReason(
                    "large_group", f"group of about {group_size}", 1, (("group_size", group_size),)
                )
            )
        score = sum(r.points for r in reasons)
        return Risk(score=score, severity=severity_for(score), reasons=tuple(reasons))


def severity_for(score: int) -> Severity:
    """Score to severity: >= 8 extreme, >= 5 severe, >= 3 moderate, else minor.

    >>> severity_for(13), severity_for(5), severity_for(0)
    (<Severity.EXTREME: 'extreme'>, <Severity.SEVERE: 'severe'>, <Severity.MINOR: 'minor'>)
    """
    if score >= 8:
        return Severity.EXTREME
    if score >= 5:
        return Severity.SEVERE
    if score >= 3:
        return Severity.MODERATE
    return Severity.MINOR
