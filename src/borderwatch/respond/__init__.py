"""Respond: the field units (registry), who can reach a group first (intercept), the
times of the intervention, and the task sent to the unit (tasking)."""

from borderwatch.respond.intercept import (
    ASSUMPTIONS,
    HORIZON_S,
    GroupMotion,
    InterceptPlan,
    Proposal,
    group_motion,
    meeting_time_s,
    propose,
)
from borderwatch.respond.registry import (
    DEFAULT_SPEED_MS,
    STALE_AFTER_S,
    Availability,
    DeclaredUnit,
    ResponderRegistry,
    UnitView,
    parse_responders,
)

__all__ = [
    "ASSUMPTIONS",
    "DEFAULT_SPEED_MS",
    "HORIZON_S",
    "STALE_AFTER_S",
    "Availability",
    "DeclaredUnit",
    "GroupMotion",
    "InterceptPlan",
    "Proposal",
    "ResponderRegistry",
    "UnitView",
    "group_motion",
    "meeting_time_s",
    "parse_responders",
    "propose",
]
