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
    """The detections of one time window, from one or more sensors, in the tracker's local
    frame, as columns (row i is ``detections[i]``).

    A sensor reports each object at most once per scan, so a track takes at most one
    detection per sensor of a scan; reports of one object by several sensors are all used,
    in time order (sequential multi-sensor update).

    ``detections`` may be empty when the scan was built from arrays (benchmarks, the
    strip simulator): the columns are what the tracker uses; the objects only give cues
    (vague reports) back to the caller.
    """

    detections: tuple[Detection, ...]
    sensor_names: tuple[str, ...]
    sensor_index: IntArray
    """Row -> index into ``sensor_names``."""
    epoch_s: FloatArray
    east_m: FloatArray
    north_m: FloatArray
    sigma_m: FloatArray
    kind_code: IntArray
    """Each detection's label as a row of tracking.kind_evidence.LOG_LIKELIHOOD_TABLE."""
    count: IntArray
    children: IntArray
    """-1 where the sensor did not judge ages."""
    simulated: IntArray
    count_low: IntArray | None = None
    count_high: IntArray | None = None
    """The sensors' own ranges of ``count`` (the wire's ``count_low``, ``count_high``), -1
    where a report gave none; None: no report of the scan gave one (the usual case, which
    then costs the tracker nothing)."""

    def __len__(self) -> int:
        return len(self.epoch_s)

    @classmethod
    def concat(cls, scans: list[Scan]) -> Scan:
        """One scan holding several (their sensors renumbered)."""
        if len(scans) == 1:
            return scans[0]
        names: dict[str, int] = {}
        index = [
            np.fromiter(
                (names.setdefault(n, len(names)) for n in s.sensor_names),
                np.intp,
                len(s.sensor_names),
            )[s.sensor_index]
            for s in scans
        ]

        def cat(name: str) -> np.ndarray:
            return np.concatenate([getattr(s, name) for s in scans])

        def stated(name: str) -> np.ndarray | None:
            if all(getattr(s, name) is None for s in scans):
                return None
            return np.concatenate([
                np.full(len(s), -1, np.intp) if getattr(s, name) is None else getattr(s, name)
                for s in scans
            ])

        return cls(
            detections=(
                tuple(d for s in scans for d in s.detections)
                if all(len(s.detections) == len(s) for s in scans)
                else ()
            ),
            sensor_names=tuple(names),
            sensor_index=np.concatenate(index),
            epoch_s=cat("epoch_s"),
            east_m=cat("east_m"),
            north_m=cat("north_m"),
            sigma_m=cat("sigma_m"),
            kind_code=cat("kind_code"),
            count=cat("count"),
            children=cat("children"),
            simulated=cat("simulated"),
            count_low=stated("count_low"),
            count_high=stated("count_high"),
        )


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
    hits: IntArray
    hit_window: IntArray | None = None
    """(slots, K): the last K scan windows in which each track was hit (-1: none) ..."""
    hit_sensors: NDArray[np.uint64] | None = None
    """... and, for each, a bit per sensor that hit it (bit = sensor code mod 64)."""
    window: int = 0
    """Index of the current scan window."""


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
