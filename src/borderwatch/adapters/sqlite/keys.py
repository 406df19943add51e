"""API keys in the service's SQLite file: only a SHA-256 hash of each key is kept."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from borderwatch.adapters.sqlite.detections import connect
from borderwatch.domain.access import Principal, Role

KEY_PREFIX = "bw_"
KEY_CACHE_S = 5.0
"""How long a running service trusts a key it has looked up (revocation delay)."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """API keys: only a SHA-256 hash of each is stored; the key itself is shown once.

    Keys are 32 random bytes, so a plain hash (not a slow password hash) is enough: there
    is nothing to guess from it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._connection = connect(self.path)
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
