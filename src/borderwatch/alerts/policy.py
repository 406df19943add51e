"""Routing policy: which incidents go to which units, over which channels, how often, and
who is paged when nobody acknowledges (the YAML format is in docs/alert-policy.md).

The semantics are the ones operators know from Alertmanager and PagerDuty
(docs/references.md): routes are tried in order and the first whose ``match``
holds decides (``continue: true`` lets later routes add recipients); alerts are grouped by
a key so one crossing does not page ten times; an inhibition rule lets a higher alert
(crossing) silence a lower one (approach) about the same track; an escalation chain
pages the next target after a delay, looping a fixed number of times.

Loading validates everything and names the offending field (``routes[2].match.type``); a
policy never half-loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from borderwatch.domain import AgencyUnit, Incident, IncidentType, InputError, Severity

CHANNELS = frozenset({"console", "jsonl", "cot", "cap", "webhook", "mqtt"})
"""Channel names a policy may use; a deployment configures the ones it has."""
SYMBOLIC_TARGETS = frozenset({"responsible", "partner"})
GROUP_FIELDS = frozenset({"track_id", "type", "segment", "direction", "incident_id"})
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h)$")
_UNITS_S = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object, field: str) -> float:
    """``90s``, ``5m``, ``1h`` or a number of seconds, as seconds.

    >>> parse_duration("2m", "after"), parse_duration(30, "after")
    (120.0, 30.0)
    """
    if isinstance(value, bool):
        raise InputError(field, f"must be a duration like 90s, 5m or 1h, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        found = _DURATION.match(str(value).strip())
        if not found:
            raise InputError(field, f"must be a duration like 90s, 5m or 1h, got {value!r}")
        seconds = float(found.group(1)) * _UNITS_S[found.group(2)]
    if seconds < 0:
        raise InputError(field, f"must not be negative, got {value!r}")
    return seconds


@dataclass(frozen=True, slots=True)
class Match:
    """Conditions on an incident; an empty condition matches anything."""

    types: frozenset[str] = frozenset()
    directions: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    severity_at_least: Severity | None = None
    reasons_any: frozenset[str] = frozenset()
    """Risk reason codes (``children``, ``extreme_cold`` ...); one with points > 0 suffices."""

    def holds(self, facts: IncidentFacts) -> bool:
        if self.types and facts.type not in self.types:
            return False
        if self.directions and facts.direction not in self.directions:
            return False
        if self.segments and facts.segment not in self.segments:
            return False
        if self.severity_at_least is not None and facts.severity.rank < self.severity_at_least.rank:
            return False
        return not (self.reasons_any and not facts.reasons & self.reasons_any)


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What policies match on, kept with each alert so inhibition can match stored alerts."""

    incident_id: str
    type: str
    direction: str
    """``northbound`` / ``southbound``, or empty."""
    segment: str
    track_id: str
    severity: Severity
    reasons: frozenset[str]
    """Risk reason codes that scored points."""

    @classmethod
    def of(cls, incident: Incident) -> IncidentFacts:
        return cls(
            incident_id=incident.incident_id,
            type=incident.type.value,
            direction=incident.direction.value if incident.direction else "",
            segment=incident.segment,
            track_id=incident.track_id,
            severity=incident.severity,
            reasons=frozenset(r.code for r in incident.risk.reasons if r.points > 0),
        )

    def value(self, name: str) -> str:
        """A grouping / equality field by name (one of GROUP_FIELDS)."""
        return str(getattr(self, name))


@dataclass(frozen=True, slots=True)
class Target:
    """One recipient of a route: a unit id, or ``responsible`` / ``partner``."""

    to: str
    channels: tuple[str, ...]
    escalation: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    match: Match
    notify: tuple[Target, ...]
    continue_: bool = False


@dataclass(frozen=True, slots=True)
class EscalationStep:
    after_s: float
    """Delay after the previous page (the first step: after the alert was raised)."""
    to: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Escalation:
    steps: tuple[EscalationStep, ...]
    loops: int
    """How many times the whole chain is repeated after its first pass (0: once)."""

    def step(self, level: int) -> EscalationStep | None:
        """The step for the ``level``-th page (0-based), or None when the chain is done."""
        if not self.steps or level >= len(self.steps) * (self.loops + 1):
            return None
        return self.steps[level % len(self.steps)]


@dataclass(frozen=True, slots=True)
class Inhibit:
    source: Match
    target: Match
    equal: tuple[str, ...]


