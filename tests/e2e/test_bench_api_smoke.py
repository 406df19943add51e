"""Smoke test of bench/api.py with a few batches: the service starts as its own process
(its tracker in a thread, then in a process of its own), every posted detection is
tracked, every paced batch reaches the live feed, and the last line keeps its exact
format. Not timed: no assertion on speed."""

from __future__ import annotations

import re

from tests.bench_helpers import readme_lines, run_bench

SUMMARY = re.compile(r"^api: ingest_per_s=\d+ feed_p99_ms=\d+$")


def test_bench_api_runs_and_prints_its_summary_line() -> None:
    out = run_bench("api.py", "--seconds", "4", "--paced-seconds", "6", "--rate", "5000",
                    timeout=300)
    assert SUMMARY.match(out.strip().splitlines()[-1]), out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.startswith(("thread ", "process "))}
    assert set(rows) == {"thread", "process"}, out
    for row in rows.values():
        assert row[1:3] == ["4,000", "0"], out  # every detection accepted, no 429
    assert "track events received: 6 and 6 of 6" in out, out
    assert "ratio, own process over thread" in out


def test_readme_reports_the_api_benchmark_in_its_format() -> None:
    assert any(SUMMARY.match(line) for line in readme_lines())
