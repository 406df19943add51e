"""How a running service is configured: its one SQLite file, its tracker's settings, and
whether the tracker runs in a process of its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from borderwatch.geo import Boundary, Places
from borderwatch.watch import ConditionsProvider
from borderwatch.watch.risk import UNKNOWN_CONDITIONS


@dataclass
class ServiceConfig:
    """The settings of one running service (``borderwatch serve``'s options)."""

    db: Path
    """One SQLite file for everything the service stores."""
    reorder_window_s: float = 5.0
    max_pending: int = 200_000
    """Detections accepted but not yet tracked; beyond this, ingest answers 429."""
    max_batch: int = 10_000
    idle_flush_s: float = 2.0
    conditions: ConditionsProvider = UNKNOWN_CONDITIONS
    boundary: Boundary | None = None
    places: Places | None = None
    replay: str | None = None
    """A bundled scenario being replayed into the service (shown on the dashboard)."""
    tracker_process: bool = False
    """Run the tracker in a process of its own (worker.py), as `borderwatch serve` does;
    otherwise in a thread of this one (simpler to debug and to test)."""
