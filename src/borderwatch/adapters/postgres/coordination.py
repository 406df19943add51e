"""The coordination port (``ports/coordination.py``) on PostgreSQL: what tracker workers
share to split the boundary's segments among themselves.

* :class:`SegmentPositions`: how far in the bus's stream each segment has been tracked,
  and which detection ids it has tracked. ``set``, ``advance`` (compare-and-set) and
  ``first_seen`` join the storage's transaction, so a worker commits its detections, its
  alert effects and its position together: after a crash it resumes exactly where its
  last commit left off, neither skipping nor repeating an effect.
* :class:`SegmentLocks`: who tracks a segment. One dedicated connection per worker holds
  session-level advisory locks, one per segment. When the worker's process dies, its
  kernel closes the socket, the server ends the session and drops its locks (within
  milliseconds), and another worker's ``try_acquire`` succeeds: that is the hand-over.
  A machine that vanishes without closing its sockets is noticed by TCP keepalives
  (~25 s). A stalled process keeps its locks while its session lives; one whose session
  was dropped learns it from :meth:`SegmentLocks.check`, and in any case cannot commit
  over the new owner: ``advance`` finds the position moved.
* :class:`Heartbeats` (table ``workers``): each worker says which segments it holds, so
  workers can compute a fair share and an operator can see who owns what.

Lock keys: a segment's name maps to a 64-bit key, the first 8 bytes of BLAKE2b over
``borderwatch/segment/<name>`` (:func:`segment_lock_key`), in PostgreSQL's one-key
advisory space of this database. Borderwatch's other advisory locks use the two-key space
(``database.ADVISORY_NAMESPACE``), which never meets it. Two names collide with
probability ~2^-64 per pair (ten thousand segments: ~3·10^-12); another application in the
same database using one-key advisory locks could meet ours just as rarely.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from borderwatch.adapters.postgres.database import Connection, Database
from borderwatch.ports.coordination import LostSegment, Member

KEY_PREFIX = "borderwatch/segment/"


def segment_lock_key(name: str) -> int:
    """The advisory lock key of a segment: stable across processes, machines and
    versions (a signed 64-bit integer, PostgreSQL's ``bigint``)."""
    digest = hashlib.blake2b((KEY_PREFIX + name).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _check_name(name: str, what: str = "segment") -> None:
    if not name or not name.strip():
        raise ValueError(f"{what} must be a non-empty name, got {name!r}")


class SegmentPositions:
    """The last stream position tracked per segment (table ``segment_positions``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, segment: str) -> int:
        """The stored position (0: none). Inside a transaction: as that transaction
        sees it."""
        rows = self.db.execute(
            "SELECT seq FROM segment_positions WHERE segment = %s", (segment,))
        return int(rows[0][0]) if rows else 0

    def set(self, segment: str, seq: int) -> None:
        """Store the position; inside ``storage.transaction()``, with the rest of it."""
        _check_name(segment)
        if seq < 0:
            raise ValueError(f"seq must be a stream position (>= 0), got {seq}")
        self.db.execute(
            "INSERT INTO segment_positions (segment, seq) VALUES (%s, %s)"
            " ON CONFLICT (segment) DO UPDATE SET seq = excluded.seq",
            (segment, seq),
        )

    position = get
    """The name the cluster's ``SegmentProgress`` uses."""

    def advance(self, segment: str, expected: int, seq: int) -> None:
        """Set the position to ``seq`` only if it is still ``expected`` (compare-and-set,
        joining ``storage.transaction()``); else raise :class:`LostSegment`: another
        worker owns the segment now, and this one must not commit over it. Of two workers
        advancing from the same position at once, the second waits for the first's
        commit, then fails."""
        _check_name(segment)
        if seq < 0:
            raise ValueError(f"seq must be a stream position (>= 0), got {seq}")
        with self.db.transaction() as connection:
            moved = connection.execute(
                "UPDATE segment_positions SET seq = %s WHERE segment = %s AND seq = %s",
                (seq, segment, expected),
            ).rowcount
            if moved == 0 and expected == 0:
                moved = connection.execute(
                    "INSERT INTO segment_positions (segment, seq) VALUES (%s, %s)"
                    " ON CONFLICT (segment) DO NOTHING",
                    (segment, seq),
                ).rowcount
            if moved != 1:
                raise LostSegment(f"segment {segment} moved past {expected}")

    def first_seen(self, segment: str, ids: Sequence[str]) -> list[bool]:
        """For each detection id, whether the segment sees it for the first time (a
        client's retry, or a repeat past the bus's de-duplication window, is not);
        recorded in ``storage.transaction()`` when inside one."""
        _check_name(segment)
        fresh = [True] * len(ids)
        first: dict[str, int] = {}
        for n, det_id in enumerate(ids):
            if det_id in first:
                fresh[n] = False
            else:
                first[det_id] = n
        if not first:
            return fresh
        # In id order: two workers recording common ids take their locks in one order.
        rows = self.db.execute(
            "INSERT INTO segment_seen (segment, id) SELECT %s, unnest(%s::text[])"
            " ON CONFLICT (segment, id) DO NOTHING RETURNING id",
            (segment, sorted(first)),
        )
        new = {row[0] for row in rows}
        for det_id, n in first.items():
            fresh[n] = det_id in new
        return fresh

    def forget_seen(self, older_than_s: float) -> int:
        """Drop the ids recorded more than ``older_than_s`` seconds ago (by the database
        server's clock); return how many. A repeat older than that is tracked again."""
        return self.db.changes(
            "DELETE FROM segment_seen WHERE seen_at < now() - make_interval(secs => %s)",
            (older_than_s,),
        )

    def all(self) -> dict[str, int]:
        """Every segment's position (for an operator)."""
        rows = self.db.execute("SELECT segment, seq FROM segment_positions ORDER BY segment")
        return {str(segment): int(seq) for segment, seq in rows}


class SegmentLocks:
    """Session-level advisory locks on segment names, held by one connection of worker
    ``worker_id`` (see the module docstring for the hand-over). Thread-safe."""

    def __init__(self, url: str, worker_id: str) -> None:
        _check_name(worker_id, "worker_id")
        self.url = url
        self.worker_id = worker_id
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}
        self._connection: Connection | None = None
        self._closed = False

    def _connect(self) -> Connection:
        if self._closed:
            raise RuntimeError("the segment locks were closed")
        if self._connection is None or self._connection.closed or self._connection.broken:
            self._held.clear()  # a new session holds nothing
            self._connection = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=10,
                # Seen in pg_stat_activity: who holds which locks.
                application_name=f"borderwatch-locks:{self.worker_id}"[:63],
                options="-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5"
                " -c tcp_keepalives_count=3",
                keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3,
            )
        return self._connection

    def try_acquire(self, name: str) -> bool:
        """Take the lock on ``name`` if no other session holds it; True if held now."""
        _check_name(name)
        with self._lock:
            if name in self._held and self._alive():
                return True
            connection = self._connect()
            key = segment_lock_key(name)
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if row is not None and row[0]:
                self._held[name] = key
                return True
            return False

    def release(self, name: str) -> None:
        """Let go of ``name`` (nothing happens when it is not held)."""
        with self._lock:
            key = self._held.pop(name, None)
            if key is None or self._connection is None or self._connection.broken:
                return
            try:
                self._connection.execute("SELECT pg_advisory_unlock(%s)", (key,))
            except psycopg.OperationalError:
                self._held.clear()  # the session is gone, and every lock with it

    def held(self) -> set[str]:
        """The names this worker believes it holds (:meth:`check` asks the server)."""
        with self._lock:
            return set(self._held)

    def check(self) -> set[str]:
        """The names still held, as the server says. After a lost connection: none (a
        later :meth:`try_acquire` opens a new session)."""
        with self._lock:
            if not self._held:
                return set()
            if self._connection is None or self._connection.broken:
                self._held.clear()
                return set()
            try:
                rows = self._connection.execute(
                    "SELECT classid::bigint, objid::bigint FROM pg_locks"
                    " WHERE locktype = 'advisory' AND objsubid = 1 AND granted"
                    " AND pid = pg_backend_pid()"
                ).fetchall()
            except psycopg.OperationalError:
                self._held.clear()
                return set()
            keys = {_signed((high << 32) | low) for high, low in rows}
            self._held = {name: key for name, key in self._held.items() if key in keys}
            return set(self._held)

    def _alive(self) -> bool:
        return self._connection is not None and not self._connection.broken

    def close(self) -> None:
        """Release every lock and close the connection. (Closing alone releases them too,
        but only once the server has noticed; here another worker may take them as soon
        as this returns.)"""
        with self._lock:
            self._closed = True
            self._held.clear()
            if self._connection is not None:
                with contextlib.suppress(psycopg.Error):
                    self._connection.execute("SELECT pg_advisory_unlock_all()")
                self._connection.close()
                self._connection = None


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


