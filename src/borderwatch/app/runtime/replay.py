"""Replay a bundled scenario into the running service, paced by its own clock.

The detections go through the same path as any producer's (stored, then the pipeline),
each marked simulated. ``speed`` 20 plays the 75-minute Coutts night in under four
minutes. The scenario's cameras and drones are declared as sensors, so the map shows
their coverage. When the northbound crossing is raised, the case the demo opens (the
responding team's interception, the nine people) is opened in the case store at the
interception time, as in `borderwatch demo`.

Each replay starts from an empty database (``fresh_replay_db``): the night's detections
carry fixed ids, so replayed into the database of an earlier replay every one would be
dropped as already stored and the map would show the old night at once, then nothing.
The state (simulating, playing, done) is in ``/v1/whoami`` and, for pages already
connected, a ``replay`` event on the live feed.
"""

from __future__ import annotations

import threading
import time
from itertools import groupby
from pathlib import Path

from rich.console import Console

from borderwatch.adapters.sources.detection_wire import detection_to_wire
from borderwatch.adapters.sqlite.detections import DetectionLog
from borderwatch.app.runtime.picture import SensorSeen
from borderwatch.app.runtime.service import Service
from borderwatch.cases import new_case_id
from borderwatch.domain import Detection, Direction, Incident, IncidentType, InputError
from borderwatch.domain.evidence import Snapshot
from borderwatch.domain.time import epoch_to_datetime, format_time
from borderwatch.sim import bundled_scenario_path, load_scenario
from borderwatch.sim.progress import simulate_with_progress
from borderwatch.sim.scenario import Camera, Drone, Scenario

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def fresh_replay_db(db: Path) -> str | None:
    """Make ``db`` ready for a replay that starts from nothing; say what was done (None:
    there was nothing there). A database of an earlier replay (every stored detection
    simulated) is moved aside to ``<db>.previous`` with SQLite's side files, replacing
    an older one; a database holding a detection that is not simulated is refused
    (``InputError`` naming ``--db``): a replay never mixes with real data."""
    if not db.exists():
        return None
    log = DetectionLog(db)
    try:
        stored, real = log.count(), log.count_not_simulated()
    finally:
        log.close()
    if real:
        raise InputError("--db", f"{db} holds {real} detections that are not simulated; a "
                         "replay starts from an empty database and never mixes with real "
                         "data: give another --db")
    previous = db.with_name(db.name + ".previous")
    for side in ("", *SQLITE_SIDE_FILES):
        Path(f"{previous}{side}").unlink(missing_ok=True)
    for side in ("", *SQLITE_SIDE_FILES):
        if Path(f"{db}{side}").exists():
            Path(f"{db}{side}").rename(f"{previous}{side}")
    return (f"{db} held an earlier replay ({stored} detections): moved to {previous}; "
            "this replay starts from an empty database")


def declare_sensors(service: Service, scenario: Scenario) -> None:
    for sensor in scenario.sensors:
        if isinstance(sensor, Camera):
            info = {"kind": "camera", "azimuth_deg": sensor.azimuth_deg,
                    "fov_deg": sensor.fov_deg, "range_m": sensor.range_m}
            lat, lon = sensor.position
        elif isinstance(sensor, Drone):
            info = {"kind": "drone", "range_m": sensor.footprint_m}
            lat, lon = sensor.base
        else:
            continue
        service.live.declare_sensor(SensorSeen(
            sensor.sensor_id, lat, lon, "", simulated=True, info=info))


SPEEDS = (1.0, 2_000.0)
"""The slowest and the fastest an operator may set the replay to."""


class ReplayError(Exception):
    """What the replay cannot do now (paused when finished, a speed out of range)."""


