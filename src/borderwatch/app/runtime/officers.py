"""The screening officer's desk: the service functions behind the officers' endpoints
(app/http/officers.py) and the demo (app/demo/officers.py), so both take one code path.

* ``enter_facts``: the officer's facts for a case's people (the screening input, with
  assumptions marked), screened at once; facts and proposal go to the audit log (its
  latest screening of a case is the case's facts in force).
* ``screening`` and ``questions``: the engine's proposal per person and the questions
  still to ask (screening/checklist.py).
* ``decide``: confirm or override per person (screening/decisions.py), stored and written
  to the audit log in one transaction.
* ``record_return``: the return to the US (screening/returns.py), and its handoff notice
  released to the receiving agency through the sharing gate (the disclosure is logged).

Access is the caller's (the endpoints check the role and the owning agency); the desk
checks the input and names the field of any error (``InputError``).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from borderwatch.alerts.gate import SharingGate
from borderwatch.cases import case_to_json
from borderwatch.cases.in_force import entered_by_case, entered_facts
from borderwatch.domain import AgencyUnit, Case, InputError
from borderwatch.domain.lang import Lang, check_lang
from borderwatch.domain.time import format_time, utc_now
from borderwatch.ports.storage import Storage
from borderwatch.screening import ScreeningResult, parse_case, screen
from borderwatch.screening.checklist import interview
from borderwatch.screening.decide import PersonResult
from borderwatch.screening.decisions import OfficerDecision, decide
from borderwatch.screening.record import RecordInput, record_data, render_html
from borderwatch.screening.record_pdf import render_pdf
from borderwatch.screening.report import result_to_json
from borderwatch.screening.returns import (
    NOTICE_KIND,
    ReturnRecord,
    handoff_notice,
    make_return,
)
from borderwatch.stats.outcomes import (
    UNDECIDED,
    DecisionRow,
    decision_tables,
    interception_times,
)
from borderwatch.stats.rows import Geography

RECORD_FORMS = ("html", "pdf")
RECORD_MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
HANDOFF_CHANNEL = "handoff"
"""The disclosure log's channel for a notice released when the return is recorded."""


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class OfficerDesk:
    """The officers' workflow on one storage (cases, audit log, decisions, returns,
    disclosures share its transaction)."""

    storage: Storage
    gate: SharingGate
    """Releases handoff notices (its log is the disclosure log)."""
    clock: Callable[[], datetime] = utc_now
    """When a decision or an entry is made (a replay passes the exercise's clock)."""
    new_id: Callable[[], str] = field(default=_new_id)
    geography: Geography | None = None
    """Dates the statistics by the interception's local month (made when first needed)."""

    # --- facts and screening -------------------------------------------------------------

    def case(self, case_id: str) -> Case:
        """The case as opened (``CaseNotFound`` for an unknown id)."""
        return self.storage.cases.get_case(case_id)

    def facts(self, case_id: str) -> dict[str, Any]:
        """The facts in force: the latest entered (the audit log's latest screening of the
        case), else the case as opened, whose unknown facts are null."""
        entered = self.entered(case_id)
        return entered if entered is not None else case_to_json(self.case(case_id))

    def entered(self, case_id: str) -> dict[str, Any] | None:
        """The officer's latest entry for the case, or None before any (cases/in_force.py)."""
        return entered_facts(self.storage.audit.records(case_id))

    def entered_all(self) -> dict[str, dict[str, Any]]:
        """The officer's latest entry of every case entered, by case id, in one read."""
        return entered_by_case(self.storage.audit.latest_screenings())

    def enter_facts(self, case_id: str, facts: dict[str, Any], officer_id: str) -> ScreeningResult:
        """Store the officer's facts for the whole case and screen them.

        ``facts`` is the screening input (``case.json``'s format; null is unknown) for the
        case's people, no more and no fewer; ``assumptions`` (``field``, ``value``,
        ``reason``) mark what the officer assumed. A simulated case stays simulated."""
        case = self.case(case_id)
        if not isinstance(facts, dict):
            raise InputError(None, "the facts must be a JSON object")
        if not isinstance(officer_id, str) or not officer_id.strip():
            raise InputError("officer_id", "must name the officer", code="officer_required")
        if facts.get("case_id", case_id) != case_id:
            raise InputError(
                "case_id", f"must be {case_id!r} (the case entered), got {facts.get('case_id')!r}"
            )
        entered = {**copy.deepcopy(facts), "case_id": case_id}
        # The case says whether it is simulated; the entry may repeat it, never change it.
        if entered.get("simulated", case.simulated) is not case.simulated:
            raise InputError("simulated", f"must be {str(case.simulated).lower()}, as the case is")
        entered["simulated"] = case.simulated
        parsed = parse_case(entered)
        ids = [p.person_id for p in parsed.people]
        expected = [p.person_id for p in case.people]
        if sorted(ids) != sorted(expected):
            raise InputError("people", f"must be the case's people {expected}, got {ids}")
        _check_assumptions(entered.get("assumptions", []))
        entered["entered_by"] = officer_id.strip()
        entered["entered_at"] = format_time(self.clock())
        result = screen(parsed)
        self.storage.audit.record_screening(entered, result)
        return result

    def screening(self, case_id: str) -> ScreeningResult:
        """The engine's proposal for every person, from the facts in force."""
        return screen(self.facts(case_id))

    def person(self, case_id: str, person_id: str) -> PersonResult:
        """One person's proposal; ``InputError`` naming ``person_id`` if not in the case."""
        for person in self.screening(case_id).people:
            if person.person_id == person_id:
                return person
        raise InputError("person_id", f"{person_id!r} is not a person of case {case_id}")

    def questions(self, case_id: str, lang: str = "en") -> dict[str, Any]:
        """Per person, the outcome proposed and the questions still to ask."""
        chosen: Lang = check_lang(lang)
        result = self.screening(case_id)
        return {
            "case_id": case_id,
            "lang": chosen,
            "simulated": result.simulated,
            "people": [
                {
                    "id": p.person_id,
                    "outcome": p.outcome,
                    "questions": [q.to_json() for q in interview(p, chosen)],
                }
                for p in result.people
            ],
        }

    # --- decisions -----------------------------------------------------------------------

    def decide(
        self,
        case_id: str,
        person_id: str,
        *,
        action: str,
        officer_id: str,
        reason: str = "",
        outcome: str | None = None,
        replaces: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> OfficerDecision:
        """Record the officer's decision on the person's proposal (screening/decisions.py
        for the rules); the proposal is the engine's on the facts in force, written to the
        audit log first when no facts were entered. Raises ``InputError`` or
        ``DecisionConflict``; nothing is written then."""
        storage = self.storage
        with storage.transaction():
            facts = self.facts(case_id)
            result = screen(facts)
            person = next((p for p in result.people if p.person_id == person_id), None)
            if person is None:
                raise InputError("person_id", f"{person_id!r} is not a person of case {case_id}")
            if not any(r["kind"] == "screening" for r in storage.audit.records(case_id)):
                storage.audit.record_screening(facts, result)
            made = decide(
                decision_id=self.new_id(),
                case_id=case_id,
                person=person,
                action=action,
                officer_id=officer_id,
                at=self.clock(),
                reason=reason,
                outcome=outcome,
                replaces=replaces,
                current=storage.decisions.latest(case_id, person_id),
                simulated=result.simulated,
                extra=extra,
            )
            storage.decisions.append(made)
            storage.audit.record_decision(
                case_id,
                person_id,
                made.officer_id,
                made.action,
                made.reason,
                outcome=made.outcome if made.action == "override" else None,
                details={
                    "decision_id": made.decision_id,
                    "replaces": made.replaces,
                    "rule_set": made.rule_set,
                    "citations": list(made.proposal.citations),
                },
            )
        return made

    def decisions(self, case_id: str) -> dict[str, Any]:
        """The decision in force per person (null: not decided) and every record."""
        case = self.case(case_id)
        history = self.storage.decisions.history(case_id)
        in_force = {d.person_id: d for d in history}
        return {
            "case_id": case_id,
            "in_force": {
                p.person_id: (in_force[p.person_id].to_json() if p.person_id in in_force else None)
                for p in case.people
            },
            "history": [d.to_json() for d in history],
            "simulated": case.simulated,
        }

    # --- the decision record ---------------------------------------------------------------

    def record_input(self, case_id: str, person_id: str) -> RecordInput:
        """What the person's decision record is made of; ``InputError`` naming
        ``person_id`` when the person is not in the case or has no decision yet."""
        case = self.case(case_id)
        if person_id not in {p.person_id for p in case.people}:
            raise InputError("person_id", f"{person_id!r} is not a person of case {case_id}")
        history = self.storage.decisions.history(case_id, person_id)
        if not history:
            raise InputError("person_id", f"{person_id} has no decision recorded yet")
        facts = self.facts(case_id)
        person = next(p for p in screen(facts).people if p.person_id == person_id)
        return RecordInput(
            case=case,
            person_id=person_id,
            decision=history[-1],
            earlier=tuple(history[:-1]),
            removal=person.removal,
            law_date=person.law_date,
            facts=facts,
        )

    def record(
        self, case_id: str, person_id: str, *, lang: str = "en", form: str = "html", tz: str = "UTC"
    ) -> bytes:
        """The person's decision record as HTML or PDF bytes, in ``lang`` (en, fr), times
        shown in ``tz`` (an IANA zone)."""
        if form not in RECORD_FORMS:
            raise InputError("format", f"must be one of {', '.join(RECORD_FORMS)}, got {form!r}")
        data = record_data(self.record_input(case_id, person_id), lang, tz=tz)
        return render_pdf(data) if form == "pdf" else render_html(data).encode("utf-8")

    # --- the return and the handoff notice -----------------------------------------------

    def record_return(
        self,
        case_id: str,
        *,
        port_of_entry: str,
        time: datetime,
        receiving_agency: str,
        officer_id: str,
        people: list[str],
    ) -> tuple[ReturnRecord, dict[str, Any]]:
        """Record the return and release its handoff notice to the receiving agency (the
        disclosure is logged in the same transaction). Returns the record and the notice
        as released. Raises ``InputError`` or ``ReturnConflict``; nothing is written then."""
        storage = self.storage
        with storage.transaction():
            case = self.case(case_id)
            if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
                raise InputError("people", "must be a list of person ids")
            record = make_return(
                return_id=self.new_id(),
                case_id=case_id,
                port_of_entry=port_of_entry,
                time=time,
                receiving_agency=receiving_agency,
                officer_id=officer_id,
                people=people,
                case_people=[p.person_id for p in case.people],
                in_force={p: storage.decisions.latest(case_id, p) for p in people},
                returned=[p for r in storage.returns.for_case(case_id) for p in r.people],
                simulated=case.simulated,
            )
            storage.returns.append(record)
            notice = self.release_notice(record, HANDOFF_CHANNEL)
        return record, notice

    def release_notice(self, record: ReturnRecord, channel: str) -> dict[str, Any]:
        """The record's handoff notice as its receiving agency may see it (logged)."""
        case = self.case(record.case_id)
        ages = {p.person_id: p.age for p in case.people}
        minors = sum(1 for p in record.people if (age := ages.get(p)) is not None and age < 18)
        unit = AgencyUnit(
            record.receiving_agency, record.receiving_agency, record.receiving_agency, ""
        )
        return self.gate.release_notice(
            NOTICE_KIND, handoff_notice(record, minors=minors), unit, channel
        )

    def notices_for(self, agency: str, channel: str) -> list[dict[str, Any]]:
        """Every return notice whose receiving agency is ``agency``, as released to it."""
        return [
            self.release_notice(r, channel)
            for r in self.storage.returns.all()
            if r.receiving_agency == agency
        ]

    # --- statistics ----------------------------------------------------------------------

    def statistics(self, *, publishable: bool) -> dict[str, Any]:
        """People by decision in force and by exception, people returned, per local month
        of the interception, and the time from detection to interception
        (stats/outcomes.py); ``publishable`` applies the publication rules."""
        if self.geography is None:
            self.geography = Geography()
        rows = []
        for case_id in self.storage.cases.list_cases():
            case = self.case(case_id)
            month = self.geography.rows_for(case)[0].month
            returned = {p for r in self.storage.returns.for_case(case_id) for p in r.people}
            for person in case.people:
                decision = self.storage.decisions.latest(case_id, person.person_id)
                rows.append(
                    DecisionRow(
                        month=month,
                        outcome=decision.outcome if decision else UNDECIDED,
                        exception=_exception_of(decision),
                        returned=person.person_id in returned,
                        simulated=case.simulated,
                        child=bool(person.is_minor),
                    )
                )
        times = [
            t.to_json().get("detection_to_interception_s") for t in self.storage.interventions.all()
        ]
        return {
            **decision_tables(rows, publishable=publishable),
            "detection_to_interception": interception_times(
                [float(t) for t in times if t is not None]
            ),
        }

    def returns(self, case_id: str) -> list[dict[str, Any]]:
        self.case(case_id)
        return [r.to_json() for r in self.storage.returns.for_case(case_id)]


def _exception_of(decision: OfficerDecision | None) -> str | None:
    """The exception a decision of ``exception`` rests on: the engine's, when the officer
    confirmed it; None when the officer decided an exception the engine had not found."""
    if decision is None or decision.outcome != "exception":
        return None
    return decision.proposal.exception if decision.proposal.outcome == "exception" else None


def screening_json(result: ScreeningResult) -> dict[str, Any]:
    """The proposal as the endpoints answer it (screening/report.py's JSON)."""
    return result_to_json(result)


def _check_assumptions(assumptions: Any) -> None:
    if not isinstance(assumptions, list):
        raise InputError("assumptions", "must be a list")
    for index, item in enumerate(assumptions):
        where = f"assumptions[{index}]"
        if not isinstance(item, dict):
            raise InputError(where, "must be an object with field, value and reason")
        for key in ("field", "value", "reason"):
            value = item.get(key)
            if not isinstance(value, str) or (key != "value" and not value.strip()):
                raise InputError(
                    f"{where}.{key}", "must be text" + ("" if key == "value" else " and not empty")
                )
