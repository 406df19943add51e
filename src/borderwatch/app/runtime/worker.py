"""The tracker in a process of its own (:class:`ProcessTracker`), and the HTTP process's
mirror of its picture.

In one process, ingest, the tracker and the live feed share one interpreter lock; here the
HTTP process validates, stores and answers, and the tracker process runs the pipeline and
the alert stage (live.ThreadTracker, unchanged). Commands go to it over one pipe; it
reports back over another, by subject (adapters/bus/pipe.py; the subjects: docs/bus.md,
"The runtime's messages"; the measurements: docs/performance.md). When the HTTP process
dies, even by SIGKILL, the tracker reads end-of-file and exits; when the tracker dies,
``stopped`` says why (/healthz), it is restarted (RESTARTS), and meanwhile ingest refuses
with 503.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import multiprocessing
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from borderwatch.adapters.bus.pipe import PipeMessage, PipePublisher, decode_frame
from borderwatch.adapters.sqlite.detections import StoredBefore, StoredRun
from borderwatch.alerts import LifecycleError
from borderwatch.app.http.hub import SUBJECT_PREFIX, decode, encode, subject_of
from borderwatch.app.runtime.alert_service import AlertService
from borderwatch.app.runtime.config import ServiceConfig
from borderwatch.app.runtime.live import ThreadTracker
from borderwatch.app.runtime.picture import SensorSeen, TrackerState
from borderwatch.domain import Detection, Incident

Publish = Callable[[dict[str, Any]], None]
TrackerBuilder = Callable[[ServiceConfig, Publish], ThreadTracker]
"""Makes the tracker inside its process from the service's configuration and the
function its events are published with."""
RESTARTS = 3
"""Restarts of a tracker that died, within RESTART_WINDOW_S, before the service gives up
and says so (/healthz 503): a tracker that keeps dying needs a person."""
RESTART_WINDOW_S = 600.0
RESTART_PAUSE_S = 1.0
REQUEST_TIMEOUT_S = 10.0
"""How long a request to the tracker (an acknowledgement, a /v1/tracks read) waits for
its answer before the request fails (500)."""
STATUS = "bw.tracker.status"
"""The tracker's counters and status after each batch of work (pickled)."""
RECOVERED = "bw.tracker.recovered"
"""The incidents and sensors, once, when the stored stream has been replayed (pickled)."""
INCIDENT_RAISED = "bw.incidents.raised"
"""A raised incident (pickled), for the incident hooks (a replay opens its case on it)."""
ANSWER = "bw.tracker.answer"
"""``(request, outcome)``: the answer to a request (pickled)."""
PIPE_BYTES = 4 << 20
"""Asked-for pipe size each way (the system may cap it: /proc/sys/fs/pipe-max-size)."""
log = logging.getLogger(__name__)


