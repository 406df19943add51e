"""The detection log on PostgreSQL: accepted detections in arrival order, shared by every
API process that stores into the database.

A repeated id is recognised by the unique index (``ON CONFLICT (id) DO NOTHING``), across
processes too: of two processes storing the same id at once, the second waits for the
first's commit and then stores nothing. Rows are inserted in id order so that two batches
with common ids take their index locks in the same order and cannot deadlock; positions
are drawn from the identity's sequence first, in arrival order, so they still follow the
batch.

Positions grow with every stored detection, but across processes they are handed out
before commit: a detection at position 7 may become visible after one at 8. ``last()``
then ``replay(upto=...)`` is exact for one writer; with several, a detection committed
later below the bound still counts as "up to" it. The cluster's workers track their place
in the bus's stream instead (``coordination.SegmentPositions``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from borderwatch.adapters.postgres.database import Database
from borderwatch.ports.storage import DetectionItem

_ROWS_PER_INSERT = 5_000
"""Rows per statement: bounds a statement's size, not the number of parameters (arrays)."""


class PostgresDetections:
    """:class:`~borderwatch.ports.storage.Detections` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db
        found = db.execute("SELECT pg_get_serial_sequence('service_detections', 'seq')")
        self._sequence = str(found[0][0])

    def append(self, items: Sequence[DetectionItem]) -> list[bool]:
        """Store ``(id, wire object)`` pairs in one transaction; for each, whether it was
        new (False: its id was stored before, by any process, or came earlier in the
        batch)."""
        fresh = [True] * len(items)
        seen: set[str] = set()
        rows: list[tuple[int, str | None, bytes]] = []
        for n, (det_id, body) in enumerate(items):
            if det_id is not None:
                if det_id in seen:
                    fresh[n] = False
                    continue
                seen.add(det_id)
            rows.append((n, det_id, body if isinstance(body, bytes) else orjson.dumps(body)))
        if not rows:
            return fresh
        with self.db.transaction() as connection:
            numbers = connection.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                (self._sequence, len(rows)),
            ).fetchall()
            positions = sorted(int(row[0]) for row in numbers)
            # Ids sorted (None last: they conflict with nothing), the lock order of every
            # process; each row keeps the position of its place in the batch.
            ordered = sorted(range(len(rows)), key=lambda i: (rows[i][1] is None, rows[i][1] or ""))
            stored: set[str] = set()
            for start in range(0, len(ordered), _ROWS_PER_INSERT):
                part = ordered[start:start + _ROWS_PER_INSERT]
                inserted = connection.execute(
                    "INSERT INTO service_detections (seq, id, body)"
                    " SELECT * FROM unnest(%b::bigint[], %b::text[], %b::bytea[])"
                    " ON CONFLICT (id) DO NOTHING RETURNING id",
                    (
                        [positions[i] for i in part],
                        [rows[i][1] for i in part],
                        [rows[i][2] for i in part],
                    ),
                ).fetchall()
                stored.update(row[0] for row in inserted if row[0] is not None)
        for n, det_id, _ in rows:
            if det_id is not None and det_id not in stored:
                fresh[n] = False
        return fresh

    def replay(
        self, chunk: int = 10_000, upto: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Everything stored (up to position ``upto``), oldest first, in chunks."""
        last = 0
        end = upto if upto is not None else (1 << 63) - 1
        while True:
            rows = self.db.execute(
                "SELECT seq, body FROM service_detections WHERE seq > %s AND seq <= %s"
                " ORDER BY seq LIMIT %s",
                (last, end, chunk),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [orjson.loads(body) for _, body in rows]

    def last(self) -> int:
        """The position of the latest stored detection (0: none)."""
        return int(self.db.execute("SELECT coalesce(max(seq), 0) FROM service_detections")[0][0])

    def count(self) -> int:
        """How many detections are stored."""
        return int(self.db.execute("SELECT count(*) FROM service_detections")[0][0])
