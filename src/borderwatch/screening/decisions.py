"""The officer's decision per person: confirm the engine's proposed outcome, or override it
with a written reason (IRPA 100(1): the officer decides; the engine only proposes).

A decision records what the engine proposed (outcome, rule, exception, citations), what
the officer decided and why, the rule-set version, the officer and the time. Records are
append-only: a revision is a new record naming the one it replaces, and only a person's
latest record is in force. A revision must name the record in force when it is made, or it
is refused (:class:`DecisionConflict`): two officers revising at once cannot both win
silently. Pure; stored through the :class:`DecisionStore` contract (the storage port's
``decisions``), with :class:`InMemoryDecisions` as its fake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from borderwatch.domain import BorderwatchError, InputError
from borderwatch.domain.time import format_time, parse_time
from borderwatch.screening.decide import OUTCOMES, PersonResult

ACTIONS = ("confirm", "override")
"""What an officer may do with a proposed outcome."""
MAX_REASON = 4000
"""Characters of a written reason at most (a paragraph or two, not a file)."""


class DecisionConflict(BorderwatchError):
    """A revision named a record that is not the one in force (someone decided since)."""

    def __init__(self, case_id: str, person_id: str, current: str | None,
                 named: str | None) -> None:
        self.current = current
        super().__init__(
            f"case {case_id} person {person_id}: the decision in force is "
            f"{current or 'none'}, the revision names {named or 'none'}; reload and revise "
            "the decision in force")


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """What the engine proposed for one person when the officer decided."""

    outcome: str
    rule: str | None
    exception: str | None
    citations: tuple[str, ...]
    missing: tuple[str, ...] = ()
    """Facts the engine still asked for (the officer decided without them)."""

    @classmethod
    def of(cls, person: PersonResult) -> Proposal:
        return cls(outcome=person.outcome, rule=person.rule, exception=person.exception,
                   citations=person.citations, missing=person.missing)


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficerDecision:
    """One record of an officer's decision for one person of one case."""

    decision_id: str
    case_id: str
    person_id: str
    proposal: Proposal
    action: str
    """``confirm`` or ``override``."""
    outcome: str
    """The outcome decided: the proposal's when confirmed."""
    reason: str
    """Required for an override; may be empty for a confirmation."""
    rule_set: str | None
    """The rule-set version the proposal was made under (``stca-2023``)."""
    officer_id: str
    decided_at: datetime
    replaces: str | None = None
    """The decision id this record revises (None: the person's first decision)."""
    simulated: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Free notes kept with the record (e.g. ``demonstration``: why a demo overrode)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "case_id": self.case_id,
            "person_id": self.person_id,
            "proposal": {
                "outcome": self.proposal.outcome,
                "rule": self.proposal.rule,
                "exception": self.proposal.exception,
                "citations": list(self.proposal.citations),
                "missing": list(self.proposal.missing),
            },
            "action": self.action,
            "outcome": self.outcome,
            "reason": self.reason,
            "rule_set": self.rule_set,
            "officer_id": self.officer_id,
            "decided_at": format_time(self.decided_at),
            "replaces": self.replaces,
            "simulated": self.simulated,
            **({"extra": self.extra} if self.extra else {}),
        }


def decision_from_json(data: dict[str, Any]) -> OfficerDecision:
    """What :meth:`OfficerDecision.to_json` wrote, back."""
    proposal = data["proposal"]
    return OfficerDecision(
        decision_id=str(data["decision_id"]),
        case_id=str(data["case_id"]),
        person_id=str(data["person_id"]),
        proposal=Proposal(outcome=proposal["outcome"], rule=proposal["rule"],
                          exception=proposal["exception"],
                          citations=tuple(proposal["citations"]),
                          missing=tuple(proposal.get("missing", ()))),
        action=str(data["action"]),
        outcome=str(data["outcome"]),
        reason=str(data["reason"]),
        rule_set=data["rule_set"],
        officer_id=str(data["officer_id"]),
        decided_at=parse_time(data["decided_at"], "decided_at"),
        replaces=data.get("replaces"),
        simulated=bool(data.get("simulated", False)),
        extra=dict(data.get("extra") or {}),
    )


