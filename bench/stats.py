"""The full monthly table set on DuckDB against a plain pandas groupby, in one run.

    .venv/bin/python bench/stats.py [--rows 10000000] [--seed 5]

Generates a seeded set of person-encounter rows in memory (five fiscal years, FY2021-FY2025,
every stretch of the bundled boundary on both sides, 22 citizenships, the four CBP
demographics; every row marked simulated), then, in the same process on the same arrays:

1. ``DuckDbEngine.table_set`` (one thread): per month, the total and one table per dimension
   (country, region, segment, RCMP division, USBP sector, unit, agency, direction,
   citizenship, demographic, entry kind) — twelve tables in one GROUPING SETS pass;
2. the baseline: a pandas DataFrame of the same columns and one ``groupby([month, d]).size()``
   per table, labels looked up the same way.

Both results are compared cell by cell (the run fails if they differ), then the times are
printed. The LAST line is a one-line summary in a fixed format (``summary_line``).
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # One core, like bench/run.py: set before numpy starts its thread pools.
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse
import gc
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from borderwatch.stats.base import DIMENSIONS, Encounters
from borderwatch.stats.counting import DuckDbEngine
from borderwatch.stats.periods import month_index

CHUNK = 1_000_000
FIRST_MONTH = month_index(2020, 10)  # FY2021 starts
MONTHS = 60
# (segment, country): region, RCMP division and USBP sector of the stretch, interception unit.
PLACES = (
    ("BC-WA", "CA", "BC", "E", "BLW", "RCMP-E", "RCMP"),
    ("BC-WA", "US", "WA", "E", "BLW", "USBP-BLW", "USBP"),
    ("BC-ID", "CA", "BC", "E", "SPW", "RCMP-E", "RCMP"),
    ("BC-ID", "US", "ID", "E", "SPW", "USBP-SPW", "USBP"),
    ("AB-MT", "CA", "AB", "K", "HVM", "RCMP-K-IBET", "RCMP"),
    ("AB-MT", "US", "MT", "K", "HVM", "USBP-HVM", "USBP"),
    ("SK-ND", "CA", "SK", "F", "GFN", "RCMP-F", "RCMP"),
    ("SK-ND", "US", "ND", "F", "GFN", "USBP-GFN", "USBP"),
    ("MB-ND", "CA", "MB", "D", "GFN", "RCMP-D", "RCMP"),
    ("MB-ND", "US", "ND", "D", "GFN", "USBP-GFN", "USBP"),
    ("MB-MN", "CA", "MB", "D", "GFN", "RCMP-D", "RCMP"),
    ("MB-MN", "US", "MN", "D", "GFN", "USBP-GFN", "USBP"),
)
PLACE_WEIGHTS = np.array([6, 10, 2, 3, 2, 2, 2, 2, 4, 3, 2, 2], float)
CITIZENSHIPS = (
    "IN", "MX", "CA", "VE", "CO", "HT", "RO", "CN", "UA", "RU", "TR", "PH",
    "BR", "CU", "EC", "SV", "GT", "HN", "NI", "PE", "MM", "unknown",
)  # fmt: skip
DEMOGRAPHICS = ("Single Adults", "FMUA", "Accompanied Minors", "UC / Single Minors")
DEMOGRAPHIC_WEIGHTS = np.array([0.78, 0.17, 0.02, 0.03])
ENTRY_KINDS = ("between_ports", "land_port")


@dataclass(frozen=True)
class Result:
    rows: int
    tables: int
    cells: int
    duckdb_seconds: float
    pandas_seconds: float


def generate(rows: int, seed: int, progress: Progress | None = None) -> Encounters:
    """Seeded person-encounter rows as columns; every place's dimensions agree."""
    rng = np.random.default_rng(seed)
    vocab = {
        name: tuple(sorted({p[j] for p in PLACES}))
        for j, name in enumerate(
            ("segment", "country", "region", "rcmp_division", "usbp_sector", "unit", "agency")
        )
    }
    lookup = {
        name: np.array([vocab[name].index(p[j]) for p in PLACES], np.int16)
        for j, name in enumerate(vocab)
    }
    month = np.empty(rows, np.int32)
    codes = {name: np.empty(rows, np.int16) for name in DIMENSIONS}
    task = progress.add_task("generating rows", total=rows) if progress else None
    # Seasonal weights: more crossings in summer, fewer in deep winter.
    season = 1.0 + 0.4 * np.sin((np.arange(MONTHS) % 12 - 3) * np.pi / 6)
    season /= season.sum()
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        part = slice(start, start + n)
        month[part] = FIRST_MONTH + rng.choice(MONTHS, n, p=season)
        place = rng.choice(len(PLACES), n, p=PLACE_WEIGHTS / PLACE_WEIGHTS.sum())
        for name, table in lookup.items():
            codes[name][part] = table[place]
        country_ca = lookup["country"][place] == vocab["country"].index("CA")
        # Mostly people met on the side they entered; a few met after turning back.
        entered_ca = np.where(rng.random(n) < 0.97, country_ca, ~country_ca)
        codes["direction"][part] = np.where(entered_ca, 0, 1)  # northbound, southbound
        codes["citizenship"][part] = rng.zipf(1.6, n).clip(1, len(CITIZENSHIPS)) - 1
        codes["demographic"][part] = rng.choice(len(DEMOGRAPHICS), n, p=DEMOGRAPHIC_WEIGHTS)
        codes["entry_kind"][part] = (rng.random(n) < 0.05).astype(np.int16)
        if progress is not None and task is not None:
            progress.advance(task, n)
    labels = {
        **vocab,
        "direction": ("northbound", "southbound"),
        "citizenship": CITIZENSHIPS,
        "demographic": DEMOGRAPHICS,
        "entry_kind": ENTRY_KINDS,
    }
    return Encounters(
        month=month,
        codes=codes,
        labels=labels,
        simulated=np.ones(rows, np.bool_),
        demographic_assumed=np.zeros(rows, np.bool_),
    )


