"""Value types and events shared by every stage. Imports nothing else of Borderwatch's."""

from borderwatch.domain.alert import AgencyUnit, Alert, Audience
from borderwatch.domain.case import RELATIONS, Assumption, Case, Interception, Person, Relation
from borderwatch.domain.detection import DEFAULT_SIGMA_M, Detection, Kind
from borderwatch.domain.errors import BorderwatchError, InputError
from borderwatch.domain.incident import Incident, IncidentType, Risk, RiskReason, Severity
from borderwatch.domain.position import Position, check_lat_lon
from borderwatch.domain.responder import ResponderPosition
from borderwatch.domain.sides import Direction, Side

__all__ = [
    "DEFAULT_SIGMA_M",
    "RELATIONS",
    "AgencyUnit",
    "Alert",
    "Assumption",
    "Audience",
    "BorderwatchError",
    "Case",
    "Detection",
    "Direction",
    "Incident",
    "IncidentType",
    "InputError",
    "Interception",
    "Kind",
    "Person",
    "Position",
    "Relation",
    "ResponderPosition",
    "Risk",
    "RiskReason",
    "Severity",
    "Side",
    "check_lat_lon",
]
