"""The return to the United States under the Agreement, and the handoff notice.

A claim found ineligible under IRPA 101(1)(e) leads to a return to the US as the country of
last presence (IRPR 241(1)(a); reference/stca.md). The return record says where (the port
of entry), when, to which receiving agency, by which officer, and who was returned. A
person is returned only with an officer's decision in force whose outcome is
``ineligible``, and only once. Records are append-only. Pure; stored through the
:class:`ReturnStore` contract (the storage port's ``returns``).

The handoff notice is the return as the receiving agency is told of it: the record's
non-personal fields, released through the sharing policy's ``notices`` rules
(``alerts/sharing.yaml``) by the sharing gate, which logs the disclosure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from borderwatch.domain import BorderwatchError, InputError
from borderwatch.domain.time import format_time, parse_time
from borderwatch.screening.decisions import OfficerDecision

NOTICE_KIND = "stca_return"
"""The notice's name in the sharing policy's ``notices``."""
RETURN_CITATIONS = ("IRPA 101(1)(e)", "IRPR 241(1)(a)")
"""Why a return, as the screening engine cites it for an ineligible claim (decide.py)."""
_AGENCY = re.compile(r"[A-Z][A-Z0-9]{1,15}")


class ReturnConflict(BorderwatchError):
    """A person named in a return is already returned (records are append-only)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnRecord:
    """People of one case returned to the US at a port of entry."""

    return_id: str
    case_id: str
    port_of_entry: str
    """The port where the people were handed over, e.g. ``Coutts-Sweetgrass``."""
    time: datetime
    receiving_agency: str
    """The agency that received them, as the sharing policy names it (``USBP``)."""
    officer_id: str
    people: tuple[str, ...]
    """Person ids of the case, in the order given."""
    decisions: tuple[str, ...]
    """The decision in force for each person when returned (same order)."""
    simulated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "return_id": self.return_id,
            "case_id": self.case_id,
            "port_of_entry": self.port_of_entry,
            "time": format_time(self.time),
            "receiving_agency": self.receiving_agency,
            "officer_id": self.officer_id,
            "people": list(self.people),
            "decisions": list(self.decisions),
            "citations": list(RETURN_CITATIONS),
            "simulated": self.simulated,
        }


def return_from_json(data: Mapping[str, Any]) -> ReturnRecord:
    """What :meth:`ReturnRecord.to_json` wrote, back."""
    return ReturnRecord(
        return_id=str(data["return_id"]), case_id=str(data["case_id"]),
        port_of_entry=str(data["port_of_entry"]), time=parse_time(data["time"]),
        receiving_agency=str(data["receiving_agency"]), officer_id=str(data["officer_id"]),
        people=tuple(data["people"]), decisions=tuple(data["decisions"]),
        simulated=bool(data.get("simulated", False)))


