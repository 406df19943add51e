"""Alert lifecycle on the in-memory store: grouping and repeats, inhibition, escalation
with loops, acknowledgement stopping it, resolution."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.alert_helpers import T0, incident

from borderwatch.alerts import (
    AlertBook,
    AlertPolicy,
    InMemoryAlertStore,
    LifecycleError,
    PolicyRouter,
    SharingPolicy,
    Status,
)
from borderwatch.alerts.lifecycle import Outcome, Routed
from borderwatch.domain import IncidentType
from borderwatch.geo import Boundary, Places

POLICY = AlertPolicy.from_dict(
    {
        "grouping": {"by": ["track_id", "type"], "repeat_interval": "10m"},
        "routes": [
            {
                "name": "all",
                "match": {},
                "notify": [
                    {"to": "responsible", "channels": ["console"], "escalation": "chain"},
                    {"to": "partner", "channels": ["console"]},
                ],
            }
        ],
        "inhibit": [
            {
                "source": {"type": ["crossing"]},
                "target": {"type": ["approach"]},
                "equal": ["track_id"],
            }
        ],
        "escalations": {
            "chain": {
                "steps": [
                    {"after": "2m", "to": "RCMP-K-IBET", "channels": ["console"]},
                    {"after": "3m", "to": "RCMP-K-IBET", "channels": ["console"]},
                ],
                "loops": 1,
            }
        },
    }
)


@pytest.fixture
def book() -> AlertBook:
    return AlertBook(POLICY, InMemoryAlertStore())


@pytest.fixture(scope="module")
def router() -> PolicyRouter:
    return PolicyRouter(Boundary.bundled(), Places.bundled(), SharingPolicy.bundled(), POLICY)


def _rcmp(router: PolicyRouter, *args: object, **kwargs: object) -> Routed:
    routed = router.route(incident(*args, **kwargs))  # type: ignore[arg-type]
    return next(r for r in routed if r.alert.recipient.unit_id == "RCMP-K-IBET")


def test_same_group_is_folded_quietly_then_repeated(book: AlertBook, router: PolicyRouter) -> None:
    first = book.trigger(_rcmp(router, IncidentType.APPROACH, incident_id="INC-1"), T0)
    assert first.outcome is Outcome.NEW and first.notify
    again = book.trigger(
        _rcmp(router, IncidentType.APPROACH, incident_id="INC-2"), T0 + timedelta(minutes=5)
    )
    assert again.outcome is Outcome.FOLDED and not again.notify
    assert again.state.alert_id == first.state.alert_id and again.state.folded == 1
    later = book.trigger(
        _rcmp(router, IncidentType.APPROACH, incident_id="INC-3"), T0 + timedelta(minutes=11)
    )
    assert later.outcome is Outcome.REPEAT and later.notify
    assert later.state.notifications == 2


def test_the_same_alert_id_twice_is_a_duplicate(book: AlertBook, router: PolicyRouter) -> None:
    routed = _rcmp(router)
    book.trigger(routed, T0)
    assert book.trigger(routed, T0).outcome is Outcome.DUPLICATE


def test_crossing_inhibits_the_approach_for_the_same_track(
    book: AlertBook, router: PolicyRouter
) -> None:
    approach = book.trigger(_rcmp(router, IncidentType.APPROACH, incident_id="INC-1"), T0)
    other = book.trigger(
        _rcmp(router, IncidentType.APPROACH, incident_id="INC-9", track_id="trk-2"), T0
    )
    crossing = book.trigger(
        _rcmp(router, IncidentType.CROSSING, incident_id="INC-2"), T0 + timedelta(minutes=1)
    )
    assert crossing.outcome is Outcome.NEW
    assert [s.alert_id for s in crossing.inhibited] == [approach.state.alert_id]
    closed = book.store.get(approach.state.alert_id)
    assert closed is not None and closed.status is Status.INHIBITED
    assert closed.reason == f"inhibited by {crossing.state.alert_id}"
    assert closed.next_escalation_at is None
    other_state = book.store.get(other.state.alert_id)
    assert other_state is not None and other_state.status is Status.TRIGGERED
    # An approach arriving while its crossing is open is inhibited at once.
    late = book.trigger(
        _rcmp(router, IncidentType.APPROACH, incident_id="INC-3"), T0 + timedelta(minutes=2)
    )
    assert late.outcome is Outcome.INHIBITED and not late.notify


def test_escalation_pages_each_step_and_loops_then_stops(
    book: AlertBook, router: PolicyRouter
) -> None:
    book.trigger(_rcmp(router), T0)
    assert book.due_pages(T0 + timedelta(minutes=1)) == []
    first = book.due_pages(T0 + timedelta(minutes=2))
    assert [p.level for p in first] == [1]
    assert book.due_pages(T0 + timedelta(minutes=2)) == []  # never due twice
    # A long gap yields every missed page, in order: 2 steps x (1 loop + 1) = 4 in all.
    rest = book.due_pages(T0 + timedelta(hours=1))
    assert [p.level for p in rest] == [2, 3, 4]
    assert [p.step.after_s for p in first + rest] == [120, 180, 120, 180]
    assert book.due_pages(T0 + timedelta(hours=2)) == []


def test_acknowledgement_stops_escalation(book: AlertBook, router: PolicyRouter) -> None:
    state = book.trigger(_rcmp(router), T0).state
    acked = book.acknowledge(state.alert_id, "sgt on duty", T0 + timedelta(seconds=40),
                             "team en route")
    assert acked.status is Status.ACKNOWLEDGED and acked.acknowledged_by == "sgt on duty"
    assert acked.acknowledged_note == "team en route"
    # Stored and read back with the note; a state written before notes existed has none.
    from borderwatch.adapters.sqlite.alerts import state_from_json, state_to_json

    assert state_from_json(state_to_json(acked)) == acked
    older = {k: v for k, v in state_to_json(acked).items() if k != "acknowledged_note"}
    assert state_from_json(older).acknowledged_note is None
    assert book.due_pages(T0 + timedelta(hours=1)) == []
    assert book.acknowledge(state.alert_id, "again", T0).status is Status.ACKNOWLEDGED
    done = book.resolve(state.alert_id, "sgt on duty", T0 + timedelta(minutes=30), "intercepted")
    assert done.status is Status.RESOLVED and done.reason == "intercepted"
    with pytest.raises(LifecycleError, match="already resolved"):
        book.resolve(state.alert_id, "x", T0)
    with pytest.raises(LifecycleError, match="nothing to acknowledge"):
        book.acknowledge(state.alert_id, "x", T0)


def test_unknown_alert_is_a_clear_error(book: AlertBook) -> None:
    with pytest.raises(LifecycleError, match="no alert 'ALR-X'"):
        book.acknowledge("ALR-X", "me", T0)
