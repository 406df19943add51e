"""Smoke test of bench/api.py with a few batches: the service starts as its own process
(its tracker in a thread, then in a process of its own), every posted detection is
tracked, every paced batch reaches the live feed, and the figures it prints are the run's
own and agree with each other (the summary line and the ratio with the table, percentiles
in order, the paced phase no shorter than its schedule). Not timed: no assertion on
speed."""

from __future__ import annotations

import re

from tests.bench_helpers import run_bench

SECONDS, PACED, RATE = 4, 6, 5000
SUMMARY = re.compile(r"^api: ingest_per_s=(?P<ingest>\d+) feed_p99_ms=(?P<p99>\d+)$")
RATIO = re.compile(r"^ratio, own process over thread: sustained rate x(?P<rate>\d+\.\d\d), "
                   r"feed p99 x(?P<p99>\d+\.\d\d)$")


def _number(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_bench_api_prints_the_figures_of_its_own_run() -> None:
    out = run_bench("api.py", "--seconds", str(SECONDS), "--paced-seconds", str(PACED),
                    "--rate", str(RATE), timeout=300)
    lines = out.strip().splitlines()
    summary = SUMMARY.match(lines[-1])
    assert summary, out
    rows = {line.split()[0]: line.split()[1:] for line in lines
            if line.startswith(("thread ", "process "))}
    assert set(rows) == {"thread", "process"}, out
    table = {}
    for tracker, cells in rows.items():
        accepted, throttled, acked, tracked, paced, p50, p99, high = map(_number, cells)
        # Every detection of the unpaced batches accepted (1,000 a batch), none refused.
        assert (accepted, throttled) == (SECONDS * 1000, 0), out
        # Tracking ends after the last acknowledgement: its rate cannot be the higher.
        assert 0 < tracked <= acked + 1, out
        # The paced batches go out 1000 / RATE s apart: the phase spans at least that.
        assert paced >= (PACED - 1) * 1000 / RATE - 0.01, out
        assert 0 < p50 <= p99 <= high, out
        table[tracker] = (tracked, p99)
    assert f"track events received: {PACED} and {PACED} of {PACED}" in out, out
    # The summary is the own-process row; the ratio is process over thread.
    assert abs(int(summary["ingest"]) - table["process"][0]) <= 1, out
    assert abs(int(summary["p99"]) - table["process"][1]) <= 0.5 + 0.05, out
    ratio = next(m for m in map(RATIO.match, lines) if m)
    expected = table["process"][0] / table["thread"][0]
    assert abs(float(ratio["rate"]) - expected) <= 0.01 + expected * 1e-3, out
    assert abs(float(ratio["p99"]) - table["process"][1] / table["thread"][1]) <= 0.02, out
