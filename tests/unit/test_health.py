"""The health decision (app/runtime/health.py): pure, on made-up clocks and counters."""

from __future__ import annotations

from borderwatch.app.runtime.health import DEGRADED, OK, HealthLimits, HealthMonitor, Reading


def _reading(accepted: int = 0, refused: int = 0, late: int = 0, processed: int = 0,
             pending: int = 0) -> Reading:
    return Reading(accepted=accepted, refused=refused, late=late, processed=processed,
                   pending=pending)


def test_a_quiet_service_is_ok() -> None:
    monitor = HealthMonitor(0.0)
    assert monitor.assess(10.0, _reading(), max_pending=100).status == OK


def test_late_detections_over_the_share_degrade_it_with_the_reason() -> None:
    # A future-dated report makes every later one late: accepted, and never tracked.
    monitor = HealthMonitor(0.0)
    monitor.observe(1.0, _reading())
    health = monitor.assess(2.0, _reading(accepted=600, late=599, processed=600),
                            max_pending=10_000)
    assert health.status == DEGRADED
    assert health.reasons == ("100% of the 600 detections received in the last 300 s were "
                              "refused or late (limit 20%)",)


def test_refused_detections_count_and_the_share_forgets_after_the_window() -> None:
    monitor = HealthMonitor(0.0, limits=HealthLimits(window_s=60))
    monitor.observe(0.0, _reading())
    monitor.observe(5.0, _reading(accepted=50, refused=50))
    assert monitor.assess(6.0, _reading(accepted=50, refused=50), max_pending=1).status \
        == DEGRADED
    # A minute on, only good detections: the old refusals are out of the window.
    health = monitor.assess(70.0, _reading(accepted=150, refused=50), max_pending=1)
    assert health.status == OK, health.reasons


def test_too_few_detections_are_not_judged() -> None:
    monitor = HealthMonitor(0.0)
    monitor.observe(0.0, _reading())
    assert monitor.assess(1.0, _reading(refused=5), max_pending=1).status == OK


def test_a_backlog_near_the_limit_degrades_it() -> None:
    monitor = HealthMonitor(0.0)
    health = monitor.assess(1.0, _reading(pending=150), max_pending=200)
    assert health.reasons == ("tracker backlog 150 of the 200 it may hold (limit 50%)",)


def test_work_waiting_with_no_progress_is_a_stalled_tracker() -> None:
    monitor = HealthMonitor(0.0, limits=HealthLimits(stall_s=30))
    monitor.observe(0.0, _reading(accepted=10, processed=0, pending=10))
    assert monitor.assess(29.0, _reading(accepted=10, pending=10), max_pending=10**6
                          ).status == OK
    health = monitor.assess(31.0, _reading(accepted=10, pending=10), max_pending=10**6)
    assert health.reasons == ("tracker stalled: 10 detections waiting and nothing tracked "
                              "for 31 s (limit 30 s)",)
    # Progress (something tracked) clears it.
    assert monitor.assess(32.0, _reading(accepted=11, processed=5, pending=6),
                          max_pending=10**6).status == OK


def test_a_declared_sensor_silent_longer_than_expected_degrades_it() -> None:
    monitor = HealthMonitor(100.0, expected={"cam-1": 60.0, "cam-2": 60.0})
    monitor.heard(150.0, ["cam-1", "undeclared-x"])
    assert monitor.assess(159.0, _reading(), max_pending=1).status == OK
    health = monitor.assess(170.0, _reading(), max_pending=1)
    assert health.reasons == ("1 declared sensor(s) silent: cam-2 for 70 s (expected every "
                              "60 s)",)
    monitor.heard(171.0, ["cam-2"])
    assert monitor.assess(200.0, _reading(), max_pending=1).status == OK


def test_a_restarted_counter_is_counted_afresh() -> None:
    monitor = HealthMonitor(0.0)
    monitor.observe(0.0, _reading(accepted=1000, late=0))
    # A new tracker counts late from 0 again: 30 late out of 100 received since.
    health = monitor.assess(1.0, _reading(accepted=1100, late=30), max_pending=1)
    assert health.status == DEGRADED
    assert health.reasons[0].startswith("30% of the 100 detections")