@dataclass(frozen=True)
class AlertPolicy:
    """Routes, units, grouping, repeat interval, inhibit rules and escalation chains, as
    read from the alert policy file (docs/alert-policy.md)."""

    routes: tuple[Route, ...]
    units: dict[str, AgencyUnit]
    group_by: tuple[str, ...] = ("track_id", "type")
    repeat_interval_s: float = 1800.0
    inhibit: tuple[Inhibit, ...] = ()
    escalations: dict[str, Escalation] | None = None
    life_at_risk: Match = Match(reasons_any=frozenset({"extreme_cold", "children"}))

    def routes_for(self, facts: IncidentFacts) -> list[Route]:
        """Routes whose match holds, in order, stopping at the first without ``continue``."""
        out = []
        for route in self.routes:
            if route.match.holds(facts):
                out.append(route)
                if not route.continue_:
                    break
        return out

    def escalation(self, name: str | None) -> Escalation | None:
        return (self.escalations or {}).get(name) if name else None

    def life_at_risk_for(self, facts: IncidentFacts) -> bool:
        return self.life_at_risk.reasons_any != frozenset() and self.life_at_risk.holds(facts)

    def group_key(self, facts: IncidentFacts, unit_id: str) -> str:
        """Alerts with the same key (per recipient unit) are one alert, re-notified only
        after the repeat interval."""
        return "|".join([unit_id, *(f"{k}={facts.value(k)}" for k in self.group_by)])

    # -- loading -----------------------------------------------------------------------

    @classmethod
    def bundled(cls) -> AlertPolicy:
        text = resources.files("borderwatch.alerts").joinpath("policy.yaml").read_text("utf-8")
        return cls.from_dict(yaml.safe_load(text), "bundled policy.yaml")

    @classmethod
    def load(cls, path: str | Path) -> AlertPolicy:
        try:
            data = yaml.safe_load(Path(path).read_text("utf-8"))
        except yaml.YAMLError as err:
            raise InputError(None, f"not valid YAML ({err})", source=str(path)) from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "alert policy") -> AlertPolicy:
        try:
            return _build(data)
        except InputError as err:
            raise err.at(source=source) from None


def _build(data: Any) -> AlertPolicy:
    top = _mapping(data, "policy")
    units: dict[str, AgencyUnit] = {}
    for i, raw in enumerate(_list(top.get("units"), "units")):
        node = _mapping(raw, f"units[{i}]")
        unit = AgencyUnit(
            unit_id=_text(node, "unit_id", f"units[{i}]"),
            name=_text(node, "name", f"units[{i}]"),
            agency=_text(node, "agency", f"units[{i}]"),
            country=_text(node, "country", f"units[{i}]"),
        )
        units[unit.unit_id] = unit
    grouping = _mapping(top.get("grouping") or {}, "grouping")
    group_by = tuple(_strings(grouping.get("by", ["track_id", "type"]), "grouping.by"))
    bad = set(group_by) - GROUP_FIELDS
    if bad:
        raise InputError("grouping.by", f"unknown fields {sorted(bad)}; use {sorted(GROUP_FIELDS)}")
    repeat = parse_duration(grouping.get("repeat_interval", "30m"), "grouping.repeat_interval")
    escalations = {
        str(name): _escalation(raw, f"escalations.{name}")
        for name, raw in _mapping(top.get("escalations") or {}, "escalations").items()
    }
    routes = tuple(
        _route(raw, f"routes[{i}]", escalations)
        for i, raw in enumerate(_list(top.get("routes"), "routes"))
    )
    if not routes:
        raise InputError("routes", "a policy needs at least one route")
    inhibit = tuple(
        _inhibit(raw, f"inhibit[{i}]") for i, raw in enumerate(_list(top.get("inhibit"), "inhibit"))
    )
    life = _match(top.get("life_at_risk") or {}, "life_at_risk")
    return AlertPolicy(
        routes=routes,
        units=units,
        group_by=group_by,
        repeat_interval_s=repeat,
        inhibit=inhibit,
        escalations=escalations,
        life_at_risk=life,
    )


