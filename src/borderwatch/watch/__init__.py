"""Watch: rules on tracks (crossing with hysteresis, approach, risk) raise incidents."""

from borderwatch.watch.approach import ApproachRule, ApproachSettings
from borderwatch.watch.base import BatchGeometry, IncidentFactory, Prepared, Watch, WatchRule
from borderwatch.watch.crossing import CrossingRule, CrossingSettings
from borderwatch.watch.incident_wire import IncidentRecord, incident_from_wire, incident_to_wire
from borderwatch.watch.risk import Conditions, ConditionsProvider, FixedConditions, RiskModel

__all__ = [
    "ApproachRule",
    "ApproachSettings",
    "BatchGeometry",
    "Conditions",
    "ConditionsProvider",
    "CrossingRule",
    "CrossingSettings",
    "FixedConditions",
    "IncidentFactory",
    "IncidentRecord",
    "Prepared",
    "RiskModel",
    "Watch",
    "WatchRule",
    "incident_from_wire",
    "incident_to_wire",
]
