"""The facts in force for a case: what the screening officer last entered, over the case
as the field team opened it.

A case is opened at the interception with what a field team may record: how many people,
their apparent ages, nothing that identifies anyone (respond/field_report.py). The
screening officer then enters each person's facts (nationalities, documents, relations
within the group); each entry is a screening record in the audit log, and the latest one
is in force (app/runtime/officers.py). Anything counted or shown from a case (the
statistics by citizenship and demographic, the case summary) must read these facts, not
the case as opened, or a case entered by an officer would count as nine people of unknown
citizenship.

Pure: the caller passes the audit records it read.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from borderwatch.cases.records import SCREENING_PERSON_FIELDS, case_from_json
from borderwatch.domain import Case, InputError

_SCREENING_ONLY = frozenset(SCREENING_PERSON_FIELDS[1:])
"""Per-person screening facts (claim date, documents, family in Canada...) that the case
record does not hold: they stay in the audit log's entry."""


def entered_facts(records: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The case (``case.json``'s format) of the latest screening record, or None when no
    officer has entered facts. ``records`` are one case's audit records, oldest first.

    >>> entered_facts([{"kind": "screening", "data": {"case": {"case_id": "A", "n": 1}}},
    ...                {"kind": "decision", "data": {}},
    ...                {"kind": "screening", "data": {"case": {"case_id": "A", "n": 2}}}])
    {'case_id': 'A', 'n': 2}
    >>> entered_facts([{"kind": "decision", "data": {}}]) is None
    True
    """
    latest = None
    for record in records:
        if record.get("kind") == "screening":
            latest = record["data"]["case"]
    return None if latest is None else dict(copy.deepcopy(latest))


def entered_by_case(latest: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The officer's latest facts per case id, from the latest screening record of each
    case (the storage's ``audit.latest_screenings()``: one read for every case).

    >>> entered_by_case([{"kind": "screening", "case_id": "A",
    ...                   "data": {"case": {"case_id": "A", "n": 2}}}])
    {'A': {'case_id': 'A', 'n': 2}}
    """
    return {str(r["case_id"]): facts for r in latest if (facts := entered_facts([r])) is not None}


def case_in_force(opened: Case, facts: Mapping[str, Any] | None) -> Case:
    """``opened`` with the people, relations and assumptions of the officer's ``facts``.

    The case id, the interception and the simulated mark stay those of the case as opened:
    an entry describes the people, not where or when they were met. An entry for another
    case, or one that does not parse as a case, raises :class:`InputError` naming the
    field (the desk validated it when it was entered, so this means a damaged record)."""
    if facts is None:
        return opened
    if facts.get("case_id") != opened.case_id:
        raise InputError(
            "case_id", f"the entry is for {facts.get('case_id')!r}, not {opened.case_id!r}"
        )
    record = copy.deepcopy(dict(facts))
    for person in record.get("people") or []:
        if isinstance(person, dict):
            for name in _SCREENING_ONLY:
                person[name] = None
            # Derived from the assumptions, which also mark screening facts (the claim
            # date...) that the case does not hold: recomputed, not compared.
            person.pop("assumed", None)
    for relation in record.get("relations") or []:
        if isinstance(relation, dict):
            relation.pop("assumed", None)
    entered = case_from_json(record)
    return replace(
        opened,
        people=entered.people,
        relations=entered.relations,
        assumptions=entered.assumptions,
        entry_kind=entered.entry_kind,
        entry_date=entered.entry_date,
        from_country=entered.from_country,
        simulated=opened.simulated or entered.simulated,
    )
