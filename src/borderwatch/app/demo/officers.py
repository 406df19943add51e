"""The demo's screening officer: the Coutts case taken through the officer's code path
(runtime/officers.py, the same functions the officers' endpoints call).

The facts still come from the scenario's reports and the demo's stated assumptions, but they
are entered as an officer's entry, each assumption marked with its reason; the officer
confirms the engine's outcome for each person, records the return to the United States
and releases the handoff notice to the receiving agency (logged), and the decision records
are written in English and French, as PDF and HTML, beside the handoff record.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from borderwatch.adapters.sqlite.storage import SqliteStorage
from borderwatch.alerts.gate import SharingGate
from borderwatch.alerts.sharing import SharingPolicy
from borderwatch.app.demo.screening import CLAIM_ASSUMPTION, with_claims_and_assumptions
from borderwatch.app.runtime.officers import OfficerDesk
from borderwatch.domain import Case

OFFICER = "CBSA screening officer (demo)"
PORT_OF_ENTRY = "Coutts-Sweetgrass"
RECEIVING_AGENCY = "USBP"
RECORDS_DIR = "records"
HANDOFF_FILE = "handoff.json"
DONE = {"confirm": "confirmed", "override": "overrode the proposal:"}
ASSUMED_FACTS = (
    "family_in_canada", "documents", "visa_required_canada", "visa_required_us",
    "refused_entry_us_without_claim_adjudicated", "canadian_pr_removed_from_us",
    "death_penalty_charge", "stateless", "has_spouse_or_partner",
    "parent_or_guardian_in_canada_or_us",
)


@dataclass(frozen=True)
class OfficerOutcome:
    decisions: dict[str, str]
    """Person id -> the outcome decided."""
    returned: tuple[str, ...]
    notice: dict[str, Any]
    records: tuple[Path, ...]
    assumptions: int
    """How many facts the entry marks as assumed."""
    lines: tuple[tuple[datetime, str], ...] = ()
    """When and what: the entry, one line per person (the decision, its rule and first
    citation), the return."""


def officer_entry(facts: dict[str, Any]) -> dict[str, Any]:
    """The officer's entry for the case: the interview's facts (intake.py), the claim and
    the stated assumptions (screening.py), each assumed fact marked in ``assumptions``."""
    entry = with_claims_and_assumptions(facts)
    marked = list(entry.get("assumptions", []))
    for person in entry["people"]:
        pid = person["id"]
        marked.append({"field": f"people[{pid}].claim_date", "value": person["claim_date"],
                       "reason": CLAIM_ASSUMPTION})
        for fact in ASSUMED_FACTS:
            if person.get(fact) is not None:
                marked.append({"field": f"people[{pid}].{fact}",
                               "value": orjson.dumps(person[fact]).decode(),
                               "reason": "not published: a stated assumption of the demo"})
    entry["assumptions"] = marked
    return entry


def _clock(start: datetime) -> Callable[[], datetime]:
    """The officer's time: from ``start``, five minutes per step (an interview each)."""
    steps = iter(range(10_000))
    return lambda: start + timedelta(minutes=5 * next(steps))


def run_officer_stage(case: Case, facts: dict[str, Any], out: Path, *, tz: str
                      ) -> OfficerOutcome:
    """Enter ``facts`` (the interview's, intake.py) for ``case``, decide, return and write
    the records (into ``out``'s borderwatch.db)."""
    records_dir = out / RECORDS_DIR
    shutil.rmtree(records_dir, ignore_errors=True)
    records_dir.mkdir(parents=True)
    storage = SqliteStorage(out / "borderwatch.db")
    try:
        # CBSA takes the case over about an hour after the interception.
        desk = OfficerDesk(storage, SharingGate(SharingPolicy.bundled(), storage.disclosures),
                           clock=_clock(case.interception.time + timedelta(hours=1)))
        entry = officer_entry(facts)
        entered_at = desk.clock()
        desk.enter_facts(case.case_id, entry, OFFICER)
        people = [p.person_id for p in case.people]
        decided = {p: desk.decide(case.case_id, p, action="confirm", officer_id=OFFICER,
                                  reason="facts of the entry confirmed at interview")
                   for p in people}
        returned = [p for p, d in decided.items() if d.outcome == "ineligible"]
        record, notice = (desk.record_return(
            case.case_id, port_of_entry=PORT_OF_ENTRY, time=desk.clock(),
            receiving_agency=RECEIVING_AGENCY, officer_id=OFFICER, people=returned)
            if returned else (None, {}))
        written = []
        for person in people:
            for lang in ("en", "fr"):
                for form in ("pdf", "html"):
                    path = records_dir / f"{case.case_id}-{person}.{lang}.{form}"
                    path.write_bytes(desk.record(case.case_id, person, lang=lang, form=form,
                                                 tz=tz))
                    written.append(path)
        (out / HANDOFF_FILE).write_bytes(orjson.dumps({
            "simulated": True,
            "return": None if record is None else record.to_json(),
            "notice_as_released": notice,
        }, option=orjson.OPT_INDENT_2) + b"\n")
    finally:
        storage.close()
    lines = [(entered_at, f"facts entered ({len(entry['assumptions'])} marked as assumed)")]
    lines += [(d.decided_at, f"{p}: {DONE[d.action]} {d.outcome}"
               + (f" (rule {d.proposal.rule}, {d.proposal.citations[0]})"
                  if d.proposal.rule and d.proposal.citations else "")
               + f", record {case.case_id}-{p}.en|fr.pdf")
              for p, d in decided.items()]
    if record is not None:
        lines.append((record.time, f"return of {len(record.people)} to the US at "
                      f"{record.port_of_entry} to {record.receiving_agency} recorded "
                      f"({HANDOFF_FILE})"))
    return OfficerOutcome(decisions={p: d.outcome for p, d in decided.items()},
                          returned=tuple(returned), notice=notice, records=tuple(written),
                          assumptions=len(entry["assumptions"]), lines=tuple(lines))
