"""Cross-border sharing policy: a partner agency sees only the fields it is allowed.

The filter is a whitelist (a field not named is not shared), applied to the incident's
wire record before any channel formats it, so no sink can leak more than the policy allows.
Every disclosure is written to the disclosure log.

A position is shared only as ``lat`` and ``lon`` fields: an agency whose rule does not name
both gets no position at all, in no form (a GeoJSON feature's geometry is made from the
released fields, never from the record: app/http/views.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from borderwatch.domain import InputError
from borderwatch.geo import Boundary, Places

PERSONAL_FIELDS = frozenset(
    {
        "name",
        "names",
        "date_of_birth",
        "nationality",
        "nationalities",
        "documents",
        "relations",
        "relatives",
        "people",
        "age",
        "ages",
        "sex",
        "children",
    }
)
"""Never shareable by field list alone (with `children`: a head count of minors is already
a statement about identifiable people in a small group)."""


@dataclass(frozen=True)
class PartnerRule:
    agency: str
    fields: frozenset[str]
    basis: str


@dataclass(frozen=True)
class SharingPolicy:
    """Per partner agency, the incident fields it may receive and the legal basis.

    A field list naming a personal field is refused when the policy is read: personal
    data is never shared by a field list (see ``PERSONAL_FIELDS``)."""

    partners: dict[str, PartnerRule]
    notices: dict[str, dict[str, PartnerRule]] = field(default_factory=dict)
    """Per notice kind (``stca_return``: screening/returns.py), per agency, the notice's
    fields it may receive: the same rules as for incidents."""

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "sharing policy") -> SharingPolicy:
        partners = _rules(data.get("partners"), "partners", source)
        notices = {kind: _rules(rules, f"notices.{kind}", source)
                   for kind, rules in (data.get("notices") or {}).items()}
        return cls(partners, notices)

    @classmethod
    def bundled(cls) -> SharingPolicy:
        text = resources.files("borderwatch.alerts").joinpath("sharing.yaml").read_text("utf-8")
        return cls.from_dict(yaml.safe_load(text), "bundled sharing.yaml")

    @classmethod
    def load(cls, path: str | Path) -> SharingPolicy:
        return cls.from_dict(yaml.safe_load(Path(path).read_text("utf-8")), str(path))

    def filter(self, agency: str, record: dict[str, Any]) -> dict[str, Any]:
        """The part of ``record`` that ``agency`` may see (nothing for an unknown agency)."""
        rule = self.partners.get(agency)
        if rule is None:
            return {}
        return {k: v for k, v in record.items() if k in rule.fields}


def _rules(data: Any, where: str, source: str) -> dict[str, PartnerRule]:
    rules = {}
    for agency, rule in (data or {}).items():
        fields = frozenset(rule.get("fields") or [])
        personal = fields & PERSONAL_FIELDS
        if personal:
            raise InputError(
                f"{where}.{agency}.fields",
                f"personal data cannot be shared by field list: {sorted(personal)}",
                source=source,
            )
        rules[agency] = PartnerRule(agency, fields, str(rule.get("basis", "")))
    return rules


def responsible_agency(record: Mapping[str, Any], boundary: Boundary, places: Places) -> str | None:
    """The agency whose unit an incident (its wire record) is routed to whole, as the
    routing finds it (alerts/routing.py): the unit covering the incident's segment and
    longitude on the side the group is heading for (the north side when the record has no
    direction). None when no unit covers the place (the routing then falls back to the
    operations centre).

    >>> line, places = Boundary.bundled(), Places.bundled()
    >>> crossing = {"segment": "AB-MT", "lon": -111.96, "direction": "northbound"}
    >>> responsible_agency(crossing, line, places)
    'RCMP'
    >>> responsible_agency({**crossing, "direction": "southbound"}, line, places)
    'USBP'
    >>> responsible_agency({**crossing, "segment": "nowhere"}, line, places) is None
    True
    """
    heading_south = record.get("direction") == "southbound"
    country = boundary.south if heading_south else boundary.north
    segment, lon = record.get("segment"), record.get("lon")
    if not isinstance(segment, str) or not isinstance(lon, int | float):
        return None
    unit = places.unit_for(segment, float(lon), country)
    return None if unit is None else unit.agency