Cells = dict[tuple[str, tuple[str, ...], int], int]


def duckdb_tables(encounters: Encounters) -> Cells:
    engine = DuckDbEngine(threads=1)
    try:
        tables = engine.table_set(encounters)
    finally:
        engine.close()
    return {
        (name, group, month): n
        for name, counts in tables.items()
        for (group, month), n in counts.cells.items()
    }


def pandas_tables(encounters: Encounters) -> Cells:
    import pandas as pd

    frame = pd.DataFrame({"month": encounters.month, **encounters.codes})
    cells: Cells = {}
    for month, n in frame.groupby("month").size().items():
        cells[("total", (), int(month))] = int(n)
    for name in DIMENSIONS:
        labels = encounters.labels[name]
        sizes = frame.groupby(["month", name]).size()
        for (month, code), n in sizes.items():
            cells[(name, (labels[int(code)],), int(month))] = int(n)
    return cells


def _timed(function: object, encounters: Encounters) -> tuple[Cells, float]:
    gc.collect()
    start = time.perf_counter()
    cells = function(encounters)  # type: ignore[operator]
    return cells, time.perf_counter() - start


def measure(encounters: Encounters) -> Result:
    duck, duck_s = _timed(duckdb_tables, encounters)
    panda, panda_s = _timed(pandas_tables, encounters)
    if duck != panda:
        differ = sorted(set(duck.items()) ^ set(panda.items()))[:5]
        raise AssertionError(f"DuckDB and pandas disagree, e.g. {differ}")
    return Result(
        rows=len(encounters),
        tables=1 + len(DIMENSIONS),
        cells=len(duck),
        duckdb_seconds=duck_s,
        pandas_seconds=panda_s,
    )


def summary_line(result: Result) -> str:
    return (
        f"stats: rows={result.rows} seconds={result.duckdb_seconds:.1f} "
        f"pandas_seconds={result.pandas_seconds:.1f}"
    )


def _count(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=_count, default=10_000_000, metavar="N")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    console = Console()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        start = time.perf_counter()
        encounters = generate(args.rows, args.seed, progress)
    console.print(
        f"{len(encounters):,} person-encounter rows (seed {args.seed}, simulated) generated in "
        f"{time.perf_counter() - start:.1f} s; counting the full monthly table set ..."
    )
    result = measure(encounters)
    grid = Table(title=f"Monthly table set: {result.tables} tables, {result.cells:,} cells")
    grid.add_column("engine")
    grid.add_column("seconds", justify="right")
    grid.add_column("rows/s", justify="right")
    for name, seconds in (
        ("DuckDB (1 thread, GROUPING SETS)", result.duckdb_seconds),
        ("pandas groupby (baseline)", result.pandas_seconds),
    ):
        grid.add_row(name, f"{seconds:.2f}", f"{result.rows / max(seconds, 1e-9):,.0f}")
    console.print(grid)
    ratio = result.pandas_seconds / max(result.duckdb_seconds, 1e-9)
    console.print(f"identical results; pandas / DuckDB time: {ratio:.1f}x")
    sys.stdout.flush()
    print(summary_line(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
