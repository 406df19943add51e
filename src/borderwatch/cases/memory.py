"""The official fake case store: dictionaries in memory, same contract as the SQL store.

Tests of other stages use it instead of a database; ``tests/integration/test_case_store.py``
runs one contract suite over it and
:class:`borderwatch.adapters.sqlite.cases.SqlCaseStore`, so the two cannot drift apart.
It is also the case repository of the in-memory storage (``ports/storage_fake.py``).
"""

from __future__ import annotations

from dataclasses import replace

from borderwatch.cases.base import CaseExists, CaseNotFound, InterceptionConflict
from borderwatch.cases.records import normalise_interception, validate_case, validate_interception
from borderwatch.domain import Case, Interception


class InMemoryCaseStore:
    """A :class:`borderwatch.cases.base.CaseStore` that forgets everything when dropped."""

    def __init__(self) -> None:
        self._interceptions: dict[str, Interception] = {}
        self._cases: dict[str, Case] = {}

    def save_interception(self, interception: Interception) -> None:
        validate_interception(interception)
        interception = normalise_interception(interception)
        self._check_interception(interception)
        self._interceptions[interception.interception_id] = interception

    def open_case(self, case: Case) -> None:
        # Every check happens before the first write: nothing of a rejected case is kept.
        validate_case(case)
        if case.case_id in self._cases:
            raise CaseExists(case.case_id)
        interception = normalise_interception(case.interception)
        self._check_interception(interception)
        self._interceptions.setdefault(interception.interception_id, interception)
        case = replace(case, interception=interception)
        self._cases[case.case_id] = case

    def get_case(self, case_id: str) -> Case:
        try:
            return self._cases[case_id]
        except KeyError:
            raise CaseNotFound(case_id) from None

    def list_cases(self) -> list[str]:
        return sorted(self._cases)

    def interceptions_for_incident(self, incident_id: str) -> list[Interception]:
        found = [i for i in self._interceptions.values() if i.incident_id == incident_id]
        return sorted(found, key=lambda i: (i.time, i.interception_id))

    def _check_interception(self, interception: Interception) -> None:
        stored = self._interceptions.get(interception.interception_id)
        if stored is not None and stored != interception:
            raise InterceptionConflict(interception.interception_id)
