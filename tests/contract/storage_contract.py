"""The storage contract: every implementation of ``borderwatch.ports.storage.Storage`` runs
these tests.

Subclass ``StorageContract`` and provide two fixtures: ``make_storage`` (a factory taking
the outbox's clock and backoff) and ``edit_audit_body`` (change a stored audit record's
body past the log, as someone with access to the store could). The outbox's time is a
``ManualClock``, stepped, never slept through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
import pytest

from borderwatch.adapters.sources.detection_wire import (
    detection_to_wire,
    parse_detection,
    parse_stored,
)
from borderwatch.alerts.lifecycle import EVERY_ALERT, AlertState, PageScope, Status
from borderwatch.alerts.outbox import Backoff, Message, MessageStatus
from borderwatch.alerts.policy import IncidentFacts
from borderwatch.cases.base import CaseExists, CaseNotFound, InterceptionConflict
from borderwatch.domain import AgencyUnit, Audience, InputError, Severity
from borderwatch.domain.access import Role
from borderwatch.domain.evidence import Snapshot
from borderwatch.ports.bus_fake import ManualClock
from borderwatch.ports.storage import Storage
from borderwatch.respond.times import InterventionTimes, Milestone, record
from borderwatch.screening import screen
from tests.case_helpers import SCREENED_CASE, coutts_case, interception
from tests.contract.officer_contract import OfficerContract, a_decision, a_return


class StorageFactory(Protocol):
    def __call__(self, clock: ManualClock, backoff: Backoff) -> Storage: ...


EditAuditBody = Callable[[Storage, int, Callable[[str], str]], None]
"""``(storage, seq, change)``: replace record ``seq``'s stored body by ``change(body)``."""

T0 = datetime(2025, 2, 3, 13, 21, tzinfo=UTC)
BACKOFF = Backoff(base_s=10.0, factor=2.0, max_s=100.0, max_attempts=3)



def alert(
    alert_id: str = "ALR-1",
    *,
    unit_id: str = "RCMP-K-IBET",
    status: Status = Status.TRIGGERED,
    segment: str = "seg-3",
    track_id: str = "T1",
    raised_at: datetime = T0,
    next_escalation_at: datetime | None = None,
) -> AlertState:
    """An alert state with every field set (what a store must give back equal)."""
    return AlertState(
        alert_id=alert_id,
        incident_id=f"INC-{alert_id}",
        group_key=f"{unit_id}|{segment}",
        facts=IncidentFacts(
            incident_id=f"INC-{alert_id}",
            type="crossing",
            direction="northbound",
            segment=segment,
            track_id=track_id,
            severity=Severity.SEVERE,
            reasons=frozenset({"cold", "children"}),
        ),
        unit=AgencyUnit(unit_id, "RCMP K Division IBET", "RCMP-K", "CA"),
        audience=Audience.RESPONSIBLE,
        payload={"group_size": 9, "lat": 49.0, "lon": -111.96},
        channels=("console", "cot"),
        escalation="ibet",
        route="responsible-side",
        status=status,
        raised_at=raised_at,
        last_notified_at=raised_at,
        simulated=True,
        life_at_risk=True,
        folded=1,
        notifications=2,
        escalation_level=1,
        next_escalation_at=next_escalation_at,
        refs={"cap": ["msg-1"]},
    )


def message(n: int, alert_id: str = "ALR-1") -> Message:
    return Message(f"key-{n}", alert_id, "webhook", "http://x", "application/json", b'{"n":%d}' % n)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # bytes of every value, kept exactly


def snapshot(detection_id: str, seconds: float = 0.0, *, lat: float = 49.0,
             simulated: bool = True) -> Snapshot:
    return Snapshot(detection_id, "cam-3", T0 + timedelta(seconds=seconds), lat, -111.9,
                    PNG, simulated=simulated)


