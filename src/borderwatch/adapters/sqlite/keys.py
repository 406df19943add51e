"""API keys in the service's SQLite file: only a SHA-256 hash of each key is kept."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.adapters.sqlite.database import Database
from borderwatch.domain.access import Principal, Role
from borderwatch.ports.storage import KEY_PREFIX, check_agency, hash_key, new_key

__all__ = ["KEY_CACHE_S", "KEY_PREFIX", "KeyStore", "hash_key"]

_SCHEMA = """
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
KEY_CACHE_S = 5.0
"""How long a running service trusts a key it has looked up (revocation delay)."""


class KeyStore:
    """:class:`~borderwatch.ports.storage.ApiKeys` on SQLite: only a SHA-256 hash of each
    key is stored; the key itself is shown once. Closing it closes its :class:`Database`."""

    def __init__(self, where: str | Path | Database) -> None:
        self.db = Database.of(where)
        self.path = self.db.path
        self._cache_lock = threading.Lock()
        self._cache: dict[str, tuple[float, Principal]] = {}
        self.db.executescript(_SCHEMA)
        # PRAGMA table_info is SQLite's catalogue (information_schema.columns elsewhere).
        columns = {row[1] for row in self.db.read("PRAGMA table_info(service_api_keys)")}
        if "revoked_at" not in columns:  # a key table made before keys could be revoked
            self.db.execute("ALTER TABLE service_api_keys ADD COLUMN revoked_at TEXT")

    def create(self, agency: str, role: Role, note: str = "") -> tuple[str, Principal]:
        """A new key (shown once) and its principal."""
        check_agency(agency)
        key, key_id = new_key()
        self.db.execute(
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
        with self._cache_lock:
            cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < KEY_CACHE_S:
            return cached[1]
        rows = self.db.read(
            "SELECT key_id, agency, role FROM service_api_keys "
            "WHERE key_hash = ? AND revoked_at IS NULL", (digest,)
        )
        with self._cache_lock:
            if not rows:
                self._cache.pop(digest, None)
                return None
            found = Principal(rows[0][0], rows[0][1], Role(rows[0][2]))
            self._cache[digest] = (now, found)
        return found

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by its id; False when no live key has that id."""
        changed = self.db.changes(
            "UPDATE service_api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
            (datetime.now(UTC).isoformat(), key_id),
        )
        with self._cache_lock:
            self._cache.clear()
        return changed == 1

    def list(self) -> list[dict[str, str]]:
        """Every key, oldest first (never the key itself)."""
        rows = self.db.read(
            "SELECT key_id, agency, role, created_at, note, revoked_at FROM service_api_keys "
            "ORDER BY created_at"
        )
        return [
            {"key_id": r[0], "agency": r[1], "role": r[2], "created_at": r[3], "note": r[4],
             "revoked_at": r[5] or ""}
            for r in rows
        ]

    def close(self) -> None:
        self.db.close()
