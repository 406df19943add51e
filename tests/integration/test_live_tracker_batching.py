"""The live tracker decides the same whatever batches its work came in: the alert stage's
clock ticks at each scan's data time, not once per batch the worker took from its queue
(app/runtime/live.py ``_tick``), so escalation pages fall at the same data times for a
night handed over at once as for one handed over second by second."""

from __future__ import annotations

import time
from itertools import groupby
from pathlib import Path
from typing import Any

from tests.service_helpers import coutts_wire

from borderwatch.adapters.sources.detection_wire import parse_detection
from borderwatch.app.bootstrap import build_live_tracker
from borderwatch.app.runtime.config import ServiceConfig
from borderwatch.domain import Detection


def _until(done: Any) -> None:
    deadline = time.monotonic() + 60
    while not done():
        assert time.monotonic() < deadline, "the tracker did not catch up"
        time.sleep(0.01)


def _tracked(db: Path, batches: list[list[Detection]]) -> dict[str, Any]:
    """Hand the batches over one after another (each tracked before the next), release,
    and read the picture."""
    live = build_live_tracker(ServiceConfig(db=db), lambda event: None)
    live.start(None)
    try:
        for batch in batches:
            live.submit(batch, 0.0)
            _until(lambda: live.pending == 0 and not live.recovering)
        live.release()
        _until(lambda: live.idle)
        return {"tracks": sorted(live.snapshot_tracks(), key=lambda t: str(t["track_id"])),
                "incidents": live.snapshot_incidents(),
                "alerts": live.alert_states()}
    finally:
        live.stop()
        live.alerts.close()


def test_the_batches_do_not_change_the_tracks_incidents_or_alert_pages(tmp_path: Path) -> None:
    night = [parse_detection(w) for w in coutts_wire()]
    at_once = _tracked(tmp_path / "once.db", [night])
    by_second = _tracked(tmp_path / "seconds.db",
                         [list(g) for _, g in groupby(night, key=lambda d: d.epoch_s)])
    # The night escalates an alert that nobody acknowledged: the page is part of it.
    assert any(a["escalation_level"] > 0 for a in at_once["alerts"])
    assert by_second == at_once
