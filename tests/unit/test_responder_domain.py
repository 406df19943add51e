"""ResponderPosition: what a unit's report must carry, and which report wins."""

from datetime import UTC, datetime, timedelta

import pytest

from borderwatch.domain import InputError, Position, ResponderPosition
from borderwatch.domain.responder import newer

T0 = datetime(2025, 2, 3, 11, 0, tzinfo=UTC)


def _report(**changes: object) -> ResponderPosition:
    fields: dict[str, object] = dict(
        uid="ANDROID-1", callsign="K-Div 3", agency="rcmp",
        position=Position(49.0, -111.96), time=T0, source="tak",
    )
    fields.update(changes)
    return ResponderPosition(**fields)  # type: ignore[arg-type]


def test_a_late_older_report_never_moves_a_unit_backwards() -> None:
    held = _report()
    assert newer(None, held)
    assert newer(held, _report(time=T0 + timedelta(seconds=1)))
    assert not newer(held, _report(time=T0 - timedelta(seconds=30)))
    assert not newer(held, _report())  # the same time again is a repeat, not news


@pytest.mark.parametrize(("field", "changes"), [
    ("uid", {"uid": "  "}),
    ("time", {"time": T0.replace(tzinfo=None)}),
    ("speed", {"speed_mps": -1.0}),
    ("course", {"course_deg": 400.0}),
])
def test_bad_reports_name_the_field(field: str, changes: dict[str, object]) -> None:
    with pytest.raises(InputError, match=f"field {field}"):
        _report(**changes)


def test_age_is_never_negative() -> None:
    report = _report()
    assert report.age_s(T0 + timedelta(seconds=90)) == 90.0
    assert report.age_s(T0 - timedelta(seconds=5)) == 0.0
