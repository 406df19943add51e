"""Tracking: detections become tracks (filter, gate, associate, initiate, delete)."""

from borderwatch.tracking.association import GlobalNearestNeighbour
from borderwatch.tracking.base import (
    Associator,
    Deleter,
    Gate,
    Initiator,
    MotionFilter,
    Scan,
    TrackTable,
)
from borderwatch.tracking.gating import MahalanobisGate
from borderwatch.tracking.kalman import ConstantVelocity
from borderwatch.tracking.track_lifecycle import (
    HitCounterInitiator,
    LifecycleDeleter,
    LifecycleRules,
)
from borderwatch.tracking.tracker import TrackBatch, Tracker, track_id

__all__ = [
    "Associator",
    "ConstantVelocity",
    "Deleter",
    "Gate",
    "GlobalNearestNeighbour",
    "HitCounterInitiator",
    "Initiator",
    "LifecycleDeleter",
    "LifecycleRules",
    "MahalanobisGate",
    "MotionFilter",
    "Scan",
    "TrackBatch",
    "TrackTable",
    "Tracker",
    "track_id",
]
