"""Tracking: detections become tracks (filter, gate, associate, initiate, delete)."""

from borderwatch.tracking.association import GlobalNearestNeighbour
from borderwatch.tracking.base import Associator, Gate, MotionFilter, Scan
from borderwatch.tracking.gating import MahalanobisGate
from borderwatch.tracking.kalman import ConstantVelocity
from borderwatch.tracking.lifecycle import LifecycleRules
from borderwatch.tracking.tracker import TrackBatch, Tracker, track_id

__all__ = [
    "Associator",
    "ConstantVelocity",
    "Gate",
    "GlobalNearestNeighbour",
    "LifecycleRules",
    "MahalanobisGate",
    "MotionFilter",
    "Scan",
    "TrackBatch",
    "Tracker",
    "track_id",
]
