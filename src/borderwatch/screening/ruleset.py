"""The rule set as data: ``rules.yaml`` loaded and validated once, at import.

Every rule carries its citation and the dates it is in force. The engine picks the rules in
force on the *law date* (the claim date by default), so a what-if on another date reads the
law of that date rather than today's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, Literal

import yaml

from borderwatch.domain import InputError

RuleKind = Literal["applies", "not_applicable", "exception"]
RULE_KINDS: frozenset[str] = frozenset({"applies", "not_applicable", "exception"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One rule or exception of the Agreement, as the regulation states it."""

    rule_id: str
    """``A1``-``A3`` (applies), ``N1``-``N5`` (does not apply), ``E1``-``E9`` (exceptions)."""
    kind: RuleKind
    title: str
    text: str
    """Plain-language statement an officer can read."""
    citation: str
    effective_from: date
    effective_to: date | None
    """Last day in force; None while still in force."""
    entry_on_or_after: date | None = None
    """Transitional: only entries on or after this day are covered (SOR/2023-58)."""
    entry_before: date | None = None
    days_limit: int | None = None

    def in_force(self, law_date: date) -> bool:
        """In force on ``law_date``; both ends inclusive.

        >>> r = RULES.rules["A2"]
        >>> r.in_force(date(2023, 3, 24)), r.in_force(date(2023, 3, 25))
        (False, True)
        """
        return _within(law_date, self.effective_from, self.effective_to)


@dataclass(frozen=True, slots=True, kw_only=True)
class DatedPeriod:
    """A rule set or a suspension notice: in force from/to (inclusive)."""

    period_id: str
    text: str
    effective_from: date
    effective_to: date | None

    def covers(self, day: date) -> bool:
        return _within(day, self.effective_from, self.effective_to)


