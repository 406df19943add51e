"""The detection log in the service's SQLite file: accepted detections, in arrival order.

A detection answered with 2xx is committed first (WAL, ``synchronous=FULL``): killing the
process at any moment loses nothing that was acknowledged. ``id`` is unique, so a repeated
id is recognised across restarts, not only within one run. The other repositories keep
their own tables in the same file (``storage.py``).

Beside the detections, the log keeps the service's *release points*: the positions after
which the tracker released what its reorder buffer and open scan held, because the
stream had gone quiet (app/runtime/release.py). A restart replays them where they were,
so the replay cuts the stream exactly as the live run did (docs/deployment.md,
"Deterministic replay"); the cluster records the same decision as a tick on the bus.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from borderwatch.adapters.sqlite.database import Database
from borderwatch.ports.storage import DetectionItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS service_detections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS service_releases (
    after_seq INTEGER PRIMARY KEY
);
"""
# AUTOINCREMENT is SQLite's spelling; PostgreSQL's is an identity column. It keeps a
# position from being reused after the newest rows were deleted.
_IDS_PER_QUERY = 500
"""Ids per ``IN (...)`` look-up (well under SQLite's limit on bound parameters)."""
_ROWS_PER_INSERT = 500


@functools.lru_cache(maxsize=8)
def _insert_sql(rows: int) -> str:
    return "INSERT INTO service_detections (id, body) VALUES " + ",".join(["(?,?)"] * rows)


@dataclass(frozen=True)
class StoredRun:
    """A piece of the stored stream as a restart replays it: wire objects in arrival
    order, or (empty, ``release``) the point where the live tracker released its buffers."""

    detections: list[dict[str, Any]]
    release: bool = False


class DetectionLog:
    """:class:`~borderwatch.ports.storage.Detections` on SQLite: accepted detections in
    arrival order, as their wire objects. Closing it closes its :class:`Database`."""

    def __init__(self, where: str | Path | Database) -> None:
        self.db = Database.of(where)
        self.path = self.db.path
        self.db.executescript(_SCHEMA)

    def append(self, items: Sequence[DetectionItem]) -> list[bool]:
        """Store ``(id, wire object)`` pairs (the object as JSON bytes or a dict) in one
        committed transaction; for each, whether it was new (False: its id was already
        stored, or came earlier in the same batch, so it is ignored).

        One look-up of the batch's ids and one multi-row insert per 500 items: a
        statement per item (or ``executemany``, which steps once per item and lets go of
        the GIL each time) made ingest wait for the tracker thread (docs/gotchas.md)."""
        fresh = [True] * len(items)
        with self.db.transaction():
            ids = [det_id for det_id, _ in items if det_id is not None]
            known: set[str] = set()
            for start in range(0, len(ids), _IDS_PER_QUERY):
                chunk = ids[start:start + _IDS_PER_QUERY]
                marks = ",".join("?" * len(chunk))
                known.update(row[0] for row in self.db.execute(
                    f"SELECT id FROM service_detections WHERE id IN ({marks})", chunk))
            rows: list[tuple[str | None, bytes]] = []
            for n, (det_id, body) in enumerate(items):
                if det_id is not None:
                    if det_id in known:
                        fresh[n] = False
                        continue
                    known.add(det_id)
                rows.append((det_id, body if isinstance(body, bytes) else orjson.dumps(body)))
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                part = rows[start:start + _ROWS_PER_INSERT]
                self.db.execute(_insert_sql(len(part)), [value for row in part for value in row])
        return fresh

    def replay(self, chunk: int = 10_000, upto: int | None = None
               ) -> Iterator[list[dict[str, Any]]]:
        """Everything stored (up to position ``upto``, :meth:`last`), oldest first, in
        chunks."""
        last = 0
        end = upto if upto is not None else 1 << 62
        while True:
            rows = self.db.read(
                "SELECT seq, body FROM service_detections WHERE seq > ? AND seq <= ? "
                "ORDER BY seq LIMIT ?",
                (last, end, chunk),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [orjson.loads(body) for _, body in rows]

    def replay_runs(self, chunk: int = 10_000, upto: int | None = None) -> Iterator[StoredRun]:
        """:meth:`replay` with the release points in their places: runs of stored wire
        objects (at most ``chunk`` each), and after the last object before a release
        point, an empty run that says to release (``release``)."""
        end = upto if upto is not None else 1 << 62
        points = [int(r[0]) for r in self.db.read(
            "SELECT after_seq FROM service_releases WHERE after_seq <= ? ORDER BY after_seq",
            (end,))]
        last = 0
        for stop, release in [*((p, True) for p in points), (end, False)]:
            while True:
                rows = self.db.read(
                    "SELECT seq, body FROM service_detections WHERE seq > ? AND seq <= ? "
                    "ORDER BY seq LIMIT ?",
                    (last, stop, chunk),
                )
                if not rows:
                    break
                last = rows[-1][0]
                yield StoredRun([orjson.loads(body) for _, body in rows])
            if release:
                yield StoredRun([], release=True)

    def mark_release(self, after: int) -> None:
        """Record that the tracker released its buffers after position ``after`` (every
        detection stored up to it was handed over before the release)."""
        with self.db.transaction():
            self.db.execute("INSERT OR IGNORE INTO service_releases (after_seq) VALUES (?)",
                            (after,))

    def last_release(self) -> int:
        """The latest release point (0: none)."""
        return int(self.db.read("SELECT max(after_seq) FROM service_releases")[0][0] or 0)

    def last(self) -> int:
        """The position of the latest stored detection (0: none)."""
        return int(self.db.read("SELECT max(seq) FROM service_detections")[0][0] or 0)

    def count(self) -> int:
        """How many detections are stored."""
        return int(self.db.read("SELECT count(*) FROM service_detections")[0][0])

    def count_not_simulated(self) -> int:
        """How many stored detections are not marked ``"simulated":true`` as orjson and
        the replay write it (a body spelled otherwise counts as real: the safe side)."""
        return int(self.db.read(
            "SELECT count(*) FROM service_detections "
            """WHERE CAST(body AS TEXT) NOT LIKE '%"simulated":true%'""")[0][0])

    def close(self) -> None:
        self.db.close()


@dataclass(frozen=True)
class StoredBefore:
    """The detections stored before the tracker started, with the release points among
    them (:meth:`DetectionLog.replay_runs`), which it replays first after a restart.
    Bounded by position: what is accepted from then on reaches the tracker through its
    queue, and must not be fed twice. (Without the bound, a tracker process
    that took two seconds to start replayed the first batches of a fresh service and
    then took them again from its queue.) Picklable, for the tracker process."""

    db: Path
    upto: int

    def __call__(self) -> Iterator[StoredRun]:
        log = DetectionLog(self.db)
        try:
            yield from log.replay_runs(upto=self.upto)
        finally:
            log.close()
