"""The service's own tables in its SQLite file: accepted detections and API keys.

A detection answered with 2xx is committed first (WAL, ``synchronous=FULL``): killing the
process at any moment loses nothing that was acknowledged. ``id`` is unique, so a repeated
id is recognised across restarts, not only within one run. The alert stage (states,
outbox, disclosures) and the case store keep their own tables in the same file.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from borderwatch.service.roles import Principal, Role

_SCHEMA = """
CREATE TABLE IF NOT EXISTS service_detections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS service_api_keys (
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    agency TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    revoked_at TEXT
);
"""
KEY_PREFIX = "bw_"
_IDS_PER_QUERY = 500
"""Ids per ``IN (...)`` look-up (well under SQLite's limit on bound parameters)."""
_ROWS_PER_INSERT = 500
KEY_CACHE_S = 5.0
"""How long a running service trusts a key it has looked up (revocation delay)."""


@functools.lru_cache(maxsize=8)
def _insert_sql(rows: int) -> str:
    return "INSERT INTO service_detections (id, body) VALUES " + ",".join(["(?,?)"] * rows)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=10000")
    connection.executescript(_SCHEMA)
    return connection


class DetectionLog:
    """Accepted detections in arrival order, as their wire objects."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._connection = _connect(self.path)
        self._lock = threading.Lock()

    def append(self, items: Sequence[tuple[str | None, bytes | dict[str, Any]]]) -> list[bool]:
        """Store ``(id, wire object)`` pairs (the object as JSON bytes or a dict) in one
        committed transaction; for each, whether it was new (False: its id was already
        stored, or came earlier in the same batch, so it is ignored).

        One look-up of the batch's ids and one multi-row insert per 500 items: a
        statement per item (or ``executemany``, which steps once per item and lets go of
        the GIL each time) made ingest wait for the tracker thread (docs/gotchas.md)."""
        fresh = [True] * len(items)
        with self._lock:
            cursor = self._connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                ids = [det_id for det_id, _ in items if det_id is not None]
                known: set[str] = set()
                for start in range(0, len(ids), _IDS_PER_QUERY):
                    chunk = ids[start:start + _IDS_PER_QUERY]
                    marks = ",".join("?" * len(chunk))
                    known.update(row[0] for row in cursor.execute(
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
                    cursor.execute(_insert_sql(len(part)),
                                   [value for row in part for value in row])
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        return fresh

    def replay(self, chunk: int = 10_000, upto: int | None = None
               ) -> Iterator[list[dict[str, Any]]]:
        """Everything stored (up to position ``upto``, :meth:`last`), oldest first, in
        chunks."""
        last = 0
        end = upto if upto is not None else 1 << 62
        while True:
            with self._lock:
                rows = self._connection.execute(
                    "SELECT seq, body FROM service_detections WHERE seq > ? AND seq <= ? "
                    "ORDER BY seq LIMIT ?",
                    (last, end, chunk),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [orjson.loads(body) for _, body in rows]

    def last(self) -> int:
        """The position of the latest stored detection (0: none)."""
        with self._lock:
            row = self._connection.execute("SELECT max(seq) FROM service_detections").fetchone()
        return int(row[0] or 0)

    def count(self) -> int:
        with self._lock:
            row = self._connection.execute("SELECT count(*) FROM service_detections").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._connection.close()


@dataclass(frozen=True)
class StoredBefore:
    """The detections stored before the tracker started, which it replays first after a
    restart. Bounded by position: what is accepted from then on reaches the tracker
    through its queue, and must not be fed twice. (Without the bound, a tracker process
    that took two seconds to start replayed the first batches of a fresh service and
    then took them again from its queue.) Picklable, for the tracker process."""

    db: Path
    upto: int

    def __call__(self) -> Iterator[list[dict[str, Any]]]:
        log = DetectionLog(self.db)
        try:
            yield from log.replay(upto=self.upto)
        finally:
            log.close()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """API keys: only a SHA-256 hash of each is stored; the key itself is shown once.

    Keys are 32 random bytes, so a plain hash (not a slow password hash) is enough: there
    is nothing to guess from it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._connection = _connect(self.path)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Principal]] = {}
        columns = {row[1] for row in self._connection.execute(
            "PRAGMA table_info(service_api_keys)")}
        if "revoked_at" not in columns:  # a key table made before keys could be revoked
            self._connection.execute("ALTER TABLE service_api_keys ADD COLUMN revoked_at TEXT")

    def create(self, agency: str, role: Role, note: str = "") -> tuple[str, Principal]:
        if not agency or any(c.isspace() for c in agency):
            raise ValueError("agency must be a non-empty name without spaces, e.g. RCMP-K")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        key_id = "key-" + secrets.token_hex(4)
        with self._lock:
            self._connection.execute(
                "INSERT INTO service_api_keys (key_id, key_hash, agency, role, created_at, note) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key_id, hash_key(key), agency, role.value, datetime.now(UTC).isoformat(), note),
            )
        return key, Principal(key_id, agency, role)

    def lookup(self, key: str) -> Principal | None:
        """The key's principal; None for an unknown or revoked key. A key found is
        remembered for :data:`KEY_CACHE_S`, so a revocation made by another process
        (``borderwatch keys revoke``) takes effect within that time."""
        digest = hash_key(key)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
            if cached is not None and now - cached[0] < KEY_CACHE_S:
                return cached[1]
            row = self._connection.execute(
                "SELECT key_id, agency, role FROM service_api_keys "
                "WHERE key_hash = ? AND revoked_at IS NULL", (digest,)
            ).fetchone()
            if row is None:
                self._cache.pop(digest, None)
                return None
            found = Principal(row[0], row[1], Role(row[2]))
            self._cache[digest] = (now, found)
            return found

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by its id; False when no live key has that id."""
        with self._lock:
            cursor = self._connection.execute(
                "UPDATE service_api_keys SET revoked_at = ? "
                "WHERE key_id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), key_id),
            )
            self._cache.clear()
            return cursor.rowcount == 1

    def list(self) -> list[dict[str, str]]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT key_id, agency, role, created_at, note, revoked_at FROM service_api_keys "
                "ORDER BY created_at"
            ).fetchall()
        return [
            {"key_id": r[0], "agency": r[1], "role": r[2], "created_at": r[3], "note": r[4],
             "revoked_at": r[5] or ""}
            for r in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._connection.close()