def _route(raw: Any, where: str, escalations: dict[str, Escalation]) -> Route:
    node = _mapping(raw, where)
    name = _text(node, "name", where)
    match = _match(node.get("match") or {}, f"{where}.match")
    notify = []
    for j, target_raw in enumerate(_list(node.get("notify"), f"{where}.notify")):
        t_where = f"{where}.notify[{j}]"
        target = _mapping(target_raw, t_where)
        escalation = target.get("escalation")
        if escalation is not None and str(escalation) not in escalations:
            raise InputError(f"{t_where}.escalation", f"no escalation named {escalation!r}")
        notify.append(
            Target(
                to=_text(target, "to", t_where),
                channels=_channels(target.get("channels"), f"{t_where}.channels"),
                escalation=None if escalation is None else str(escalation),
            )
        )
    if not notify:
        raise InputError(f"{where}.notify", "a route must notify at least one target")
    return Route(
        name=name,
        match=match,
        notify=tuple(notify),
        continue_=bool(node.get("continue", False)),
    )


def _match(raw: Any, where: str) -> Match:
    node = _mapping(raw, where)
    known = {"type", "direction", "segment", "severity_at_least", "reasons_any"}
    unknown = set(node) - known
    if unknown:
        raise InputError(f"{where}.{sorted(unknown)[0]}", f"unknown condition; use {sorted(known)}")
    types = frozenset(_strings(node.get("type", []), f"{where}.type"))
    valid_types = {t.value for t in IncidentType}
    if types - valid_types:
        raise InputError(f"{where}.type", f"unknown incident types {sorted(types - valid_types)}")
    directions = frozenset(_strings(node.get("direction", []), f"{where}.direction"))
    if directions - {"northbound", "southbound"}:
        raise InputError(f"{where}.direction", "must be northbound and/or southbound")
    severity = node.get("severity_at_least")
    if severity is not None and severity not in {s.value for s in Severity}:
        raise InputError(
            f"{where}.severity_at_least", f"must be one of {[s.value for s in Severity]}"
        )
    return Match(
        types=types,
        directions=directions,
        segments=frozenset(_strings(node.get("segment", []), f"{where}.segment")),
        severity_at_least=None if severity is None else Severity(severity),
        reasons_any=frozenset(_strings(node.get("reasons_any", []), f"{where}.reasons_any")),
    )


def _escalation(raw: Any, where: str) -> Escalation:
    node = _mapping(raw, where)
    steps = []
    for k, step_raw in enumerate(_list(node.get("steps"), f"{where}.steps")):
        s_where = f"{where}.steps[{k}]"
        step = _mapping(step_raw, s_where)
        if "after" not in step:
            raise InputError(f"{s_where}.after", "is required")
        steps.append(
            EscalationStep(
                after_s=parse_duration(step["after"], f"{s_where}.after"),
                to=_text(step, "to", s_where),
                channels=_channels(step.get("channels"), f"{s_where}.channels"),
            )
        )
    if not steps:
        raise InputError(f"{where}.steps", "an escalation needs at least one step")
    loops = node.get("loops", 0)
    if not isinstance(loops, int) or isinstance(loops, bool) or not 0 <= loops <= 10:
        raise InputError(f"{where}.loops", f"must be an integer in [0, 10], got {loops!r}")
    return Escalation(tuple(steps), loops)


def _inhibit(raw: Any, where: str) -> Inhibit:
    node = _mapping(raw, where)
    equal = tuple(_strings(node.get("equal", []), f"{where}.equal"))
    if set(equal) - GROUP_FIELDS:
        raise InputError(f"{where}.equal", f"fields must be among {sorted(GROUP_FIELDS)}")
    return Inhibit(
        source=_match(node.get("source") or {}, f"{where}.source"),
        target=_match(node.get("target") or {}, f"{where}.target"),
        equal=equal,
    )


def _channels(raw: Any, where: str) -> tuple[str, ...]:
    names = _strings(raw, where)
    if not names:
        raise InputError(where, "name at least one channel")
    unknown = set(names) - CHANNELS
    if unknown:
        raise InputError(where, f"unknown channels {sorted(unknown)}; use {sorted(CHANNELS)}")
    return tuple(names)


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InputError(where, f"must be a mapping, got {type(raw).__name__}")
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(where, f"must be a list, got {type(raw).__name__}")
    return raw


def _strings(raw: Any, where: str) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    items = _list(raw, where)
    if not all(isinstance(x, str) and x for x in items):
        raise InputError(where, "must be a list of non-empty strings")
    return list(items)


def _text(node: dict[str, Any], key: str, where: str) -> str:
    value = node.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}.{key}", "is required (a non-empty string)")
    return value
