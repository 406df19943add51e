"""The evidence store (domain/evidence.py) in SQLite: one row per detection's crop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from borderwatch.adapters.sqlite.database import Database
from borderwatch.domain.evidence import Snapshot
from borderwatch.domain.time import epoch_to_datetime

COLUMNS = "detection_id, sensor_id, epoch_s, lat, lon, band, png, simulated"


class SqliteEvidence:
    """:class:`~borderwatch.ports.storage.EvidenceStore` on SQLite."""

    def __init__(self, where: str | Path | Database) -> None:
        self.db = Database.of(where)
        self.db.executescript(
            "CREATE TABLE IF NOT EXISTS evidence ("
            " detection_id TEXT PRIMARY KEY, sensor_id TEXT NOT NULL, epoch_s REAL NOT NULL,"
            " lat REAL NOT NULL, lon REAL NOT NULL, band TEXT NOT NULL, png BLOB NOT NULL,"
            " simulated INTEGER NOT NULL);"
            "CREATE INDEX IF NOT EXISTS evidence_time ON evidence (epoch_s);")

    def put(self, snapshots: Sequence[Snapshot]) -> None:
        with self.db.transaction():
            self.db.executemany(
                f"INSERT INTO evidence ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (detection_id) DO NOTHING",
                [(s.detection_id, s.sensor_id, s.time.timestamp(), s.lat, s.lon, s.band,
                  s.png, int(s.simulated)) for s in snapshots])

    def get(self, detection_id: str) -> Snapshot | None:
        rows = self.db.read(f"SELECT {COLUMNS} FROM evidence WHERE detection_id = ?",
                            (detection_id,))
        return _snapshot(rows[0]) if rows else None

    def between(self, start: datetime, end: datetime, limit: int = 500) -> list[Snapshot]:
        rows = self.db.read(f"SELECT {COLUMNS} FROM evidence WHERE epoch_s BETWEEN ? AND ?"
                            " ORDER BY epoch_s, detection_id LIMIT ?",
                            (start.timestamp(), end.timestamp(), limit))
        return [_snapshot(r) for r in rows]


def _snapshot(row: tuple[Any, ...]) -> Snapshot:
    return Snapshot(detection_id=row[0], sensor_id=row[1], time=epoch_to_datetime(row[2]),
                    lat=row[3], lon=row[4], band=row[5], png=bytes(row[6]),
                    simulated=bool(row[7]))
