"""Who sees what through the service: API-key principals, roles and what each may do.

Pure rules, no web framework. The partner's view of operational data is made by the
alert stage's sharing gate (``alerts/gate.py``, the one place partner views are made);
this module decides *which* view a principal gets and strips personal data from every
other non-owner view.

Personal data (names, dates of birth, nationalities, documents, relatives, ages: the
``PERSONAL_FIELDS`` of the sharing policy) reaches only a screening officer of the agency
that owns the case, and each such read is logged by the caller.
"""

from __future__ import annotations

from typing import Any

from borderwatch.alerts.sharing import PERSONAL_FIELDS
from borderwatch.domain.access import Action, Principal, Role


def owns(agency: str, unit_id: str, unit_agency: str | None = None) -> bool:
    """Whether a key of ``agency`` speaks for the unit ``unit_id``: the same unit, a unit
    inside it (``RCMP-K`` owns ``RCMP-K-IBET``), or the unit's whole agency.

    >>> owns("RCMP-K", "RCMP-K-IBET")
    True
    >>> owns("RCMP-K", "RCMP-KX-IBET")
    False
    >>> owns("RCMP", "RCMP-K-IBET", "RCMP")
    True
    >>> owns("USBP-HVM", "RCMP-K-IBET", "RCMP")
    False
    """
    return agency in (unit_id, unit_agency) or unit_id.startswith(agency + "-")


SCREENING_AGENCIES: dict[str, tuple[str, ...]] = {"CA": ("CBSA", "IRCC")}
"""Who decides whether a claim made in a country may be referred, by the country where the
people were met: in Canada a CBSA or IRCC officer (IRPA 100(1)). The RCMP intercepts
between the ports and hands the people to CBSA, so a case the RCMP opened is CBSA's to
screen as well. No entry for the United States: the screening engine applies Canadian
law only."""


def may_screen(agency: str, country: str) -> bool:
    """Whether a key of ``agency`` is of an agency that screens claims made in ``country``
    (the agency itself or one of its units: ``CBSA-PRA`` is CBSA).

    >>> may_screen("CBSA", "CA"), may_screen("CBSA-PRA", "CA"), may_screen("CBSAX", "CA")
    (True, True, False)
    >>> may_screen("CBSA", "US"), may_screen("RCMP-K", "CA")
    (False, False)
    """
    return any(agency == a or agency.startswith(a + "-")
               for a in SCREENING_AGENCIES.get(country, ()))


_CONTAINERS = (dict, list)


def scrub(value: Any) -> Any:
    """A copy of a JSON value without any personal field, at any depth.

    >>> scrub({"lat": 49.0, "children": 5, "risk": [{"people": ["p1"], "points": 2}]})
    {'lat': 49.0, 'risk': [{'points': 2}]}
    """
    if isinstance(value, dict):
        return {
            k: scrub(v) if isinstance(v, _CONTAINERS) else v
            for k, v in value.items()
            if k not in PERSONAL_FIELDS
        }
    if isinstance(value, list):
        return [scrub(v) if isinstance(v, _CONTAINERS) else v for v in value]
    return value


__all__ = ["SCREENING_AGENCIES", "Action", "Principal", "Role", "may_screen", "owns", "scrub"]
