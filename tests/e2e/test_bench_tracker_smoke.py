"""The tracker and crossing benchmarks run end to end (tiny sizes) and keep their one-line
summaries in the documented format. They time nothing here: this only proves they work."""

from __future__ import annotations

import re

import pytest
from tests.bench_helpers import run_bench


@pytest.mark.slow
def test_tracker_bench_quick_run_ends_with_its_summary_line() -> None:
    pytest.importorskip("stonesoup", reason="Stone Soup (dev dependency) is not installed")
    out = run_bench("tracker_vs_stonesoup.py", "--quick")
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"tracker: speedup_500=\d+\.\d gospa_ratio_500=\d+\.\d\d scan_ms_10000=\d+", last
    ), last
    assert "simulated" in out


def test_crossing_bench_short_run_ends_with_its_summary_line() -> None:
    out = run_bench("crossings.py", "--hours", "0.25", "--split", "tuning")
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"crossings: field/tuning n=\d+ recall=[\d.]+ dup=\d+ false=\d+ road=\d+ "
        r"approach_dup=\d+ approach_share=[\d.]+ p50=[\d.]+ p95=[\d.]+ "
        r"evidence_p50=[\d.]+ evidence_p95=[\d.]+",
        last,
    ), last
    assert "simulated" in out
