"""The sensor health panel's counts (app/runtime/sensor_meter.py), on made-up times."""

from __future__ import annotations

from borderwatch.app.runtime.sensor_meter import SensorMeter


def test_counts_by_sensor_over_the_window_and_in_all() -> None:
    meter = SensorMeter(window_s=300.0)
    meter.count(1000.0, "cam-1", taken=60)
    meter.count(1000.5, "cam-1", refused=2)
    meter.count(1100.0, "cam-1", taken=30)
    meter.count(1100.0, "cam-2", refused=5)
    at = meter.activity(1200.0)
    assert (at["cam-1"].taken, at["cam-1"].refused, at["cam-1"].refused_total) == (90, 2, 2)
    assert at["cam-1"].per_minute(300.0) == 18.0  # 90 in 5 minutes
    assert at["cam-1"].last_report_s_ago == 100.0
    assert (at["cam-2"].taken, at["cam-2"].refused) == (0, 5)
    # Five minutes after the first reports they have left the window; the total stays.
    later = meter.activity(1300.5)["cam-1"]
    assert (later.taken, later.refused, later.refused_total) == (30, 0, 2)
    assert meter.activity(1500.0)["cam-1"].taken == 0


def test_the_sensors_metered_are_bounded() -> None:
    # A refused report names any id its sender likes: past the bound, counted apart.
    meter = SensorMeter(max_sensors=2)
    for n in range(5):
        meter.count(10.0, f"x-{n}", refused=1)
    assert sorted(meter.activity(10.0)) == ["x-0", "x-1"]
    assert meter.unmetered == 3
    meter.count(11.0, "x-0", taken=1)  # a sensor already metered is still counted
    assert meter.activity(11.0)["x-0"].taken == 1
