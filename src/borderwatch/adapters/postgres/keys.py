"""API keys on PostgreSQL: only a SHA-256 hash of each key is kept (as in SQLite)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from borderwatch.adapters.postgres.database import Database
from borderwatch.domain.access import Principal, Role
from borderwatch.ports.storage import check_agency, hash_key, new_key

KEY_CACHE_S = 5.0
"""How long a process trusts a key it has looked up: a revocation made by another process
takes effect within that time."""


class PostgresKeys:
    """:class:`~borderwatch.ports.storage.ApiKeys` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache_lock = threading.Lock()
        self._cache: dict[str, tuple[float, Principal]] = {}

    def create(self, agency: str, role: Role, note: str = "") -> tuple[str, Principal]:
        """A new key (shown once) and its principal."""
        check_agency(agency)
        key, key_id = new_key()
        self.db.execute(
            "INSERT INTO service_api_keys (key_id, key_hash, agency, role, created_at, note)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (key_id, hash_key(key), agency, role.value, datetime.now(UTC).isoformat(), note),
        )
        return key, Principal(key_id, agency, role)

    def lookup(self, key: str) -> Principal | None:
        """The key's principal; None for an unknown or revoked key (a key found is
        remembered for :data:`KEY_CACHE_S`)."""
        digest = hash_key(key)
        now = time.monotonic()
        with self._cache_lock:
            cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < KEY_CACHE_S:
            return cached[1]
        rows = self.db.execute(
            "SELECT key_id, agency, role FROM service_api_keys"
            " WHERE key_hash = %s AND revoked_at IS NULL",
            (digest,),
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
            "UPDATE service_api_keys SET revoked_at = %s"
            " WHERE key_id = %s AND revoked_at IS NULL",
            (datetime.now(UTC).isoformat(), key_id),
        )
        with self._cache_lock:
            self._cache.clear()
        return changed == 1

    def list(self) -> list[dict[str, str]]:
        """Every key, oldest first (never the key itself)."""
        rows = self.db.execute(
            "SELECT key_id, agency, role, created_at, note, revoked_at FROM service_api_keys"
            " ORDER BY created_at, n"
        )
        return [
            {"key_id": r[0], "agency": r[1], "role": r[2], "created_at": r[3], "note": r[4],
             "revoked_at": r[5] or ""}
            for r in rows
        ]