@dataclass(frozen=True, slots=True, kw_only=True)
class RemovalList:
    """A dated list of countries to which removal is deferred (ADR) or suspended (TSR)."""

    programme: str
    as_reported: str
    countries: dict[str, str]
    partial: dict[str, str]
    """Only part of the country is covered: the officer must check the region."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSet:
    """Everything ``rules.yaml`` holds, validated."""

    agreement_in_force: date
    rule_sets: tuple[DatedPeriod, ...]
    family_members: frozenset[str]
    """IRPR 159.1: the relations that make someone a family member."""
    rules: dict[str, Rule]
    suspensions: tuple[DatedPeriod, ...]
    later_law_after: date
    later_law_text: str
    removal_citation: str
    removal_note: str
    removal_lists: tuple[RemovalList, ...]

    def rule_set_id(self, law_date: date) -> str | None:
        """Which rule set is in force on ``law_date`` (None before the Agreement)."""
        return next((rs.period_id for rs in self.rule_sets if rs.covers(law_date)), None)

    def suspension_on(self, law_date: date) -> DatedPeriod | None:
        return next((s for s in self.suspensions if s.covers(law_date)), None)


def _date(raw: Any, where: str, *, nullable: bool = False) -> date | None:
    if raw is None and nullable:
        return None
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise InputError(where, f"must be an ISO date{' or null' if nullable else ''}, got {raw!r}")


def _req_date(raw: Any, where: str) -> date:
    value = _date(raw, where)
    assert value is not None
    return value


def _str(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InputError(where, f"must be a non-empty string, got {raw!r}")
    return raw


def _map(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InputError(where, f"must be a mapping, got {type(raw).__name__}")
    return raw


def _period(raw: Any, where: str) -> DatedPeriod:
    item = _map(raw, where)
    start, end = _effective(item, where)
    return DatedPeriod(
        period_id=_str(item.get("id"), f"{where}.id"),
        text=str(item.get("text") or item.get("citation") or ""),
        effective_from=start,
        effective_to=end,
    )


def _rule(raw: Any, where: str) -> Rule:
    item = _map(raw, where)
    kind = item.get("kind")
    if kind not in RULE_KINDS:
        raise InputError(f"{where}.kind", f"must be one of {sorted(RULE_KINDS)}, got {kind!r}")
    days = item.get("days_limit")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        raise InputError(f"{where}.days_limit", f"must be a positive integer, got {days!r}")
    start, end = _effective(item, where)
    return Rule(
        rule_id=_str(item.get("id"), f"{where}.id"),
        kind=kind,
        title=_str(item.get("title"), f"{where}.title"),
        text=_str(item.get("text"), f"{where}.text"),
        citation=_str(item.get("citation"), f"{where}.citation"),
        effective_from=start,
        effective_to=end,
        entry_on_or_after=_date(
            item.get("entry_on_or_after"), f"{where}.entry_on_or_after", nullable=True
        ),
        entry_before=_date(item.get("entry_before"), f"{where}.entry_before", nullable=True),
        days_limit=days,
    )


def _effective(item: dict[str, Any], where: str) -> tuple[date, date | None]:
    """``effective_from`` (required) and ``effective_to`` (null: still in force)."""
    start = _req_date(item.get("effective_from"), f"{where}.effective_from")
    end = _date(item.get("effective_to"), f"{where}.effective_to", nullable=True)
    if end is not None and end < start:
        raise InputError(f"{where}.effective_to", "is before effective_from")
    return start, end


def _within(day: date, start: date, end: date | None) -> bool:
    """``start <= day <= end``, both ends inclusive; no ``end`` is open-ended."""
    return start <= day and (end is None or day <= end)


def _removal_list(raw: Any, where: str) -> RemovalList:
    item = _map(raw, where)
    countries = _map(item.get("countries"), f"{where}.countries")
    partial = _map(item.get("partial") or {}, f"{where}.partial")
    for code in [*countries, *partial]:
        if not (isinstance(code, str) and len(code) == 2 and code.isupper()):
            raise InputError(f"{where}.countries", f"{code!r} is not an ISO 3166-1 alpha-2 code")
    return RemovalList(
        programme=_str(item.get("programme"), f"{where}.programme"),
        as_reported=str(item.get("as_reported")),
        countries={k: str(v) for k, v in countries.items()},
        partial={k: str(v) for k, v in partial.items()},
    )


def parse_rule_set(raw: Any) -> RuleSet:
    """Validate the YAML document; raise :class:`InputError` naming the bad field."""
    doc = _map(raw, "rules.yaml")
    rules: dict[str, Rule] = {}
    for index, item in enumerate(doc.get("rules") or []):
        rule = _rule(item, f"rules[{index}]")
        if rule.rule_id in rules:
            raise InputError(f"rules[{index}].id", f"duplicate rule id {rule.rule_id}")
        rules[rule.rule_id] = rule
    later = _map(doc.get("later_law"), "later_law")
    removal = _map(doc.get("removal"), "removal")
    family = doc.get("family_members_159_1")
    if not isinstance(family, list) or not all(isinstance(f, str) for f in family):
        raise InputError("family_members_159_1", "must be a list of relation names")
    return RuleSet(
        agreement_in_force=_req_date(doc.get("agreement_in_force"), "agreement_in_force"),
        rule_sets=tuple(
            _period(item, f"rule_sets[{i}]") for i, item in enumerate(doc.get("rule_sets") or [])
        ),
        family_members=frozenset(family),
        rules=rules,
        suspensions=tuple(
            _period(item, f"suspensions[{i}]")
            for i, item in enumerate(doc.get("suspensions") or [])
        ),
        later_law_after=_req_date(later.get("claims_after"), "later_law.claims_after"),
        later_law_text=_str(later.get("text"), "later_law.text"),
        removal_citation=_str(removal.get("citation"), "removal.citation"),
        removal_note=_str(removal.get("note"), "removal.note"),
        removal_lists=tuple(
            _removal_list(item, f"removal.lists[{i}]")
            for i, item in enumerate(removal.get("lists") or [])
        ),
    )


def load_rule_set() -> RuleSet:
    """Read and validate the packaged ``rules.yaml``."""
    text = resources.files("borderwatch.screening").joinpath("rules.yaml").read_text("utf-8")
    return parse_rule_set(yaml.safe_load(text))


RULES: RuleSet = load_rule_set()
"""The rule set, validated at import: a bad ``rules.yaml`` fails loudly and early."""