class Replay:
    """A bundled scenario fed into the running service in a thread of its own, at
    ``speed`` times its own clock; ``done`` is set when it has all been fed. An operator
    may pause it, resume it and change its speed while it plays (the exercise's clock
    stops and changes pace with it). It cannot be rewound: what it fed is stored, and the
    dashboard's timeline goes back through it instead (history.py)."""

    def __init__(self, service: Service, scenario_name: str, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.service = service
        self.name = scenario_name
        self.scenario = load_scenario(bundled_scenario_path(scenario_name))
        self.speed = speed
        self.state = "waiting"
        self.paused = False
        self.done = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Condition()
        # The exercise's clock: at wall time ``_anchor_wall`` it read ``_anchor_epoch``,
        # and it runs ``speed`` times faster than the wall's from there (unless paused).
        self._anchor_wall = time.monotonic()
        self._anchor_epoch = 0.0
        self._thread = threading.Thread(target=self._run, name="borderwatch-replay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()

    # -- the operator's controls (POST /v1/replay/...) ------------------------------------

    def exercise_epoch(self) -> float:
        """The exercise's clock, in seconds since the epoch."""
        with self._wake:
            if self.paused:
                return self._anchor_epoch
            return self._anchor_epoch + (time.monotonic() - self._anchor_wall) * self.speed

    def _re_anchor(self) -> None:
        now = time.monotonic()
        if not self.paused:
            self._anchor_epoch += (now - self._anchor_wall) * self.speed
        self._anchor_wall = now

    def pause(self) -> None:
        with self._wake:
            self._refuse_when_done()
            self._re_anchor()
            self.paused = True
            self._wake.notify_all()
        self._announce()

    def resume(self) -> None:
        with self._wake:
            self._refuse_when_done()
            self._re_anchor()
            self.paused = False
            self._wake.notify_all()
        self._announce()

    def set_speed(self, speed: float) -> None:
        if not SPEEDS[0] <= speed <= SPEEDS[1]:
            raise ReplayError(f"speed must be from x{SPEEDS[0]:g} to x{SPEEDS[1]:g}")
        with self._wake:
            self._refuse_when_done()
            self._re_anchor()
            self.speed = speed
            self._wake.notify_all()
        self._announce()

    def status(self) -> dict[str, object]:
        """What ``GET /v1/replay`` answers (and each ``replay`` event carries)."""
        playing = self.state == "playing"
        return {"scenario": self.name, "state": "paused" if playing and self.paused
                else self.state, "paused": self.paused, "speed": self.speed,
                "exercise_time": format_time(epoch_to_datetime(self.exercise_epoch()))
                if playing else None, "simulated": True}

    def _refuse_when_done(self) -> None:
        if self.state == "done":
            raise ReplayError("the replay has finished: the timeline goes back through it")

    def _announce(self) -> None:
        if self.state == "playing":
            self._state("playing")

    def _wait_until(self, epoch: float) -> bool:
        """Until the exercise's clock reaches ``epoch``; False if stopped meanwhile."""
        with self._wake:
            while not self._stop.is_set():
                delay = None
                if not self.paused:
                    delay = self._anchor_wall + (epoch - self._anchor_epoch) / self.speed \
                        - time.monotonic()
                    if delay <= 0:
                        return True
                self._wake.wait(delay)
        return False

    def _run(self) -> None:
        service = self.service
        # The sensors first: the dashboard frames its map on them while the night is
        # simulated (through the frame sensors: about a minute, a bar on the console).
        declare_sensors(service, self.scenario)
        self._state("simulating")
        sim = simulate_with_progress(self.scenario, service.boundary, Console(stderr=True))
        first = sim.detections[0].epoch_s if sim.detections else 0.0
        with self._wake:
            self._anchor_wall, self._anchor_epoch = time.monotonic(), first
        self._state("playing", detections=len(sim.detections))
        self._case_opener(sim)
        service.clock = lambda: epoch_to_datetime(self.exercise_epoch())
        for epoch, group in groupby(sim.detections, key=lambda d: d.epoch_s):
            batch: list[Detection] = list(group)
            if not self._wait_until(epoch):
                return
            while not service.live.has_room(len(batch)):  # back-pressure, as any client
                if self._stop.wait(0.5):
                    return
            service.keep_evidence([
                Snapshot(d.id, d.sensor_id, d.time, d.lat, d.lon, sim.evidence[d.id],
                         simulated=True)
                for d in batch if d.id is not None and d.id in sim.evidence])
            service.accept([(d.id, detection_to_wire(d)) for d in batch], batch)
        self._state("done", detections=len(sim.detections))
        self.done.set()

    def _state(self, state: str, **facts: object) -> None:
        """The replay's state for ``/v1/whoami`` and a ``replay`` event on the live feed
        (``done``: every detection has been fed; the tracker may still be at work)."""
        self.state = state
        self.service.extras["replay_state"] = state
        paused = state == "playing" and self.paused
        text = {"simulating": f"simulating {self.name} (sensors render their frames)",
                "playing": f"replay of {self.name} paused" if paused
                else f"replaying {self.name} at x{self.speed:g}",
                "done": f"replay finished: all {facts.get('detections', 0)} detections of "
                        f"{self.name} played"}[state]
        self.service.hub.publish({"type": "replay", "state": state, "scenario": self.name,
                                  "speed": self.speed, "paused": paused, "text": text,
                                  **facts, "simulated": True})

    def _case_opener(self, sim: object) -> None:
        """Open the demo's case when the replay raises the northbound crossing: from the
        field team's report (its people as met, no identifiers), then the interview's
        facts entered at the officers' desk, as the demo does (demo/intake.py)."""
        from borderwatch.app.demo import intake
        from borderwatch.app.demo import night as demo  # the demo's interception, reused

        scenario = self.scenario
        if scenario.response is None:
            return
        group = max(scenario.groups, key=lambda g: g.group_size)
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(scenario.timezone)
        service = self.service

        def on_incident(incident: Incident) -> None:
            if (incident.type is not IncidentType.CROSSING
                    or incident.direction is not Direction.NORTHBOUND
                    or service.extras.get("case_opened")):
                return
            interception = demo.intercept_group(scenario, sim, group, incident)  # type: ignore[arg-type]
            local_date = incident.time.astimezone(zone).date()
            case = intake.open_case_from_field_report(
                intake.field_report_body(group, interception), incident_id=incident.incident_id,
                case_id=new_case_id("AB", local_date, 1),
                interception_id=interception.interception_id,
                entry_kind=str(scenario.entry.get("kind", "between_ports")),
                from_country=str(scenario.entry.get("from_country", "US")),
                entry_date=local_date)
            service.extras["case_opened"] = case.case_id
            try:
                service.cases.open_case(case)
                if service.officers is not None:
                    service.officers.enter_facts(
                        case.case_id, intake.interview_facts(scenario, group, case),
                        "CBSA screening officer (replay)")
            except Exception as err:  # already there after a restart
                service.extras["case_error"] = f"{type(err).__name__}"
            service.hub.publish({"type": "case", "case_id": case.case_id,
                                 "time": format_time(interception.time), "simulated": True})

        service.live.add_incident_hook(on_incident)
