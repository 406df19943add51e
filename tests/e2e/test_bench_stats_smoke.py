"""Smoke test of bench/stats.py on a few thousand rows.

Not timed and no assertion on speed: it checks that the generated rows are consistent, that
DuckDB and the pandas baseline agree (``measure`` raises if they do not) and that the last
printed line keeps its exact format.
"""

from __future__ import annotations

import re
from types import ModuleType

import numpy as np
import pytest
from tests.bench_helpers import load_bench

SUMMARY = re.compile(r"stats: rows=\d+ seconds=\d+\.\d pandas_seconds=\d+\.\d")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("stats.py")


def test_generated_rows_are_consistent(bench: ModuleType) -> None:
    encounters = bench.generate(5_000, seed=2)
    assert len(encounters) == 5_000 and encounters.all_simulated
    labels, codes = encounters.labels, encounters.codes
    region = np.array(labels["region"])[codes["region"]]
    country = np.array(labels["country"])[codes["country"]]
    # a province is always on the Canadian side, a state on the US side
    assert set(region[country == "CA"]) <= {"BC", "AB", "SK", "MB"}
    assert set(region[country == "US"]) <= {"WA", "ID", "MT", "ND", "MN"}
    months = encounters.month
    assert months.min() >= bench.FIRST_MONTH and months.max() < bench.FIRST_MONTH + bench.MONTHS


def test_duckdb_and_pandas_agree_and_the_summary_line(bench: ModuleType) -> None:
    result = bench.measure(bench.generate(3_000, seed=4))
    assert result.rows == 3_000 and result.tables == 12
    assert SUMMARY.fullmatch(bench.summary_line(result))


def test_main_prints_the_summary_last(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(["--rows", "2000", "--seed", "3"]) == 0
    last = capsys.readouterr().out.rstrip("\n").splitlines()[-1]
    assert SUMMARY.fullmatch(last), last
    assert last.startswith("stats: rows=2000 ")
