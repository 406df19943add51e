"""Smoke test of bench/alerts.py with a handful of alerts: every alert is delivered and
verified, and the last line keeps its exact format. Not timed: no assertion on speed."""

from __future__ import annotations

import re

from tests.bench_helpers import readme_lines, run_bench

SUMMARY = re.compile(r"^alerts: p50_ms=\d+\.\d p99_ms=\d+\.\d outbox_per_s=\d+$")


def test_bench_alerts_runs_and_prints_its_summary_line() -> None:
    out = run_bench("alerts.py", "--alerts", "20", "--outbox", "40", timeout=300)
    assert SUMMARY.match(out.strip().splitlines()[-1]), out
    assert "20 alerts at 100/s" in out and "all delivered" in out


def test_readme_reports_the_alert_benchmark_in_its_format() -> None:
    assert any(SUMMARY.match(line) for line in readme_lines())
