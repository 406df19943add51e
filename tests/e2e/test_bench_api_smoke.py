"""Smoke test of bench/api.py with a few batches: the service starts as its own process,
every posted detection is tracked, every paced batch reaches the live feed, and the last
line keeps its exact format. Not timed: no assertion on speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"^api: ingest_per_s=\d+ feed_p99_ms=\d+$")


def test_bench_api_runs_and_prints_its_summary_line() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api.py"), "--seconds", "4",
         "--paced-seconds", "6", "--rate", "5000"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    assert "accepted 4,000; 429 answers 0" in result.stdout
    assert "over 6 track events" in result.stdout, result.stdout


def test_readme_reports_the_api_benchmark_in_its_format() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "bench/api.py" in readme
    assert any(SUMMARY.match(line.strip("` ")) for line in readme.splitlines())
