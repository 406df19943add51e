"""Smoke test of bench/ingest_mqtt.py with a few hundred events on its own Mosquitto:
every event is stored (none refused), every paced event is measured, and the figures it
prints are the run's own and agree with each other (the summary line with the table, the
ratios with the rows, percentiles in order). Not timed: no assertion on speed."""

from __future__ import annotations

import re

from tests.bench_helpers import run_bench
from tests.mqtt_fixtures import _need_mosquitto

EVENTS, RATE, SECONDS = 300, 400, 1
SUMMARY = re.compile(r"^mqtt: events_per_s=(?P<rate>\d+) p99_ms=(?P<p99>\d+\.\d)$")
PACED = re.compile(r"publish -> committed: (?P<n>[\d,]+) events, p50 (?P<p50>[\d.]+) ms, "
                   r"p99 (?P<p99>[\d.]+) ms, max (?P<max>[\d.]+) ms")
RATIO = re.compile(r"^ratio, MQTT over file: x(?P<file>\d+\.\d\d); MQTT over bare "
                   r"subscriber: x(?P<bare>\d+\.\d\d)$")


def test_bench_ingest_mqtt_prints_the_figures_of_its_own_run() -> None:
    _need_mosquitto()
    out = run_bench("ingest_mqtt.py", "--events", str(EVENTS), "--rate", str(RATE),
                    "--paced-seconds", str(SECONDS), timeout=300)
    lines = out.strip().splitlines()
    summary = SUMMARY.match(lines[-1])
    assert summary, out
    rows = {}
    for line in lines:
        for name in ("file ->", "broker -> bare", "broker -> parsed"):
            if line.startswith(name):
                events, seconds, rate = line.split()[-3:]
                assert int(events.replace(",", "")) == EVENTS, out
                rows[name] = (float(seconds), float(rate.replace(",", "")))
    assert len(rows) == 3, out
    assert "refused: 0" in lines, out
    # The summary's rate is the MQTT row's; the ratios are the rows' rates over each other.
    assert abs(int(summary["rate"]) - rows["broker -> parsed"][1]) <= 1, out
    ratio = next(m for m in map(RATIO.match, lines) if m)
    for key, row in (("file", "file ->"), ("bare", "broker -> bare")):
        expected = rows["broker -> parsed"][1] / rows[row][1]  # = their seconds inverted
        assert abs(float(ratio[key]) - expected) <= 0.01 + expected * 0.02, out
    paced = PACED.search(out)
    assert paced and int(paced["n"].replace(",", "")) == RATE * SECONDS, out
    assert 0 < float(paced["p50"]) <= float(paced["p99"]) <= float(paced["max"]), out
    assert abs(float(summary["p99"]) - float(paced["p99"])) <= 0.051, out
