"""Alerts: an incident told to one recipient over one channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Audience(StrEnum):
    RESPONSIBLE = "responsible"
    """The unit that must respond on its own side of the line; sees the whole incident."""
    PARTNER = "partner"
    """The other country's agency; sees only what the sharing policy allows."""


@dataclass(frozen=True, slots=True)
class AgencyUnit:
    """A team or office that receives alerts, e.g. RCMP K Division IBET, USBP Havre Sector."""

    unit_id: str
    name: str
    agency: str
    country: str
    """ISO 3166-1 alpha-2 of the side it serves ("CA" or "US")."""


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    incident_id: str
    recipient: AgencyUnit
    audience: Audience
    created_at: datetime
    """Data time at which the alert was raised."""
    payload: dict[str, Any]
    """What the recipient is told; for a partner, already filtered by the sharing policy."""
    simulated: bool
