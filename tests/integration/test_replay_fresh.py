"""`serve --replay` run a second time replays the night again, from an empty database, and
says when it has finished (issue 20: `make watch` twice showed nothing the second time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from borderwatch.adapters.sqlite.detections import DetectionLog
from borderwatch.app.bootstrap import build_service
from borderwatch.app.runtime.config import ServiceConfig
from borderwatch.app.runtime.replay import Replay, fresh_replay_db
from borderwatch.domain import InputError


class RecordingHub:
    """The service's hub, keeping what is published on the live feed (the real hub sends
    only to connected pages); everything else is the hub's own."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self.events: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self.hub.publish(event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hub, name)


def _replay_once(db: Path) -> tuple[int, list[dict[str, Any]]]:
    """Replay the Emerson scenario (no frame sensors: quick) into a service on ``db``;
    return how many detections the log holds and the replay's feed events."""
    service = build_service(ServiceConfig(db=db, tracker_process=False))
    hub = RecordingHub(service.hub)
    service.hub = hub  # type: ignore[assignment]
    service.start()
    try:
        player = Replay(service, "emerson", speed=1e6)
        player.start()
        assert player.done.wait(60), "the replay did not finish"
        return service.log.count(), [e for e in hub.events if e["type"] == "replay"]
    finally:
        service.close()


def test_a_second_replay_starts_fresh_and_each_says_it_finished(tmp_path: Path) -> None:
    db = tmp_path / "demo-service.db"
    assert fresh_replay_db(db) is None  # nothing there: nothing to say
    first, events = _replay_once(db)
    assert first > 100
    assert [e["state"] for e in events] == ["simulating", "playing", "done"]
    done = events[-1]
    assert done["simulated"] is True and done["detections"] == first
    assert done["text"] == f"replay finished: all {first} detections of emerson played"

    said = fresh_replay_db(db)
    assert said is not None and "moved to" in said and f"({first} detections)" in said
    assert not db.exists() and (tmp_path / "demo-service.db.previous").exists()
    second, events = _replay_once(db)
    assert second == first  # every detection stored again, none dropped as already there
    assert events[-1]["state"] == "done"

    fresh_replay_db(db)  # one earlier replay is kept, the older one replaced
    assert sorted(p.name for p in tmp_path.iterdir() if "previous" in p.name) == [
        "demo-service.db.previous"]


def test_a_database_with_real_detections_is_refused_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "ops.db"
    log = DetectionLog(db)
    log.append([("a", {"time": "2025-02-03T13:00:00Z", "sensor_id": "cam", "lat": 49.0,
                       "lon": -111.9, "simulated": True}),
                ("b", {"time": "2025-02-03T13:00:01Z", "sensor_id": "cam", "lat": 49.0,
                       "lon": -111.9})])
    log.close()
    with pytest.raises(InputError) as refused:
        fresh_replay_db(db)
    assert refused.value.field == "--db"
    assert "1 detections that are not simulated" in str(refused.value)
    assert db.exists() and not (tmp_path / "ops.db.previous").exists()
