"""Counting on DuckDB: person-encounter rows grouped by month and dimensions.

The rows are handed to an in-process DuckDB as numpy columns (no copy through Python
objects, nothing written to disk) and grouped there, so a store of millions of
person-encounters is counted in a vectorised pass, not a Python loop. The label of each
code is looked up afterwards, on the (small) result.

DuckDB cannot read the SQLite store itself without its ``sqlite`` extension, which it would
download at run time; Borderwatch downloads nothing, so the rows are read through the case
store contract (:mod:`borderwatch.stats.rows`) and passed in as arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np

from borderwatch.stats.base import DIMENSIONS, Encounters, check_dimensions
from borderwatch.stats.periods import Period

GroupKey = tuple[str, ...]


@dataclass(frozen=True)
class Counts:
    """Person-encounters per group and month.

    ``cells[(group, month)]`` is the count for a group (its labels, in the order of ``by``)
    in a month; absent cells are 0.
    """

    by: tuple[str, ...]
    cells: Mapping[tuple[GroupKey, int], int]
    simulated: bool
    """Some counted row is simulated: every output of these counts must say so."""
    demographic_assumed: int = 0
    """How many counted rows have a demographic resting on assumed relations."""
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def groups(self) -> list[GroupKey]:
        return sorted({g for g, _ in self.cells})

    def months(self) -> list[int]:
        return sorted({m for _, m in self.cells})

    def get(self, group: GroupKey, month: int) -> int:
        return self.cells.get((group, month), 0)

    def total(self, *, group: GroupKey | None = None, period: Period | None = None) -> int:
        """Sum over months (of ``period``, if given) and groups (only ``group``, if given)."""
        return sum(
            n
            for (g, m), n in self.cells.items()
            if (group is None or g == group)
            and (period is None or period.first <= m <= period.last)
        )

    def per_month(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for (_, m), n in self.cells.items():
            out[m] = out.get(m, 0) + n
        return out


class DuckDbEngine:
    """Counts :class:`Encounters` on an in-memory DuckDB.

    ``threads``: DuckDB worker threads (None: DuckDB's default, all cores).
    """

    def __init__(self, *, threads: int | None = None) -> None:
        self._con = duckdb.connect(":memory:")
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")

    def close(self) -> None:
        self._con.close()

    def count(
        self,
        encounters: Encounters,
        by: Sequence[str] = (),
        *,
        where: Mapping[str, Sequence[str]] | None = None,
        period: Period | None = None,
    ) -> Counts:
        """Counts per month and per group of ``by``, of the rows matching ``where`` (each
        dimension one of the given labels) within ``period``."""
        by = check_dimensions(by)
        wanted = {k: tuple(v) for k, v in (where or {}).items()}
        check_dimensions(list(wanted), field="--where")
        conditions = self._conditions(encounters, wanted, period)
        columns = ", ".join(("month", *by))
        sql = (
            f"SELECT {columns}, count(*) AS n, sum(demographic_assumed::INTEGER) AS assumed, "
            f"bool_or(simulated) AS simulated FROM enc WHERE {conditions} GROUP BY {columns}"
        )
        result = self._run(encounters, sql, (*by, *wanted))
        cells: dict[tuple[GroupKey, int], int] = {}
        labels = [encounters.labels[name] for name in by]
        for i in range(len(result["n"])):
            key = tuple(labels[j][int(result[name][i])] for j, name in enumerate(by))
            cells[(key, int(result["month"][i]))] = int(result["n"][i])
        return Counts(
            by=by,
            cells=cells,
            simulated=bool(np.any(result["simulated"])),
            demographic_assumed=int(np.sum(result["assumed"])) if len(result["n"]) else 0,
            where=wanted,
        )

    def table_set(
        self,
        encounters: Encounters,
        dimensions: Sequence[str] = DIMENSIONS,
        *,
        period: Period | None = None,
    ) -> dict[str, Counts]:
        """Per month: the total and one table per dimension, in one pass (GROUPING SETS).

        Keys are the dimension names, and ``"total"`` for the monthly total.
        """
        dimensions = check_dimensions(dimensions)
        conditions = self._conditions(encounters, {}, period)
        sets = ", ".join(["(month)", *(f"(month, {d})" for d in dimensions)])
        sql = (
            f"SELECT month, {', '.join(dimensions)}, count(*) AS n FROM enc "
            f"WHERE {conditions} GROUP BY GROUPING SETS ({sets})"
        )
        result = self._run(encounters, sql, dimensions)
        simulated = encounters.any_simulated
        tables: dict[str, dict[tuple[GroupKey, int], int]] = {d: {} for d in ("total", *dimensions)}
        months = result["month"]
        counts = result["n"]
        # Codes are never NULL in the data, so the one non-NULL dimension names the set.
        masks = {d: ~np.ma.getmaskarray(result[d]) for d in dimensions}
        total_mask = np.ones(len(counts), bool)
        for d in dimensions:
            total_mask &= ~masks[d]
            names = encounters.labels[d]
            codes = np.ma.getdata(result[d])
            for i in np.flatnonzero(masks[d]):
                tables[d][((names[int(codes[i])],), int(months[i]))] = int(counts[i])
        for i in np.flatnonzero(total_mask):
            tables["total"][((), int(months[i]))] = int(counts[i])
        return {
            name: Counts(by=() if name == "total" else (name,), cells=cells, simulated=simulated)
            for name, cells in tables.items()
        }

    def _conditions(
        self,
        encounters: Encounters,
        where: Mapping[str, tuple[str, ...]],
        period: Period | None,
    ) -> str:
        parts = ["TRUE"]
        if period is not None:
            parts.append(f"month BETWEEN {int(period.first)} AND {int(period.last)}")
        for name, wanted in where.items():
            index = {label.casefold(): code for code, label in enumerate(encounters.labels[name])}
            codes = sorted({index[w.casefold()] for w in wanted if w.casefold() in index})
            # Only integers we computed go into the SQL text; a label nobody has matches none.
            parts.append(f"{name} IN ({', '.join(map(str, codes))})" if codes else "FALSE")
        return " AND ".join(parts)

    def _run(self, encounters: Encounters, sql: str, dimensions: Sequence[str]) -> Any:
        columns: dict[str, Any] = {
            "month": encounters.month,
            "simulated": encounters.simulated,
            "demographic_assumed": encounters.demographic_assumed,
        }
        for name in dimensions:
            columns[name] = encounters.codes[name]
        self._con.register("enc", columns)
        try:
            return self._con.execute(sql).fetchnumpy()
        finally:
            self._con.unregister("enc")
