"""The evidence store (domain/evidence.py) on PostgreSQL, as the SQLite store keeps it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from borderwatch.adapters.postgres.database import Database
from borderwatch.domain.evidence import Snapshot
from borderwatch.domain.time import epoch_to_datetime

COLUMNS = "detection_id, sensor_id, epoch_s, lat, lon, band, png, simulated"


class PostgresEvidence:
    """:class:`~borderwatch.ports.storage.EvidenceStore` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, snapshots: Sequence[Snapshot]) -> None:
        if not snapshots:
            return
        with self.db.transaction() as connection, connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO evidence ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (detection_id) DO NOTHING",
                [(s.detection_id, s.sensor_id, s.time.timestamp(), s.lat, s.lon, s.band,
                  s.png, s.simulated) for s in snapshots])

    def get(self, detection_id: str) -> Snapshot | None:
        rows = self.db.execute(f"SELECT {COLUMNS} FROM evidence WHERE detection_id = %s",
                               (detection_id,))
        return _snapshot(rows[0]) if rows else None

    def between(self, start: datetime, end: datetime, limit: int = 500) -> list[Snapshot]:
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM evidence WHERE epoch_s BETWEEN %s AND %s"
            " ORDER BY epoch_s, detection_id LIMIT %s",
            (start.timestamp(), end.timestamp(), limit))
        return [_snapshot(r) for r in rows]


def _snapshot(row: tuple[Any, ...]) -> Snapshot:
    return Snapshot(detection_id=row[0], sensor_id=row[1], time=epoch_to_datetime(row[2]),
                    lat=row[3], lon=row[4], band=row[5], png=bytes(row[6]),
                    simulated=bool(row[7]))