class ProcessTracker(TrackerState):
    """The HTTP process's side: forwards work, mirrors the picture (picture.LiveTracker)."""

    def __init__(
        self,
        config: ServiceConfig,
        alerts: AlertService,
        *,
        publish: Publish,
        position: Callable[[], int],
        accepting: threading.Lock,
        build: TrackerBuilder,
    ) -> None:
        """``position``: the detection log's latest position (storage.DetectionLog.last);
        ``accepting``: held by ingest from storing a batch to handing it over, so that a
        restarted tracker replays exactly what was stored before it and is sent the rest;
        ``build``: makes the tracker inside the new process (a module-level function, so
        that it pickles: ``bootstrap.build_tracker_process_side``)."""
        super().__init__(alerts)
        self.config = config
        self.build = build
        self.publish = publish
        self._position = position
        self._accepting = accepting
        self._restarts: list[float] = []
        self._counted_before = (0, 0)
        """processed and alerts_notified by the trackers that ended (counters stay
        monotonic across a restart)."""
        self.late = 0
        self.unplaceable = 0
        self._submitted = 0
        self._processed = 0
        self._dirty = False
        self._track_count = 0
        self._mirror_failures = 0
        self._declared: dict[str, SensorSeen] = {}
        """Sensors declared to the service (a registry, a scenario): every tracker started
        is told of them first, a restarted one too, or their cones would be lost."""
        self._requests = itertools.count(1)
        self._answers: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._send_lock = threading.Lock()
        self._stopping = False
        self._ended: str | None = None
        self._context = multiprocessing.get_context("spawn")  # never fork a threaded process
        self._process: BaseProcess | None = None
        self._to_worker: Connection | None = None
        self._from_worker: Connection | None = None
        self._reader = threading.Thread(target=self._read, name="borderwatch-mirror",
                                        daemon=True)

    # -- lifecycle -------------------------------------------------------------------

    def start(self, stored: Callable[[], Iterator[StoredRun]] | None = None) -> None:
        """Start the tracker process; ``stored`` (picklable: storage.StoredBefore) yields
        chunks of stored wire objects for it to replay first."""
        self._spawn(stored)
        self._reader.start()

    def _spawn(self, stored: Callable[[], Iterator[StoredRun]] | None) -> None:
        inbox, to_worker = self._context.Pipe(duplex=False)
        from_worker, outbox = self._context.Pipe(duplex=False)
        for end in (to_worker, outbox):
            _widen(end)
        # Under the send lock from reading the declared sensors to the new pipe: a sensor
        # declared meanwhile is either in the start-up list or sent on the new pipe.
        with self._send_lock:
            process = self._context.Process(
                target=run_worker,
                args=(self.config, self.build, stored, list(self._declared.values()), inbox,
                      outbox),
                name="borderwatch-tracker", daemon=True)
            process.start()
            if self._to_worker is not None:
                self._to_worker.close()
            self._to_worker = to_worker
            self._from_worker = from_worker
            self._process = process
        # Only the tracker holds these ends now: when it exits, the reader sees the end.
        inbox.close()
        outbox.close()

    def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):  # already gone
            self._send(("stop",))
        process = self._process
        if process is not None:
            process.join(timeout=10)
            if process.is_alive():  # stuck: it ignores SIGTERM (run_worker), so SIGKILL
                process.kill()
                process.join(timeout=5)
            self._reader.join(timeout=5)
        if self._to_worker is not None:
            self._to_worker.close()

    # -- ingest ----------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return self._submitted - self._processed

    def has_room(self, n: int) -> bool:
        return self._ended is None and self.pending + n <= self.config.max_pending

    def submit(self, detections: list[Detection], received_at: float) -> None:
        if not detections:
            return
        # Pickled, not JSON: the tracker is the busier process (docs/performance.md).
        message = pickle.dumps(("detections", received_at, detections), pickle.HIGHEST_PROTOCOL)
        with self._send_lock:
            assert self._to_worker is not None, "start() first"
            self._submitted += len(detections)
            try:
                self._to_worker.send_bytes(message)
            except OSError:
                # The tracker just died. The batch is stored (the caller holds
                # ``accepting`` since), so the restarted tracker replays it from the log.
                log.warning("tracker gone while sending a batch; its restart replays it")

    def release(self) -> None:
        """Have the tracker release its buffers after what it was sent (release.py; the
        point is in the log already, so a tracker that died meanwhile replays it)."""
        with self._send_lock:
            if self._to_worker is not None:
                with contextlib.suppress(OSError):  # just died: its restart replays it
                    self._to_worker.send(("release",))

    def declare_sensor(self, sensor: SensorSeen) -> None:
        self.picture.put_sensor(sensor)
        with self._send_lock:
            self._declared[sensor.sensor_id] = sensor
            if self._to_worker is not None:
                with contextlib.suppress(OSError):  # just died: told at its restart
                    self._to_worker.send(("sensor", sensor))

    # -- operators -------------------------------------------------------------------

    def acknowledge(self, alert_id: str, by: str, at: datetime,
                    note: str = "") -> dict[str, Any]:
        return dict(self._ask("ack", alert_id, by, at, note))

    def resolve(self, alert_id: str, by: str, at: datetime, reason: str) -> dict[str, Any]:
        return dict(self._ask("resolve", alert_id, by, at, reason))

    def _ask(self, what: str, *arguments: Any) -> Any:
        """Ask the tracker and wait for its answer (raises as the tracker did)."""
        if self._ended is not None:
            raise RuntimeError(self._ended)
        request = next(self._requests)
        done = threading.Event()
        answer: list[Any] = []
        self._answers[request] = (done, answer)
        try:
            self._send(("ask", request, what, *arguments))
            if not done.wait(REQUEST_TIMEOUT_S):
                raise TimeoutError(f"the tracker did not answer within {REQUEST_TIMEOUT_S:g} s")
        finally:
            self._answers.pop(request, None)
        outcome, payload = answer[0]
        if outcome == "lifecycle":
            raise LifecycleError(payload)
        if outcome != "ok":
            raise RuntimeError(payload)
        return payload

    # -- the picture -----------------------------------------------------------------

    def snapshot_tracks(self) -> list[dict[str, Any]]:
        return list(self._ask("tracks"))

    def tracks_at(self, epoch: float) -> list[dict[str, Any]]:
        return list(self._ask("tracks_at", epoch))

    def history_span(self) -> tuple[float, float] | None:
        span = self._ask("history_span")
        return None if span is None else (float(span[0]), float(span[1]))

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def track_count(self) -> int:
        return self._track_count

    @property
    def stopped(self) -> str | None:
        return self._ended

    # -- from the tracker (the mirror thread) ----------------------------------------

    def _send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            if self._to_worker is None:
                raise OSError("the tracker has not started")
            self._to_worker.send(message)

    def _read(self) -> None:
        """Take the tracker's messages; when it ends unasked, restart it (RESTARTS)."""
        while True:
            self._read_until_the_end()
            for done, answer in list(self._answers.values()):
                answer.append(("error", "the tracker process ended"))
                done.set()
            process = self._process
            assert process is not None
            process.join(timeout=5)
            if self._stopping:
                return
            reason = f"the tracker process ended (exit code {process.exitcode})"
            log.error(reason)
            now = time.monotonic()
            self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW_S]
            if len(self._restarts) >= RESTARTS:
                self._ended = (f"{reason}, after {RESTARTS} restarts within "
                               f"{RESTART_WINDOW_S / 60:g} min; restart the service")
                log.error(self._ended)
                return
            self._restarts.append(now)
            self._ended = f"{reason}; restarting it"
            time.sleep(RESTART_PAUSE_S)
            if self._stopping:
                return
            self._restart()

    def _read_until_the_end(self) -> None:
        connection = self._from_worker
        assert connection is not None
        while True:
            try:
                data = connection.recv_bytes()
            except (EOFError, OSError):
                return
            try:
                self._take(decode_frame(data))
            except Exception as err:  # a message it cannot apply must not end the mirror
                self._mirror_failures += 1
                self.note_failure(err, "mirror")

    def _restart(self) -> None:
        """A new tracker that replays what was stored up to now; ingest waits meanwhile
        (``accepting``), so no batch is both in that replay and sent to it."""
        counters = self.counters
        with self._accepting:
            upto = self._position()
            self._counted_before = (counters.processed, counters.alerts_notified)
            with self._send_lock:
                self._submitted = self._processed = 0
            self._dirty = False
            self.recovering = True
            self._spawn(StoredBefore(self.config.db, upto))
            self._ended = None
        log.warning("tracker process restarted; it replays %d stored detections", upto)

    def _take(self, message: PipeMessage) -> None:
        subject, body = message.subject, message.data
        if subject.startswith(SUBJECT_PREFIX):
            # Passed on as it came: a track update's shared feed message unread.
            event = decode(subject, body, message.headers)
            if event["type"] == "incident":
                self.picture.add_incident(event["incident"])
            self.publish(event)
        elif subject == STATUS:
            self._status(pickle.loads(body))
        elif subject == INCIDENT_RAISED:
            self._incident_raised(pickle.loads(body))
        elif subject == ANSWER:
            request, outcome = pickle.loads(body)
            waiting = self._answers.get(request)
            if waiting is not None:
                waiting[1].append(outcome)
                waiting[0].set()
        elif subject == RECOVERED:
            recovered = pickle.loads(body)
            self.picture.set_incidents(recovered["incidents"])
            for sensor in recovered["sensors"]:
                self.picture.put_sensor(SensorSeen(**sensor))

    def _status(self, status: dict[str, Any]) -> None:
        counters = self.counters
        processed, notified = self._counted_before
        self._processed = status["processed"]
        counters.processed = processed + status["processed"]
        counters.incidents = status["incidents"]  # a restarted tracker raises them again
        counters.alerts_notified = notified + status["alerts_notified"]
        counters.add_alert_latencies(status["alert_latency_s"])
        for sensor in status["sensors"]:
            self.picture.put_sensor(SensorSeen(**sensor))
        # The tracker's failures and the mirror's own (an incident hook that raised).
        if status["failures"] + self._mirror_failures != self.failures:
            self.failures = status["failures"] + self._mirror_failures
            self.last_failure = status["last_failure"] or self.last_failure
        self.late = status["late"]
        self.unplaceable = status["unplaceable"]
        self.simulated_seen = status["simulated_seen"]
        self._dirty = status["dirty"]
        self._track_count = status["tracks"]
        self.recovering = status["recovering"]