def write_one_of_each(storage: Storage, tag: str) -> None:
    """A write to every repository, marked with ``tag``."""
    storage.detections.append([(f"det-{tag}", {"tag": tag})])
    storage.keys.create(f"AGENCY-{tag}", Role.VIEWER, note=tag)
    storage.alerts.put(alert(f"ALR-{tag}"))
    storage.outbox.enqueue([Message(f"key-{tag}", f"ALR-{tag}", "cot", "served", "x", b"")])
    storage.disclosures.record({"alert_id": f"ALR-{tag}", "recipient": "USBP", "tag": tag})
    storage.cases.open_case(coutts_case(f"AB-{tag}", interception(f"int-{tag}", f"inc-{tag}")))
    storage.audit.record_screening(
        {**SCREENED_CASE, "case_id": f"AB-{tag}"}, screen({**SCREENED_CASE, "case_id": f"AB-{tag}"})
    )
    storage.interventions.put(record(InterventionTimes(incident_id=f"inc-{tag}"),
                                     Milestone.DETECTION, T0))
    storage.evidence.put([snapshot(f"det-{tag}")])
    storage.decisions.append(a_decision(f"d-{tag}", case_id=f"AB-{tag}"))
    storage.returns.append(a_return(f"r-{tag}", ("p1",), case_id=f"AB-{tag}"))


def contents(storage: Storage) -> dict[str, Any]:
    """What every repository holds, as plain values (for before/after comparisons)."""
    return {
        "detections": [d for chunk in storage.detections.replay() for d in chunk],
        "detections.last": storage.detections.last(),
        "keys": [(k["agency"], k["note"], k["revoked_at"]) for k in storage.keys.list()],
        "alerts": storage.alerts.all_alerts(),
        "outbox": [(m.id, m.message, m.status) for m in storage.outbox.all()],
        "disclosures": storage.disclosures.entries(),
        "cases": storage.cases.list_cases(),
        "interceptions": storage.cases.interceptions_for_incident("inc-a"),
        "audit": storage.audit.records(),
        "interventions": storage.interventions.all(),
        "evidence": storage.evidence.between(T0 - timedelta(days=1), T0 + timedelta(days=1)),
        "decisions": storage.decisions.all(),
        "returns": storage.returns.all(),
    }


