"""Tracking stage contracts: a tracker takes scans of detections and returns track states.

The parts are kept separate so the tracker issue can swap them (Stone Soup's layout:
filter, gate, associate, initiate, delete). All work on arrays of many tracks at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from borderwatch.domain import Detection

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Scan:
    """Detections from one sensor in one time window, in the tracker's local frame.

    A sensor reports each object at most once per scan, so one-to-one assignment holds
    within a scan; different sensors' reports of the same object come in different scans
    and are fused one after the other (sequential multi-sensor update).
    """

    sensor_id: str
    detections: tuple[Detection, ...]
    epoch_s: FloatArray
    east_m: FloatArray
    north_m: FloatArray
    sigma_m: FloatArray
    kind_code: IntArray
    """Each detection's label as a row of tracking.classify.LOG_LIKELIHOOD_TABLE."""
    count: IntArray
    children: IntArray
    """-1 where the sensor did not judge ages."""
    simulated: IntArray


class MotionFilter(Protocol):
    """Predicts states forward and corrects them with position measurements."""

    def predict(
        self, state: FloatArray, covariance: FloatArray, dt_s: FloatArray
    ) -> tuple[FloatArray, FloatArray]: ...

    def predict_position(
        self, state: FloatArray, covariance: FloatArray, dt_s: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Predicted positions (n, 2) and their covariances (n, 2, 2) only."""
        ...

    def update(
        self,
        state: FloatArray,
        covariance: FloatArray,
        position: FloatArray,
        sigma_m: FloatArray,
    ) -> tuple[FloatArray, FloatArray]: ...


PairPenalty = Callable[[IntArray, IntArray], FloatArray]
"""Extra cost for (track index, detection index) pairs, in -2 ln likelihood-ratio units."""


class Gate(Protocol):
    """Finds (track, detection) pairs plausible enough to consider, with their costs."""

    def pairs(
        self,
        predicted_position: FloatArray,
        position_covariance: FloatArray,
        detections: FloatArray,
        sigma_m: FloatArray,
        penalty: PairPenalty | None = None,
    ) -> tuple[IntArray, IntArray, FloatArray]: ...


class Associator(Protocol):
    """Chooses at most one detection per track and one track per detection."""

    def assign(
        self, track: IntArray, detection: IntArray, cost: FloatArray
    ) -> tuple[IntArray, IntArray]: ...


@dataclass(frozen=True)
class TrackTable:
    """A read-only view of the tracker's tables, one row per slot, for the deleter.

    ``status`` is 0 (free slot), 1 (tentative) or 2 (confirmed)."""

    status: NDArray[np.int8]
    serial: IntArray
    state: FloatArray
    covariance: FloatArray
    last_hit: FloatArray


class Initiator(Protocol):
    """Starts tracks from detections no track claimed, and says when they are confirmed."""

    def starts_tracks(self, sigma_m: FloatArray) -> NDArray[np.bool_]:
        """Which detections may start or update a track (the others are cues)."""
        ...

    def initial_state(
        self, positions: FloatArray, sigma_m: FloatArray
    ) -> tuple[FloatArray, FloatArray]: ...

    def confirmed(self, hits: IntArray) -> NDArray[np.bool_]: ...


class Deleter(Protocol):
    """Chooses the tracks that end now (slots)."""

    def ended(self, tracks: TrackTable, now: float) -> IntArray: ...