def _widen(end: Connection) -> None:
    """Let a pipe hold a whole message (Linux: 64 kB by default, up to pipe-max-size), so
    that the tracker's send of a track update never waits for the mirror thread to read
    part of it (docs/performance.md)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    for size in (PIPE_BYTES, 1 << 20):
        with contextlib.suppress(OSError):
            fcntl.fcntl(end.fileno(), set_size, size)
            return


# -- the tracker process ------------------------------------------------------------


class _Reporter:
    """The tracker's side of the pipe back, by subject; the worker thread (events, status)
    and the command loop (answers, an acknowledgement's event) both publish."""

    def __init__(self, connection: Connection) -> None:
        self.bus = PipePublisher(connection)
        self.live: ThreadTracker | None = None
        self.recovered = False

    def send(self, subject: str, body: object) -> None:
        self.bus.publish(subject, pickle.dumps(body, pickle.HIGHEST_PROTOCOL))

    def event(self, event: dict[str, Any]) -> None:
        """A live event, as the feed's bus carries it (a track update's shared message
        made here, in the busier process's twin: docs/performance.md)."""
        data, headers = encode(event)
        self.bus.publish(subject_of(event), data, headers=headers)

    def incident(self, incident: Incident) -> None:
        self.send(INCIDENT_RAISED, incident)

    def cycle(self) -> None:
        live = self.live
        assert live is not None
        if not self.recovered:
            self.recovered = True
            picture = live.picture
            recovered = {"incidents": picture.snapshot_incidents(),
                         "sensors": [asdict(s) for s in picture.snapshot_sensors()]}
            self.send(RECOVERED, recovered)
        changed, live.sensors_changed = live.sensors_changed, set()
        latencies, live.counters.alert_latency_s = live.counters.alert_latency_s, []
        counters = live.counters
        status = {
            "processed": counters.processed, "incidents": counters.incidents,
            "alerts_notified": counters.alerts_notified, "alert_latency_s": latencies,
            "sensors": [asdict(live.picture.sensors[s]) for s in changed
                        if s in live.picture.sensors],
            "failures": live.failures, "last_failure": live.last_failure,
            "late": live.late, "unplaceable": live.unplaceable,
            "simulated_seen": live.simulated_seen, "dirty": live.dirty,
            "tracks": live.track_count,
            "recovering": live.recovering,
        }
        self.send(STATUS, status)


def run_worker(
    config: ServiceConfig,
    build: TrackerBuilder,
    stored: Callable[[], Iterator[StoredRun]] | None,
    sensors: list[SensorSeen],
    inbox: Connection,
    outbox: Connection,
) -> None:
    """The tracker process: build the tracker (the composition root's ``build``), replay
    what was stored before it started, then take work until told to stop or the HTTP
    process goes away."""
    # Ctrl-C reaches the whole process group, and a service manager's SIGTERM often the
    # whole group too: the HTTP process stops this one in order (and if it is killed
    # outright, this one reads the end of its pipe and stops).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    reporter = _Reporter(outbox)
    live = build(config, reporter.event)
    reporter.live = live
    live.on_cycle = reporter.cycle
    live.add_incident_hook(reporter.incident)
    for sensor in sensors:
        live.declare_sensor(sensor)
    live.start(stored)
    try:
        _take_commands(live, inbox, reporter)
    finally:
        live.stop()
        live.alerts.close()


def _take_commands(live: ThreadTracker, inbox: Connection, reporter: _Reporter) -> None:
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return  # the HTTP process is gone
        kind = message[0]
        if kind == "detections":
            live.submit(message[2], message[1])
        elif kind == "release":
            live.release()
        elif kind == "sensor":
            live.declare_sensor(message[1])
        elif kind == "ask":
            _, request, what, *arguments = message
            try:
                outcome: tuple[str, Any] = ("ok", _answer(live, what, arguments))
            except LifecycleError as err:
                outcome = ("lifecycle", str(err))
            except Exception as err:  # answered, never left waiting; the reason is kept
                outcome = ("error", f"{type(err).__name__}")
                live.note_failure(err, what)
            reporter.send(ANSWER, (request, outcome))
        elif kind == "stop":
            return


def _answer(live: ThreadTracker, what: str, arguments: list[Any]) -> Any:
    if what == "ack":
        return live.acknowledge(*arguments)
    if what == "resolve":
        return live.resolve(*arguments)
    if what == "tracks":
        return live.snapshot_tracks()
    if what == "tracks_at":
        return live.tracks_at(*arguments)
    if what == "history_span":
        return live.history_span()
    raise ValueError(f"nothing is answered to {what!r}")