class StorageContract(OfficerContract):
    @pytest.fixture
    def make_storage(self) -> StorageFactory:
        raise NotImplementedError("a test class for an implementation provides make_storage")

    @pytest.fixture
    def edit_audit_body(self) -> EditAuditBody:
        raise NotImplementedError("a test class for an implementation provides edit_audit_body")

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(1000.0)

    @pytest.fixture
    def storage(self, make_storage: StorageFactory, clock: ManualClock) -> Storage:
        return make_storage(clock, BACKOFF)

    # detections

    def test_append_says_per_item_whether_it_was_new(self, storage: Storage) -> None:
        log = storage.detections
        assert log.append([("d1", {"n": 1}), ("d2", b'{"n":2}'), ("d1", {"n": -1})]) == [
            True, True, False]
        assert log.append([("d2", b"{}"), (None, b'{"n":3}'), (None, b'{"n":3}'),
                           ("d4", b'{"n":4}')]) == [False, True, True, True]
        assert log.append([]) == []
        assert log.count() == 5
        stored = [d for chunk in log.replay() for d in chunk]
        assert stored == [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 3}, {"n": 4}]

    def test_a_large_batch_keeps_order_and_recognises_repeats(self, storage: Storage) -> None:
        log = storage.detections
        batch = [(f"d{i}", {"n": i}) for i in range(1200)]  # more than one insert statement
        batch[700] = ("d3", {"n": -3})  # a repeat past the first 500
        fresh = log.append(batch)
        assert fresh.count(False) == 1 and fresh[700] is False
        assert log.append([("d1199", b"{}"), ("d700", b'{"n":700}')]) == [False, True]
        assert [d["n"] for chunk in log.replay(chunk=500) for d in chunk][-3:] == [1198, 1199, 700]
        assert log.count() == 1200

    def test_replay_in_chunks_oldest_first_up_to_a_position(self, storage: Storage) -> None:
        log = storage.detections
        assert log.last() == 0 and list(log.replay()) == []
        log.append([(f"a{i}", {"n": i}) for i in range(5)])
        upto = log.last()
        log.append([(f"b{i}", {"n": 5 + i}) for i in range(3)])
        assert log.last() > upto
        chunks = list(log.replay(chunk=2))
        assert [len(c) for c in chunks] == [2, 2, 2, 2]
        assert [d["n"] for c in chunks for d in c] == list(range(8))
        assert [d["n"] for c in log.replay(chunk=3, upto=upto) for d in c] == list(range(5))
        assert list(log.replay(upto=0)) == []

    def test_a_stored_detection_keeps_its_extensions_through_a_restart(
            self, storage: Storage) -> None:
        # The sensor's own count range and the children travel as wire fields: what a
        # restart replays into the tracker is the detection as accepted (issue 18).
        det = parse_detection({
            "time": "2025-02-03T06:16:00Z", "sensor_id": "cam-7", "lat": 49.0, "lon": -111.9,
            "kind": "person", "count": 5, "count_low": 4, "count_high": 7, "children": 2,
            "id": "cam-7-f000012-0", "simulated": True,
        })
        wire = detection_to_wire(det)
        storage.detections.append([(det.id, wire), ("as-bytes", orjson.dumps(wire))])
        stored = [d for chunk in storage.detections.replay() for d in chunk]
        again, errors = parse_stored(stored, now_s=det.epoch_s, max_ahead_s=5.0)
        assert errors == [] and again == [det, det]

    # keys

    def test_keys_create_lookup_list(self, storage: Storage) -> None:
        key, principal = storage.keys.create("RCMP-K", Role.OPERATOR, note="night shift")
        other, _ = storage.keys.create("USBP-HVR", Role.VIEWER)
        assert key.startswith("bw_") and key != other
        assert storage.keys.lookup(key) == principal
        assert (principal.agency, principal.role) == ("RCMP-K", Role.OPERATOR)
        assert storage.keys.lookup(key + "x") is None
        listed = storage.keys.list()
        first = listed[0]
        assert (first["key_id"], first["agency"], first["role"], first["note"]) == (
            principal.key_id, "RCMP-K", "operator", "night shift")
        assert first["revoked_at"] == ""
        assert len(listed) == 2
        assert not any(key in str(v) or other in str(v) for k in listed for v in k.values())

    def test_a_revoked_key_is_refused(self, storage: Storage) -> None:
        key, principal = storage.keys.create("RCMP-K", Role.VIEWER)
        assert storage.keys.lookup(key) == principal  # looked up (and maybe remembered)
        assert storage.keys.revoke(principal.key_id) is True
        assert storage.keys.lookup(key) is None
        assert storage.keys.revoke(principal.key_id) is False
        assert storage.keys.revoke("key-unknown") is False
        assert storage.keys.list()[0]["revoked_at"] != ""

    @pytest.mark.parametrize("agency", ["", "RCMP K"])
    def test_a_key_needs_an_agency_without_spaces(self, storage: Storage, agency: str) -> None:
        with pytest.raises(ValueError, match="agency"):
            storage.keys.create(agency, Role.VIEWER)
        assert storage.keys.list() == []

    # alert states

    def test_alert_put_get_and_update(self, storage: Storage) -> None:
        state = alert()
        assert storage.alerts.get("ALR-1") is None
        storage.alerts.put(state)
        assert storage.alerts.get("ALR-1") == state
        acked = replace(state, status=Status.ACKNOWLEDGED, acknowledged_by="cpl-7",
                        acknowledged_at=T0 + timedelta(minutes=2))
        storage.alerts.put(acked)
        assert storage.alerts.get("ALR-1") == acked
        assert storage.alerts.all_alerts() == [acked]

    def test_a_revised_alert_keeps_its_new_payload_and_revision(self, storage: Storage) -> None:
        # An incident revised when its head count firmed up (watch/revision.py) updates its
        # open alert in place: the new payload, and the revision noted, so that a replay
        # after a restart recognises it (AlertBook.revise).
        from borderwatch.alerts import AlertBook, AlertPolicy
        from borderwatch.alerts.lifecycle import revised

        storage.alerts.put(alert())
        book = AlertBook(AlertPolicy.bundled(), storage.alerts)
        payload = {"group_size": 5, "group_size_range": [4, 6], "revision": 1}
        at = T0 + timedelta(minutes=1)
        assert book.revise("ALR-1", payload, 1, at) is not None
        again = AlertBook(AlertPolicy.bundled(), storage.alerts)
        stored = storage.alerts.get("ALR-1")
        assert stored is not None and stored.payload == payload and revised(stored) == 1
        assert stored.refs["cap"] == ["msg-1"] and stored.last_notified_at == at
        assert again.revise("ALR-1", payload, 1, at) is None  # the same revision replayed

    def test_open_alerts_of_a_unit_with_equal_facts(self, storage: Storage) -> None:
        for state in (
            alert("A1"),
            alert("A2", segment="seg-4"),
            alert("A3", status=Status.ACKNOWLEDGED),
            alert("A4", status=Status.RESOLVED),
            alert("A5", status=Status.INHIBITED),
            alert("A6", unit_id="USBP-HVR"),
        ):
            storage.alerts.put(state)

        def ids(unit: str, equal: dict[str, str]) -> list[str]:
            return sorted(s.alert_id for s in storage.alerts.open_alerts(unit, equal))

        assert ids("RCMP-K-IBET", {}) == ["A1", "A2", "A3"]
        assert ids("RCMP-K-IBET", {"segment": "seg-3"}) == ["A1", "A3"]
        assert ids("RCMP-K-IBET", {"group_key": "RCMP-K-IBET|seg-4"}) == ["A2"]
        assert ids("RCMP-K-IBET", {"segment": "seg-3", "track_id": "T9"}) == []
        assert ids("USBP-HVR", {"type": "crossing"}) == ["A6"]

    def test_next_escalation_at_is_none_without_a_triggered_page(self, storage: Storage) -> None:
        assert storage.alerts.next_escalation_at() is None
        storage.alerts.put(alert("C", raised_at=T0))
        storage.alerts.put(alert("D", status=Status.ACKNOWLEDGED,
                                 next_escalation_at=T0 + timedelta(minutes=1)))
        assert storage.alerts.next_escalation_at() is None

    def test_due_for_escalation_and_all_alerts_order(self, storage: Storage) -> None:
        storage.alerts.put(alert("B", raised_at=T0, next_escalation_at=T0 + timedelta(minutes=3)))
        storage.alerts.put(alert("A", raised_at=T0, next_escalation_at=T0 + timedelta(minutes=1)))
        storage.alerts.put(alert("C", raised_at=T0 - timedelta(minutes=1)))
        storage.alerts.put(alert("D", status=Status.ACKNOWLEDGED,
                                 next_escalation_at=T0 + timedelta(minutes=1)))

        def due(minutes: int) -> list[str]:
            found = storage.alerts.due_for_escalation(T0 + timedelta(minutes=minutes))
            return sorted(s.alert_id for s in found)

        assert due(0) == []
        assert due(1) == ["A"]  # due at the very time
        assert due(5) == ["A", "B"]
        assert storage.alerts.next_escalation_at() == T0 + timedelta(minutes=1)  # not D
        assert [s.alert_id for s in storage.alerts.all_alerts()] == ["C", "A", "B", "D"]

    def test_a_page_scope_takes_its_own_prefix_and_alerts_of_no_prefix(
            self, storage: Storage) -> None:
        # Incident ids are INC-<alert id> (alert()); the cluster's scopes are segments'.
        for minutes, alert_id in ((3, "BLW-2"), (2, "BLW-1"), (1, "SPW-1"), (4, "TIP-1")):
            storage.alerts.put(alert(alert_id, next_escalation_at=T0 + timedelta(minutes=minutes)))
        later = T0 + timedelta(minutes=5)

        def due(scope: PageScope) -> list[str]:
            return [s.alert_id for s in storage.alerts.due_for_escalation(later, scope)]

        blw = PageScope("INC-BLW-", ("INC-SPW-",))
        assert due(blw) == ["BLW-1", "BLW-2", "TIP-1"]  # by page time: not SPW's
        assert due(PageScope("INC-SPW-", ("INC-BLW-",))) == ["SPW-1", "TIP-1"]
        assert due(EVERY_ALERT) == ["SPW-1", "BLW-1", "BLW-2", "TIP-1"]
        # A prefix is text, not a pattern: "_" is no wildcard (SQL LIKE's would be).
        assert due(PageScope("INC-SPW-", ("INC-B_W-",))) == ["SPW-1", "BLW-1", "BLW-2", "TIP-1"]
        assert storage.alerts.next_escalation_at(blw) == T0 + timedelta(minutes=2)
        assert storage.alerts.next_escalation_at() == T0 + timedelta(minutes=1)
        assert storage.alerts.next_escalation_at(PageScope("INC-GFN-", ("INC-BLW-", "INC-SPW-",
                                                                        "INC-TIP-"))) is None

    # outbox

    def test_enqueue_ignores_a_dedup_key_it_holds(self, storage: Storage) -> None:
        outbox = storage.outbox
        assert outbox.enqueue([message(1), message(2), message(1)]) == 2
        assert outbox.enqueue([message(2)]) == 0
        assert outbox.enqueue([]) == 0
        assert [m.message for m in outbox.due()] == [message(1), message(2)]
        assert [m.message for m in outbox.due(limit=1)] == [message(1)]
        assert outbox.counts() == {"pending": 2}

    def test_due_sent_and_per_alert(self, storage: Storage, clock: ManualClock) -> None:
        outbox = storage.outbox
        outbox.enqueue([message(1), message(2, "ALR-2"), message(3)])
        first = outbox.due()[0]
        assert (first.status, first.attempts, first.created_at, first.sent_at) == (
            MessageStatus.PENDING, 0, clock(), None)
        assert outbox.next_due_at() == clock()
        clock.advance(1)
        outbox.mark_sent(first.id)
        assert [m.message.dedup_key for m in outbox.due()] == ["key-2", "key-3"]
        sent = outbox.all()[0]
        assert (sent.status, sent.attempts, sent.sent_at) == (MessageStatus.SENT, 1, clock())
        assert [m.message.dedup_key for m in outbox.for_alert("ALR-1")] == ["key-1", "key-3"]
        assert outbox.counts() == {"pending": 2, "sent": 1}
        assert len(outbox.all(limit=2)) == 2

    def test_failures_back_off_then_dead_letter_then_retry(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        outbox = storage.outbox
        outbox.enqueue([message(1), message(2)])
        one = outbox.due()[0].id
        assert outbox.mark_failed(one, "refused") is MessageStatus.PENDING
        stored = outbox.all()[0]
        assert stored.attempts == 1 and stored.last_error == "refused"
        assert 5.0 <= stored.next_attempt_at - clock() <= 10.0  # equal jitter of 10 s
        assert [m.message.dedup_key for m in outbox.due()] == ["key-2"]
        assert outbox.next_due_at() == clock()
        clock.advance(10)
        assert outbox.mark_failed(one, "refused") is MessageStatus.PENDING
        clock.advance(20)
        assert outbox.mark_failed(one, "x" * 600) is MessageStatus.DEAD  # third of 3
        dead = outbox.dead()
        assert [m.id for m in dead] == [one] and dead[0].attempts == 3
        assert dead[0].last_error == "x" * 500
        assert outbox.counts() == {"pending": 1, "dead": 1}
        assert outbox.retry([12345]) == 0
        assert outbox.retry() == 1
        back = outbox.all()[0]
        assert (back.status, back.attempts, back.next_attempt_at) == (
            MessageStatus.PENDING, 0, clock())
        assert outbox.retry() == 0
        with pytest.raises(KeyError):
            outbox.mark_failed(12345, "no such message")

    def test_due_and_next_due_per_destination(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """One dispatcher queue per destination reads only its own messages."""
        outbox = storage.outbox

        def to(n: int, where: str) -> Message:
            channel = "cot" if where.startswith("tcp") else "webhook"
            return Message(f"key-{n}", "ALR-1", channel, where, "x", b"%d" % n)

        outbox.enqueue([to(1, "http://a"), to(2, "tcp://b:8087"), to(3, "http://a")])
        assert outbox.pending_destinations() == ["http://a", "tcp://b:8087"]
        assert [m.message.dedup_key for m in outbox.due(destination="http://a")] == [
            "key-1", "key-3"]
        assert [m.message.dedup_key for m in outbox.due(destination="tcp://b:8087")] == [
            "key-2"]
        assert outbox.due(destination="http://nowhere") == []
        assert outbox.next_due_at(destination="http://nowhere") is None
        first, third = outbox.due(destination="http://a")
        outbox.mark_failed(first.id, "refused")
        outbox.mark_failed(third.id, "refused")
        assert outbox.due(destination="http://a") == []
        assert outbox.next_due_at(destination="http://a") == min(
            m.next_attempt_at for m in outbox.for_alert("ALR-1") if m.id != 2)
        assert outbox.next_due_at(destination="tcp://b:8087") == clock()
        outbox.mark_sent(outbox.due(destination="tcp://b:8087")[0].id)
        assert outbox.pending_destinations() == ["http://a"]
        assert outbox.next_due_at(destination="tcp://b:8087") is None

    def test_retry_only_the_ids_given(self, storage: Storage) -> None:
        outbox = storage.outbox
        outbox.enqueue([message(1), message(2)])
        ids = [m.id for m in outbox.due()]
        for _ in range(BACKOFF.max_attempts):
            for message_id in ids:
                outbox.mark_failed(message_id, "down")
        assert len(outbox.dead()) == 2
        assert outbox.retry([ids[1]]) == 1
        assert [m.id for m in outbox.dead()] == [ids[0]]

    # disclosures

    def test_disclosures_come_back_in_order(self, storage: Storage) -> None:
        first = {"alert_id": "ALR-1", "recipient": "USBP-HVR", "fields": ["lat", "lon"]}
        second = {"alert_id": "ALR-2", "recipient": "USBP-HVR", "fields": [], "basis": "none"}
        assert storage.disclosures.entries() == []
        storage.disclosures.record(first)
        storage.disclosures.record(second)
        assert storage.disclosures.entries() == [first, second]

    def test_disclosures_recorded_in_a_batch_come_back_in_order(self, storage: Storage) -> None:
        batch = [{"alert_id": f"feed:{n}", "recipient": "USBP-HVR", "count": n}
                 for n in range(3)]
        storage.disclosures.record({"alert_id": "ALR-0", "recipient": "USBP-HVR"})
        storage.disclosures.record_many(batch)
        storage.disclosures.record_many([])
        assert storage.disclosures.entries() == [
            {"alert_id": "ALR-0", "recipient": "USBP-HVR"}, *batch]

    def test_a_batch_of_disclosures_is_all_or_none(self, storage: Storage) -> None:
        with pytest.raises(KeyError):  # the second entry names no recipient
            storage.disclosures.record_many([{"alert_id": "a", "recipient": "x"},
                                             {"alert_id": "b"}])
        assert storage.disclosures.entries() == []

    # cases (tests/integration/test_case_store.py holds the case store's own suite)

    def test_cases_open_get_list_and_refuse(self, storage: Storage) -> None:
        cases = storage.cases
        case = coutts_case()
        cases.open_case(case)
        assert cases.get_case(case.case_id) == case
        with pytest.raises(CaseExists):
            cases.open_case(case)
        cases.open_case(coutts_case("AB-2025-0203-000"))
        assert cases.list_cases() == ["AB-2025-0203-000", case.case_id]
        with pytest.raises(CaseNotFound):
            cases.get_case("AB-none")
        with pytest.raises(InterceptionConflict):
            cases.save_interception(replace(interception(), people_count=8))
        assert cases.interceptions_for_incident("inc-0001") == [case.interception]

    # audit

    def test_audit_chain_of_screening_and_decisions(self, storage: Storage) -> None:
        audit = storage.audit
        result = screen(SCREENED_CASE)
        audit.record_screening(SCREENED_CASE, result)
        audit.record_decision("AB-2025-0203-001", "p1", "officer-7", "confirm", "facts confirmed")
        audit.record_decision("AB-2025-0203-001", "p1", "officer-9", "override",
                              "new document seen", outcome="exception")
        other = {**SCREENED_CASE, "case_id": "AB-other"}
        audit.record_screening(other, screen(other))
        records = audit.records("AB-2025-0203-001")
        assert [r["kind"] for r in records] == ["screening", "decision", "decision"]
        assert [r["seq"] for r in records] == [1, 2, 3]
        assert records[1]["data"]["outcome"] == "ineligible"
        assert records[2]["data"]["outcome"] == "exception"
        assert records[2]["prev_hash"] == records[1]["hash"]
        assert [r["seq"] for r in audit.records()] == [1, 2, 3, 4]
        assert audit.verify() == []

    def test_the_latest_screening_of_each_case_is_read_at_once(self, storage: Storage) -> None:
        audit = storage.audit
        assert audit.latest_screenings() == []
        first = screen(SCREENED_CASE)
        other = {**SCREENED_CASE, "case_id": "AB-other"}
        audit.record_screening(SCREENED_CASE, first)
        audit.record_screening(other, screen(other))
        audit.record_decision("AB-2025-0203-001", "p1", "officer-7", "confirm", "ok")
        again = {**SCREENED_CASE, "people": SCREENED_CASE["people"][:1]}
        audit.record_screening(again, screen(again))
        audit.record_decision("AB-2025-0203-001", "p1", "officer-7", "confirm", "ok")
        latest = audit.latest_screenings()
        # The same records as each case's own read: its last screening, decisions left out.
        assert latest == [
            [r for r in audit.records(case_id) if r["kind"] == "screening"][-1]
            for case_id in ("AB-other", "AB-2025-0203-001")
        ]
        assert [r["seq"] for r in latest] == [2, 4]
        assert latest[1]["data"]["case"] == again

    def test_an_edited_audit_record_is_reported(
        self, storage: Storage, edit_audit_body: EditAuditBody
    ) -> None:
        storage.audit.record_screening(SCREENED_CASE, screen(SCREENED_CASE))
        storage.audit.record_decision("AB-2025-0203-001", "p1", "officer-7", "confirm", "ok")
        assert storage.audit.verify() == []
        edit_audit_body(storage, 1, lambda body: body.replace("ineligible", "exception"))
        problems = storage.audit.verify()
        assert any("hash mismatch" in p and "seq 1" in p for p in problems)

    def test_an_invalid_decision_writes_nothing(self, storage: Storage) -> None:
        storage.audit.record_screening(SCREENED_CASE, screen(SCREENED_CASE))
        for args in (
            ("p1", "officer-7", "approve", "x"),
            ("p1", "officer-7", "override", ""),
            ("p1", " ", "confirm", "x"),
            ("p99", "officer-7", "confirm", "x"),
        ):
            with pytest.raises(InputError):
                storage.audit.record_decision("AB-2025-0203-001", *args)
        with pytest.raises(InputError):
            storage.audit.record_screening({**SCREENED_CASE, "case_id": "x"},
                                           screen(SCREENED_CASE))
        assert len(storage.audit.records()) == 1

    # intervention times

    def test_intervention_times_put_get_replace_and_list(self, storage: Storage) -> None:
        assert storage.interventions.get("INC-2") is None
        times = InterventionTimes(incident_id="INC-2", simulated=True)
        for step, milestone in enumerate(Milestone):
            times = record(times, milestone, T0 + timedelta(seconds=30 * step),
                           unit_id="RCMP-K-IBET-1")
            storage.interventions.put(times)
        storage.interventions.put(InterventionTimes(incident_id="INC-1"))
        assert storage.interventions.get("INC-2") == times
        assert [t.incident_id for t in storage.interventions.all()] == ["INC-1", "INC-2"]
        assert times.to_json()["detection_to_interception_s"] == 150.0

    # evidence

    def test_evidence_is_kept_by_detection_id_and_found_by_time(self, storage: Storage) -> None:
        assert storage.evidence.get("det-1") is None
        storage.evidence.put([snapshot("det-2", 20.5, lat=49.001), snapshot("det-1", 10.25)])
        storage.evidence.put([snapshot("det-1", 99.0, simulated=False)])  # kept as it was
        first = storage.evidence.get("det-1")
        assert first == snapshot("det-1", 10.25)
        assert first is not None and first.png == PNG and first.time.tzinfo is not None
        found = storage.evidence.between(T0 + timedelta(seconds=10.25),
                                         T0 + timedelta(seconds=20.5))
        assert [s.detection_id for s in found] == ["det-1", "det-2"]
        assert storage.evidence.between(T0, T0 + timedelta(seconds=30), limit=1) == [first]
        assert storage.evidence.between(T0 + timedelta(seconds=21),
                                        T0 + timedelta(seconds=30)) == []

    # the unit of work

    def test_a_transaction_commits_every_repository_together(self, storage: Storage) -> None:
        empty = contents(storage)
        with storage.transaction():
            write_one_of_each(storage, "a")
        after = contents(storage)
        assert all(after[name] != value for name, value in empty.items()), after

    def test_an_exception_leaves_nothing_of_any_repository(self, storage: Storage) -> None:
        write_one_of_each(storage, "before")
        storage.outbox.mark_sent(storage.outbox.due()[0].id)
        before = contents(storage)
        with pytest.raises(RuntimeError, match="half-way"), storage.transaction():
            write_one_of_each(storage, "a")
            storage.alerts.put(replace(alert("ALR-before"), status=Status.RESOLVED))
            storage.keys.revoke(storage.keys.list()[0]["key_id"])
            storage.outbox.retry()
            raise RuntimeError("half-way")
        assert contents(storage) == before
        # The ids written and rolled back are free again.
        assert storage.detections.append([("det-a", {"tag": "a"})]) == [True]
        storage.cases.open_case(coutts_case("AB-a", interception("int-a", "inc-a")))

    def test_a_nested_transaction_joins_the_outer_one(self, storage: Storage) -> None:
        with pytest.raises(RuntimeError), storage.transaction():
            with storage.transaction():
                storage.detections.append([("inner", {})])
                storage.alerts.put(alert("inner"))
            storage.disclosures.record({"alert_id": "outer", "recipient": "x"})
            raise RuntimeError("after the inner block ended")
        assert storage.detections.count() == 0
        assert storage.alerts.get("inner") is None
        assert storage.disclosures.entries() == []
        with storage.transaction():
            with storage.transaction():
                storage.alerts.put(alert("inner"))
            assert storage.alerts.get("inner") is not None  # visible inside
        assert storage.alerts.get("inner") == alert("inner")

    def test_a_failed_repository_write_inside_a_transaction_undoes_the_rest(
        self, storage: Storage
    ) -> None:
        storage.cases.open_case(coutts_case())
        with pytest.raises(CaseExists), storage.transaction():
            storage.detections.append([("d1", {})])
            storage.outbox.enqueue([message(1)])
            storage.cases.open_case(coutts_case())
        assert storage.detections.count() == 0
        assert storage.outbox.all() == []
