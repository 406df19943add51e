"""Smoke test of bench/alerts.py with a handful of alerts: every alert is delivered and
verified, and the figures it prints are the run's own and agree with each other (the
summary line with the detail lines, percentiles in order, rates with counts and seconds).
Not timed: no assertion on speed."""

from __future__ import annotations

import re

from tests.bench_helpers import run_bench

ALERTS, RATE, OUTBOX = 20, 100, 40
LATENCY = re.compile(
    r"^latency: (?P<n>\d+) alerts at (?P<rate>\d+)/s over (?P<s>\d+\.\d) s, all delivered and "
    r"signature-verified; min (?P<min>\d+\.\d) ms, mean (?P<mean>\d+\.\d) ms, "
    r"max (?P<max>\d+\.\d) ms$"
)
OUTBOX_LINE = re.compile(
    r"^outbox \(synchronous=(?P<mode>FULL|NORMAL)\): (?P<n>\d+) messages enqueued one per "
    r"transaction, dispatched and marked sent in (?P<s>\d+\.\d\d) s = (?P<rate>[\d,]+) "
    r"messages/s$"
)
SUMMARY = re.compile(r"^alerts: p50_ms=(?P<p50>\d+\.\d) p99_ms=(?P<p99>\d+\.\d) "
                     r"outbox_per_s=(?P<outbox>\d+)$")


def _one(pattern: re.Pattern[str], lines: list[str]) -> list[re.Match[str]]:
    return [m for m in map(pattern.match, lines) if m]


def test_bench_alerts_prints_the_figures_of_its_own_run() -> None:
    out = run_bench("alerts.py", "--alerts", str(ALERTS), "--outbox", str(OUTBOX), timeout=300)
    lines = out.strip().splitlines()
    summary = SUMMARY.match(lines[-1])
    assert summary, out
    (latency,) = _one(LATENCY, lines)
    assert (int(latency["n"]), int(latency["rate"])) == (ALERTS, RATE)
    # The schedule alone spans (n - 1) / rate seconds; the run cannot be shorter.
    assert float(latency["s"]) >= (ALERTS - 1) / RATE - 0.05, out
    low, mean, high = (float(latency[k]) for k in ("min", "mean", "max"))
    p50, p99 = float(summary["p50"]), float(summary["p99"])
    assert 0 < low <= mean <= high, out
    # Percentiles (rounded to 0.1 ms) lie between the extremes, in order.
    assert low - 0.1 <= p50 <= p99 <= high + 0.1, out
    outboxes = {m["mode"]: m for m in _one(OUTBOX_LINE, lines)}
    assert set(outboxes) == {"FULL", "NORMAL"}, out
    for m in outboxes.values():
        assert int(m["n"]) == OUTBOX
        seconds, rate = float(m["s"]), int(m["rate"].replace(",", ""))
        # rate = n / seconds, with seconds printed to 0.01 s and the rate to 1/s.
        assert OUTBOX / (seconds + 0.005) - 1 <= rate <= OUTBOX / max(seconds - 0.005, 1e-3) + 1
    assert int(summary["outbox"]) == int(outboxes["FULL"]["rate"].replace(",", "")), out
