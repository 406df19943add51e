"""Smoke test of bench/alerts.py with a handful of alerts: every alert is delivered and
verified, and the last line keeps its exact format. Not timed: no assertion on speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"^alerts: p50_ms=\d+\.\d p99_ms=\d+\.\d outbox_per_s=\d+$")


def test_bench_alerts_runs_and_prints_its_summary_line() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "alerts.py"), "--alerts", "20", "--outbox", "40"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    assert "20 alerts at 100/s" in result.stdout and "all delivered" in result.stdout


def test_readme_reports_the_alert_benchmark_in_its_format() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "bench/alerts.py" in readme
    assert any(SUMMARY.match(line.strip("` ")) for line in readme.splitlines())
