"""The times of an intervention: each once, in order; only the assignment may change,
until the unit has arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from borderwatch.domain import InputError
from borderwatch.respond.times import (
    InterventionTimes,
    Milestone,
    TimesError,
    record,
    times_from_json,
)

T0 = datetime(2025, 2, 3, 13, 16, 45, tzinfo=UTC)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def full() -> InterventionTimes:
    times = InterventionTimes(incident_id="INC-1", simulated=True)
    for milestone, at in zip(Milestone, (0, 2, 60, 90, 600, 660), strict=True):
        times = record(times, milestone, s(at), unit_id="IBET-1")
    return times


def test_the_times_and_their_intervals() -> None:
    data = full().to_json()
    assert data["detection"] == "2025-02-03T13:16:45.000Z"
    assert data["intervals_s"] == {
        "detection_to_alert": 2.0, "alert_to_acknowledgement": 58.0,
        "acknowledgement_to_assignment": 30.0, "assignment_to_arrival": 510.0,
        "arrival_to_interception": 60.0}
    assert data["detection_to_interception_s"] == 660.0
    assert data["unit_id"] == "IBET-1" and data["simulated"] is True
    assert times_from_json(data) == full()


def test_a_missing_milestone_is_skipped_in_the_intervals() -> None:
    times = record(InterventionTimes(incident_id="I"), Milestone.DETECTION, s(0))
    times = record(times, Milestone.ASSIGNMENT, s(100), unit_id="U")
    assert times.to_json()["intervals_s"] == {"detection_to_assignment": 100.0}
    assert times.to_json()["alert"] is None


def test_the_same_time_again_changes_nothing_and_another_is_refused() -> None:
    times = record(InterventionTimes(incident_id="I"), Milestone.ARRIVAL, s(10))
    assert record(times, Milestone.ARRIVAL, s(10)) is times
    with pytest.raises(TimesError, match="already recorded"):
        record(times, Milestone.ARRIVAL, s(11))


def test_out_of_order_is_refused() -> None:
    times = record(InterventionTimes(incident_id="I"), Milestone.ASSIGNMENT, s(100), unit_id="U")
    with pytest.raises(TimesError, match="before the assignment"):
        record(times, Milestone.ARRIVAL, s(99))
    with pytest.raises(TimesError, match="after the assignment"):
        record(times, Milestone.ALERT, s(101))


def test_a_unit_may_be_reassigned_until_it_arrived() -> None:
    times = record(InterventionTimes(incident_id="I"), Milestone.ASSIGNMENT, s(100), unit_id="A")
    times = record(times, Milestone.ASSIGNMENT, s(130), unit_id="B")
    assert times.unit_id == "B" and times.at(Milestone.ASSIGNMENT) == s(130)
    times = record(times, Milestone.ARRIVAL, s(400))
    with pytest.raises(TimesError, match="already recorded"):
        record(times, Milestone.ASSIGNMENT, s(300), unit_id="C")


def test_bad_input_names_the_field() -> None:
    with pytest.raises(InputError, match="unit_id"):
        record(InterventionTimes(incident_id="I"), Milestone.ASSIGNMENT, s(0))
    with pytest.raises(InputError, match="time zone"):
        record(InterventionTimes(incident_id="I"), Milestone.ARRIVAL, datetime(2025, 2, 3))  # noqa: DTZ001