def decide(*, decision_id: str, case_id: str, person: PersonResult, action: str,
           officer_id: str, at: datetime, reason: str = "", outcome: str | None = None,
           replaces: str | None = None, current: OfficerDecision | None = None,
           simulated: bool = False, extra: dict[str, Any] | None = None) -> OfficerDecision:
    """The officer's decision on ``person``'s proposal, checked; ``current`` is the record
    in force for that person (None: no decision yet).

    A confirmation takes the proposed outcome; naming another outcome is an error, not a
    silent override. An override needs a reason and an outcome other than the proposal:

    >>> from borderwatch.screening import screen
    >>> from datetime import UTC, datetime
    >>> p = screen({"case_id": "C", "entry": {"kind": "land_port", "from_country": "US"},
    ...             "people": [{"id": "p1", "claim_date": "2025-02-03",
    ...                         "nationalities": ["US"]}]}).people[0]
    >>> at = datetime(2025, 2, 3, 14, tzinfo=UTC)
    >>> decide(decision_id="d1", case_id="C", person=p, action="confirm",
    ...        officer_id="o7", at=at).outcome
    'not_applicable'
    >>> decide(decision_id="d1", case_id="C", person=p, action="confirm",
    ...        officer_id="o7", at=at, outcome="ineligible")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field outcome: confirming 'not_applicable' but ...
    >>> decide(decision_id="d1", case_id="C", person=p, action="override",
    ...        officer_id="o7", at=at, outcome="ineligible", reason="  ")
    Traceback (most recent call last):
    ...
    borderwatch.domain.errors.InputError: field reason: an override needs a written reason

    A revision must name the record in force (:func:`check_revision`).
    """
    if action not in ACTIONS:
        raise InputError("action", f"must be one of {', '.join(ACTIONS)}, got {action!r}")
    if not isinstance(officer_id, str) or not officer_id.strip():
        raise InputError("officer_id", "must name the officer")
    if not isinstance(reason, str):
        raise InputError("reason", f"must be text, got {type(reason).__name__}")
    if len(reason) > MAX_REASON:
        raise InputError("reason", f"must be at most {MAX_REASON} characters, got {len(reason)}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise InputError("decided_at", "must be timezone-aware (UTC inside)")
    proposal = Proposal.of(person)
    if action == "confirm":
        if outcome is not None and outcome != proposal.outcome:
            raise InputError("outcome", f"confirming {proposal.outcome!r} but the outcome "
                             f"given is {outcome!r}; override it with a reason instead")
        outcome = proposal.outcome
    else:
        if not reason.strip():
            raise InputError("reason", "an override needs a written reason")
        if outcome not in OUTCOMES:
            raise InputError("outcome", f"an override needs one of {', '.join(OUTCOMES)}, "
                             f"got {outcome!r}")
        if outcome == proposal.outcome:
            raise InputError("outcome", f"{outcome!r} is the proposal: confirm it instead")
    check_revision(current, replaces, case_id, person.person_id)
    return OfficerDecision(
        decision_id=decision_id, case_id=case_id, person_id=person.person_id,
        proposal=proposal, action=action, outcome=outcome, reason=reason.strip(),
        rule_set=person.rule_set, officer_id=officer_id.strip(), decided_at=at,
        replaces=replaces, simulated=simulated, extra=dict(extra or {}))


def check_revision(current: OfficerDecision | None, replaces: str | None, case_id: str,
                   person_id: str) -> None:
    """Refuse a record that does not follow the one in force: a first decision names
    nothing, a revision names the record in force (no lost update).

    >>> check_revision(None, "d1", "C", "p1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    borderwatch.screening.decisions.DecisionConflict: case C person p1: the decision in ...
    """
    held = None if current is None else current.decision_id
    if held != replaces:
        raise DecisionConflict(case_id, person_id, held, replaces)


class DecisionStore(Protocol):
    """Where officers' decisions are kept: append-only, one chain of records per person."""

    def append(self, decision: OfficerDecision) -> None:
        """Store ``decision`` if it follows the person's record in force
        (:func:`check_revision`, checked again inside the store's transaction), else raise
        :class:`DecisionConflict` and store nothing. A repeated ``decision_id`` is a
        conflict too."""
        ...

    def latest(self, case_id: str, person_id: str) -> OfficerDecision | None:
        """The person's record in force (None: not decided)."""
        ...

    def history(self, case_id: str, person_id: str | None = None) -> list[OfficerDecision]:
        """Every record of the case (of one person, if given) in the order written."""
        ...

    def all(self) -> list[OfficerDecision]:
        """Every record, in the order written."""
        ...


class InMemoryDecisions:
    """The official fake: a list."""

    def __init__(self) -> None:
        self.records: list[OfficerDecision] = []

    def append(self, decision: OfficerDecision) -> None:
        # Read here, not through latest(): the contract's race test replaces latest() with
        # a stale read, and the store must still refuse (the databases' unique indexes).
        mine = self.history(decision.case_id, decision.person_id)
        check_revision(mine[-1] if mine else None, decision.replaces,
                       decision.case_id, decision.person_id)
        if any(d.decision_id == decision.decision_id for d in self.records):
            raise DecisionConflict(decision.case_id, decision.person_id,
                                   decision.decision_id, decision.decision_id)
        self.records.append(decision)

    def latest(self, case_id: str, person_id: str) -> OfficerDecision | None:
        mine = self.history(case_id, person_id)
        return mine[-1] if mine else None

    def history(self, case_id: str, person_id: str | None = None) -> list[OfficerDecision]:
        return [d for d in self.records if d.case_id == case_id
                and person_id in (None, d.person_id)]

    def all(self) -> list[OfficerDecision]:
        return list(self.records)
