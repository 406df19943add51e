"""A steady, known load for the cluster's fault tests (tests/integration/test_cluster_faults.py).

The Coutts night (service_helpers.coutts_wire) is copied into other watch segments and
hours: each copy is moved along the 49th parallel so that it crosses the bundled line
well inside one segment's core (so it goes to that segment only), shifted by whole
hours, and given ids of its own. Each copy raises what the original raises (an approach
and a crossing, revised once when its head count's range widens), so the incidents a
cluster must raise are those one pipeline raises on all the copies
(``expected_incidents``).

:class:`LoadThread` posts the copies in batches at a steady rate to one or more API
processes, sending a batch again (to the next API) until one answers 2xx, and records
which detection ids were acknowledged and when. :class:`FeedClient` reads the live feed
(``GET /v1/stream``), reconnecting when its API goes away.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from borderwatch.domain.time import format_time

Wire = dict[str, Any]

COUTTS_LON = -111.9
"""Where the Coutts night crosses the line (its crossing is at -111.9003)."""
PLACES: tuple[tuple[str, float], ...] = (
    ("hvm", COUTTS_LON),  # Havre's core is [-114.07, -104.05)
    ("spw", -117.6),      # Spokane's [-120.6, -114.07): BC-WA
    ("gfn", -99.5),       # Grand Forks' [-104.05, -89.5): MB-ND
    ("blw", -121.9),      # Blaine's (-inf, -120.6): BC-WA
    ("hvm", -107.5),      # a second copy in Havre, two hours later
    ("spw", -115.9),
    ("gfn", -97.6),
)
"""(segment, longitude of the crossing) of each copy, in order: at least 0.3 degrees
(about 22 km, more than the 10 km margin plus the night's 5 km spread) from every cut."""


@dataclass(frozen=True)
class Copy:
    """One copy of the night: its segment, and its detections in time order."""

    index: int
    segment: str
    wires: tuple[Wire, ...]


def _shift_time(stamp: str, hours: int) -> str:
    return format_time(datetime.fromisoformat(stamp).astimezone(UTC) + timedelta(hours=hours))


def copy_night(night: Sequence[Wire], index: int, segment: str, lon: float,
               hours: int) -> Copy:
    """The night moved east by ``lon - COUTTS_LON`` degrees and ``hours`` later, each id
    prefixed ``k<index>-``; still marked simulated."""
    east = lon - COUTTS_LON
    wires = tuple({**w, "lon": round(float(w["lon"]) + east, 7),
                   "time": _shift_time(str(w["time"]), hours),
                   "id": f"k{index}-{w['id']}", "simulated": True} for w in night)
    return Copy(index, segment, wires)


def night_copies(night: Sequence[Wire], count: int) -> list[Copy]:
    """``count`` copies at :data:`PLACES`, copy ``k`` ``k`` hours after the night (a
    segment holding two copies gets them one after the other in data time)."""
    if not 1 <= count <= len(PLACES):
        raise ValueError(f"count must be 1 to {len(PLACES)}, got {count}")
    return [copy_night(night, k, segment, lon, hours=k)
            for k, (segment, lon) in enumerate(PLACES[:count])]


def expected_incidents(copies: Sequence[Copy]) -> list[dict[str, Any]]:
    """What one pipeline raises on every copy, fed in data-time order, each incident as
    last revised (watch/revision.py): what ``GET /v1/incidents`` lists (the wire format)."""
    from borderwatch.adapters.sources.detection_wire import parse_detection
    from borderwatch.geo import Boundary
    from borderwatch.pipeline import build_pipeline
    from borderwatch.watch import incident_to_wire

    wires = sorted((w for c in copies for w in c.wires), key=lambda w: str(w["time"]))
    pipeline = build_pipeline(Boundary.bundled(), route=False)
    raised = pipeline.feed_all(parse_detection(w) for w in wires)
    latest = {i.incident_id: i for i in pipeline.revisions}
    return [incident_to_wire(latest.get(i.incident_id, i)) for i in raised]


def interleaved_batches(copies: Sequence[Copy], batch: int) -> list[list[Wire]]:
    """The copies as request bodies of about ``batch`` detections: each body takes the
    next piece of every segment's detections (a segment's copies one after the other), so
    every segment is loaded all along and each sees its own detections in time order.
    A piece never splits one instant of one segment (a sensor's frame stays whole)."""
    by_segment: dict[str, list[Wire]] = {}
    for copy in copies:
        by_segment.setdefault(copy.segment, []).extend(copy.wires)
    streams = [iter(_pieces(wires, max(1, batch // len(by_segment))))
               for wires in by_segment.values()]
    out: list[list[Wire]] = []
    while streams:
        body: list[Wire] = []
        for stream in list(streams):
            piece = next(stream, None)
            if piece is None:
                streams.remove(stream)
            else:
                body.extend(piece)
        if body:
            out.append(body)
    return out


def _pieces(wires: Sequence[Wire], size: int) -> Iterator[list[Wire]]:
    start = 0
    while start < len(wires):
        end = min(start + size, len(wires))
        while end < len(wires) and wires[end]["time"] == wires[end - 1]["time"]:
            end += 1
        yield list(wires[start:end])
        start = end


class LoadThread(threading.Thread):
    """Posts ``batches`` at about ``rate`` detections a second, round-robin over
    ``urls``. A batch that gets no 2xx (refused, cut, timed out, 5xx) is sent again to
    the next URL after ``pause_s`` until one answers 2xx, or for ``give_up_s`` at most;
    with ``retry=False`` it is dropped instead (to show a test notices). With
    ``hold_after`` it stops before that batch until :meth:`release` (a test keeps the
    last part of the load for after what it broke is back).

    ``acked`` maps each acknowledged id to when (``time.monotonic()``) its 2xx came."""

    def __init__(self, batches: Sequence[list[Wire]], urls: Sequence[str],
                 headers: dict[str, str], *, rate: float = 1500.0, retry: bool = True,
                 pause_s: float = 0.2, give_up_s: float = 60.0,
                 timeout_s: float = 15.0, hold_after: int | None = None) -> None:
        super().__init__(name="fault-load", daemon=True)
        if not urls:
            raise ValueError("urls: give at least one API URL")
        if not rate > 0:
            raise ValueError(f"rate: must be > 0 detections a second, got {rate}")
        self.batches = batches
        self.urls = list(urls)
        self.headers = headers
        self.rate = rate
        self.retry = retry
        self.pause_s = pause_s
        self.give_up_s = give_up_s
        self.timeout_s = timeout_s
        self.acked: dict[str, float] = {}
        self.dropped: list[list[Wire]] = []
        self.refusals: list[str] = []
        """Why each try without a 2xx failed (``url: status or error``)."""
        self.sent_batches = 0
        self.error: BaseException | None = None
        self._lock = threading.Condition()
        self.hold_after = hold_after
        self._released = threading.Event()
        self._stop_now = threading.Event()

    @property
    def total(self) -> int:
        return sum(len(b) for b in self.batches)

    def run(self) -> None:
        try:
            self._post_all()
        except BaseException as err:  # reported by finish()
            self.error = err
        finally:
            with self._lock:
                self._lock.notify_all()

    def _post_all(self) -> None:
        turn = itertools.count()
        with httpx.Client(timeout=self.timeout_s) as client:
            began, sent = time.monotonic(), 0
            for n, body in enumerate(self.batches):
                if n == self.hold_after:
                    while not self._released.wait(0.1):
                        if self._stop_now.is_set():
                            return
                    began, sent = time.monotonic(), 0
                if self._stop_now.is_set():
                    return
                if not self._post(client, body, turn):
                    began, sent = time.monotonic(), 0  # steady again after an outage
                sent += len(body)
                ahead = began + sent / self.rate - time.monotonic()
                if ahead > 0:
                    self._stop_now.wait(ahead)

    def _post(self, client: httpx.Client, body: list[Wire], turn: Iterator[int]) -> bool:
        """Until a 2xx (True at the first try); False after a retried or dropped batch."""
        deadline = time.monotonic() + self.give_up_s
        first = True
        while True:
            url = self.urls[next(turn) % len(self.urls)]
            try:
                answer = client.post(f"{url}/v1/detections", json=body, headers=self.headers)
                problem = "" if answer.is_success else f"{answer.status_code} {answer.text[:120]}"
            except httpx.HTTPError as err:
                problem = f"{type(err).__name__} {err}"[:200]
            if not problem:
                result = answer.json()
                if result.get("errors"):
                    raise AssertionError(f"the API refused items of a batch: {result['errors']}")
                now = time.monotonic()
                with self._lock:
                    for wire in body:
                        self.acked[str(wire["id"])] = now
                    self.sent_batches += 1
                    self._lock.notify_all()
                return first
            self.refusals.append(f"{url}: {problem}")
            if not self.retry:
                self.dropped.append(body)
                return False
            if time.monotonic() > deadline:
                raise AssertionError(f"no API acknowledged a batch within {self.give_up_s} s; "
                                     f"last refusals: {self.refusals[-5:]}")
            first = False
            self._stop_now.wait(self.pause_s)

    def wait_acked(self, count: int, timeout_s: float = 60.0) -> None:
        """Until ``count`` detections are acknowledged (the moment to strike)."""
        with self._lock:
            done = self._lock.wait_for(
                lambda: len(self.acked) >= count or not self.is_alive(), timeout_s)
        if not done or len(self.acked) < count:
            raise AssertionError(f"only {len(self.acked)} of {count} detections acknowledged "
                                 f"(error {self.error!r}; refusals {self.refusals[-5:]})")

    def acked_before(self, moment: float) -> set[str]:
        with self._lock:
            return {i for i, at in self.acked.items() if at <= moment}

    def finish(self, timeout_s: float = 120.0) -> None:
        """Wait for the last batch; raise what went wrong in the thread."""
        self.join(timeout_s)
        if self.is_alive():
            self._stop_now.set()
            raise AssertionError(f"the load did not finish within {timeout_s} s "
                                 f"({len(self.acked)} of {self.total} acknowledged)")
        if self.error is not None:
            raise self.error

    def release(self) -> None:
        """Let the held part of the load go."""
        self._released.set()

    def stop(self) -> None:
        self._stop_now.set()
        self.join(10)


class FeedClient(threading.Thread):
    """Reads the live feed (Server-Sent Events at ``/v1/stream``) from the first of
    ``urls`` that answers, and from the next when the connection ends or fails, keeping
    ``(time.monotonic(), event type)`` of each event received."""

    def __init__(self, urls: Sequence[str], headers: dict[str, str]) -> None:
        super().__init__(name="fault-feed", daemon=True)
        self.urls = list(urls)
        self.headers = headers
        self.events: list[tuple[float, str]] = []
        self.connections: list[tuple[float, str]] = []
        """(when, URL) of each connection that got the feed's hello."""
        self._stop_now = threading.Event()
        self._response: httpx.Response | None = None

    def run(self) -> None:
        for url in itertools.cycle(self.urls):
            if self._stop_now.is_set():
                return
            with contextlib.suppress(Exception):  # the API went away: the next one
                self._read(url)
            self._stop_now.wait(0.2)

    def _read(self, url: str) -> None:
        timeout = httpx.Timeout(5.0, read=30.0)
        with httpx.stream("GET", f"{url}/v1/stream", headers=self.headers,
                          timeout=timeout) as response:
            if response.status_code != 200:
                return
            self._response = response
            for line in response.iter_lines():
                if self._stop_now.is_set():
                    return
                if line.startswith("event: "):
                    kind = line[7:].strip()
                    if kind == "hello":
                        self.connections.append((time.monotonic(), url))
                    self.events.append((time.monotonic(), kind))

    def received_after(self, moment: float, kinds: Sequence[str] = ("tracks", "incident",
                                                                      "alert")) -> list[str]:
        """The types of the events of ``kinds`` received after ``moment``."""
        return [kind for at, kind in list(self.events) if at > moment and kind in kinds]

    def stop(self) -> None:
        self._stop_now.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # may race the reader's own close
                response.close()
        self.join(10)
