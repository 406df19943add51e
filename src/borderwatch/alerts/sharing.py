"""Cross-border sharing policy: a partner agency sees only the fields it is allowed.

The filter is a whitelist (a field not named is not shared), applied to the incident's
wire record before any channel formats it, so no sink can leak more than the policy allows.
Every disclosure is written to the disclosure log.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from borderwatch.domain import InputError

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

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "sharing policy") -> SharingPolicy:
        partners = {}
        for agency, rule in (data.get("partners") or {}).items():
            fields = frozenset(rule.get("fields") or [])
            personal = fields & PERSONAL_FIELDS
            if personal:
                raise InputError(
                    f"partners.{agency}.fields",
                    f"personal data cannot be shared by field list: {sorted(personal)}",
                    source=source,
                )
            partners[agency] = PartnerRule(agency, fields, str(rule.get("basis", "")))
        return cls(partners)

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