class Heartbeats:
    """Live workers and their segments (table ``workers``). ``clock``: epoch seconds;
    None: the database server's clock, one clock for every machine."""

    def __init__(self, db: Database, *, clock: Callable[[], float] | None = None) -> None:
        self.db = db
        self.clock = clock

    def _now(self) -> tuple[str, tuple[Any, ...]]:
        if self.clock is None:
            return "extract(epoch FROM clock_timestamp())", ()
        return "%s::double precision", (self.clock(),)

    def beat(self, worker_id: str, kind: str, segments: Sequence[str]) -> None:
        """Say that ``worker_id`` (of ``kind``, e.g. ``tracker``) is alive and holds
        ``segments``."""
        _check_name(worker_id, "worker_id")
        _check_name(kind, "kind")
        now, params = self._now()
        self.db.execute(
            f"INSERT INTO workers (worker_id, kind, segments, last_seen)"
            f" VALUES (%s, %s, %s, {now})"
            " ON CONFLICT (worker_id) DO UPDATE SET kind = excluded.kind,"
            " segments = excluded.segments, last_seen = excluded.last_seen",
            (worker_id, kind, list(segments), *params),
        )

    def live(self, kind: str, within_s: float) -> list[Member]:
        """Workers of ``kind`` seen within the last ``within_s`` seconds, by id, with
        their segments and when they were last seen (epoch seconds)."""
        if within_s <= 0:
            raise ValueError(f"within_s must be positive, got {within_s}")
        now, params = self._now()
        rows = self.db.execute(
            "SELECT worker_id, segments, last_seen FROM workers"
            f" WHERE kind = %s AND last_seen >= {now} - %s ORDER BY worker_id",
            (kind, *params, within_s),
        )
        return [Member(worker_id, tuple(segments), float(seen))
                for worker_id, segments, seen in rows]

    def leave(self, worker_id: str) -> None:
        """Forget a worker that stops cleanly (the others need not wait for its beat to
        age)."""
        self.db.execute("DELETE FROM workers WHERE worker_id = %s", (worker_id,))
