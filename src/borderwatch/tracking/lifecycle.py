"""When a track starts, is confirmed, and ends: rules an operator can read.

* Every detection that no existing track claims starts a **tentative** track (unless it is a
  vague report such as a phone tip, whose error exceeds ``max_report_sigma_m``: that is a
  *cue* shown to operators, not a track, so it cannot create a ghost).
* A tentative track becomes **confirmed** after ``confirm_hits`` detections (counting the
  first), each within ``tentative_timeout_s`` of the previous one. Only confirmed tracks
  can raise incidents.
* A tentative track that goes ``tentative_timeout_s`` without a detection is dropped
  (one-off clutter dies here).
* A confirmed track that goes ``coast_s`` without a detection is ended, and so is one whose
  position uncertainty has grown beyond ``max_position_sigma_m``.
* Two tracks whose positions agree within the ``merge_chi2`` test (a sensor's outlier
  started a second track on the same group) are one: the younger one is ended. Borderwatch
  tracks groups, so people walking together belong in one track anyway.

This is the hit counter of Norfair (``initialization_delay``, ``hit_counter_max``) in
seconds rather than frames, because sensors here report at different rates.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class LifecycleRules:
    confirm_hits: int = 3
    """Detections needed before a track is confirmed (and may raise incidents)."""
    tentative_timeout_s: float = 5.0
    """A tentative track with no detection for this long is dropped."""
    coast_s: float = 30.0
    """A confirmed track with no detection for this long is ended."""
    max_position_sigma_m: float = 150.0
    """A track whose 1-sigma position error grows past this is ended."""
    max_report_sigma_m: float = 150.0
    """Reports vaguer than this (tips) are cues: they never start or update tracks."""
    initial_speed_sigma_ms: float = 5.0
    """1-sigma of each velocity component of a new track (people walk, vehicles drive)."""
    merge_chi2: float = 9.21
    """Two tracks closer than this squared Mahalanobis distance (99% point, 2 degrees of
    freedom, on the sum of their position covariances) are merged."""
    merge_radius_m: float = 60.0
    """Only tracks within this distance of each other are tested for merging."""
