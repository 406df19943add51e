"""Who may do what: API-key principals, their roles and the actions each role allows.

An admin manages the service and is not entitled to personal data; personal data reaches
only a screening officer of the agency that owns the case (app/http/roles.py applies it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    SCREENING_OFFICER = "screening_officer"
    PARTNER = "partner"
    ADMIN = "admin"
    MONITOR = "monitor"
    """A metrics scraper: ``/metrics`` and nothing else."""


class Action(StrEnum):
    READ = "read"
    """The operational picture: tracks, incidents, sensors, alerts, statistics, stream."""
    INGEST = "ingest"
    ACK = "ack"
    """Acknowledge or resolve an alert of one's own agency."""
    READ_CASE = "read_case"
    """A case with its people (only the owning agency's; checked with :func:`owns`)."""
    ASSIGN = "assign"
    """Send a responder unit to an incident, record its arrival and the interception."""
    DECIDE = "decide"
    """Enter a case's facts, decide per person, record a return (screening officers of
    the owning agency; app/http/officers.py)."""
    METRICS = "metrics"
    """``/metrics``: the service's counters (incidents, alerts, tracks), the deployment's
    own agency only."""


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.READ}),
    Role.OPERATOR: frozenset({Action.READ, Action.INGEST, Action.ACK, Action.METRICS,
                              Action.ASSIGN}),
    Role.SCREENING_OFFICER: frozenset({Action.READ, Action.READ_CASE, Action.DECIDE}),
    Role.PARTNER: frozenset({Action.READ}),
    Role.ADMIN: frozenset({Action.READ, Action.INGEST, Action.ACK, Action.METRICS,
                           Action.ASSIGN}),
    Role.MONITOR: frozenset({Action.METRICS}),
}
"""An admin manages the service; it is not entitled to personal data (no READ_CASE)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The holder of an API key. What it reads depends on its agency as much as on its
    role: outside the agency that owns a record it gets only what the sharing policy
    releases to its agency (app/http/views.py, docs/security/sharing.md)."""

    key_id: str
    agency: str
    """An agency or one of its units, e.g. ``RCMP-K`` (RCMP K Division) or ``USBP-HVM``."""
    role: Role

    def may(self, action: Action) -> bool:
        return action in _ALLOWED[self.role]

    @property
    def sharing_agency(self) -> str:
        """The agency name the sharing policy knows (``USBP-HVM`` -> ``USBP``)."""
        return self.agency.split("-", 1)[0]
