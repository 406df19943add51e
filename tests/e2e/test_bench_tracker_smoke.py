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
    # tuning and held-out side by side, each split's accuracy on its own line
    lines = out.strip().splitlines()
    assert re.fullmatch(
        r"tracker/tuning: seed=7 gospa_ratio_50_50=\d\.\d{3} gospa_ratio_500_50=\d\.\d{3} "
        r"head_count_within_one=\d\.\d{3}", lines[-3]
    ), lines[-3]
    assert lines[-2].startswith("tracker/held-out: seed=1007 "), lines[-2]
    held_500 = re.search(r"gospa_ratio_500_50=(\d\.\d{3})", lines[-2])
    assert held_500 and f"gospa_ratio_500={float(held_500[1]):.2f}" in last
    assert "tuning (seed 7)" in out and "held-out (seed 1007)" in out


def test_crossing_bench_short_run_ends_with_its_summary_line() -> None:
    out = run_bench("crossings.py", "--hours", "0.25", "--split", "tuning")
    assert "field / tuning" in out and "1101-1104" in out  # the column and its seeds
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"crossings: field/tuning n=\d+ recall=[\d.]+ dup=\d+ false=\d+ road=\d+ "
        r"approach_dup=\d+ approach_share=[\d.]+ p50=[\d.]+ p95=[\d.]+ "
        r"evidence_p50=[\d.]+ evidence_p95=[\d.]+ count_within_one=[\d.]+ range_covered=[\d.]+",
        last,
    ), last
    assert "simulated" in out