def make_return(*, return_id: str, case_id: str, port_of_entry: str, time: datetime,
                receiving_agency: str, officer_id: str, people: Sequence[str],
                case_people: Sequence[str], in_force: Mapping[str, OfficerDecision | None],
                returned: Sequence[str] = (), simulated: bool = False) -> ReturnRecord:
    """The return record, checked against the case (``case_people``), the decisions in
    force per person and the people ``returned`` before. Errors name the field:

    >>> from datetime import UTC, datetime
    >>> make_return(return_id="r1", case_id="C", port_of_entry="Coutts", receiving_agency="USBP",
    ...             time=datetime(2025, 2, 3, 20, tzinfo=UTC), officer_id="o7", people=["p1"],
    ...             case_people=["p1"], in_force={"p1": None})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field people[0]: p1 has no decision in force; ...
    """
    for name, value in (("port_of_entry", port_of_entry), ("officer_id", officer_id)):
        if not isinstance(value, str) or not value.strip():
            raise InputError(name, "must not be empty")
    if not isinstance(receiving_agency, str) or not _AGENCY.fullmatch(receiving_agency):
        raise InputError("receiving_agency",
                         f"must be an agency code like 'USBP', got {receiving_agency!r}")
    if time.tzinfo is None or time.utcoffset() is None:
        raise InputError("time", "must be timezone-aware (UTC inside)")
    if not people:
        raise InputError("people", "must name at least one person returned")
    decisions = []
    for index, person in enumerate(people):
        where = f"people[{index}]"
        if person not in case_people:
            raise InputError(where, f"{person!r} is not a person of case {case_id}")
        if person in people[:index]:
            raise InputError(where, f"{person} is named twice")
        if person in returned:
            raise InputError(where, f"{person} is already returned")
        decision = in_force.get(person)
        if decision is None:
            raise InputError(where, f"{person} has no decision in force; only a person "
                             "decided ineligible is returned under the Agreement")
        if decision.outcome != "ineligible":
            raise InputError(where, f"{person}'s decision in force is {decision.outcome!r}; "
                             "only a person decided ineligible is returned under the Agreement")
        if time < decision.decided_at:
            raise InputError("time", f"is before {person}'s decision "
                             f"({format_time(decision.decided_at)})")
        decisions.append(decision.decision_id)
    return ReturnRecord(return_id=return_id, case_id=case_id,
                        port_of_entry=port_of_entry.strip(), time=time,
                        receiving_agency=receiving_agency, officer_id=officer_id.strip(),
                        people=tuple(people), decisions=tuple(decisions), simulated=simulated)


def handoff_notice(record: ReturnRecord, *, minors: int | None = None) -> dict[str, Any]:
    """The whole notice before the sharing policy filters it: everything a partner's rule
    could name. People appear as a count only (``people_count``); ``minors`` (a count of
    children) is in it so that the policy can withhold it (``children`` is a personal
    field, docs/security/sharing.md)."""
    notice: dict[str, Any] = {
        "notice": NOTICE_KIND,
        "notice_id": record.return_id,
        "type": "return",
        "time": format_time(record.time),
        "port_of_entry": record.port_of_entry,
        "receiving_agency": record.receiving_agency,
        "people_count": len(record.people),
        "basis": "; ".join(RETURN_CITATIONS),
        "case_id": record.case_id,
        "officer_id": record.officer_id,
        "simulated": record.simulated,
    }
    if minors is not None:
        notice["children"] = minors
    return notice


class ReturnStore(Protocol):
    """Where returns are kept: append-only, a person returned once."""

    def append(self, record: ReturnRecord) -> None:
        """Store ``record``; raise :class:`ReturnConflict` (storing nothing) when its id is
        used or one of its people is already returned in the case."""
        ...

    def for_case(self, case_id: str) -> list[ReturnRecord]:
        """The case's returns, in the order written."""
        ...

    def all(self) -> list[ReturnRecord]:
        """Every return, in the order written."""
        ...


class InMemoryReturns:
    """The official fake: a list."""

    def __init__(self) -> None:
        self.records: list[ReturnRecord] = []

    def append(self, record: ReturnRecord) -> None:
        if any(r.return_id == record.return_id for r in self.records):
            raise ReturnConflict(f"return {record.return_id} is already recorded")
        # Not through for_case(): a stale read there must not let a person in twice.
        check_not_returned([r for r in self.records if r.case_id == record.case_id], record)
        self.records.append(record)

    def for_case(self, case_id: str) -> list[ReturnRecord]:
        return [r for r in self.records if r.case_id == case_id]

    def all(self) -> list[ReturnRecord]:
        return list(self.records)


def check_not_returned(stored: Sequence[ReturnRecord], record: ReturnRecord) -> None:
    """Raise :class:`ReturnConflict` if ``record``'s id or one of its people is in
    ``stored`` (the case's returns) already."""
    for held in stored:
        if held.return_id == record.return_id:
            raise ReturnConflict(f"return {record.return_id} is already recorded")
        twice = sorted(set(held.people) & set(record.people))
        if twice:
            raise ReturnConflict(f"case {record.case_id}: {', '.join(twice)} already returned "
                                 f"({held.return_id})")
