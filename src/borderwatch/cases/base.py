"""The case store contract: where interceptions and cases are kept.

One tiny interface with two implementations that the contract tests hold to the same
behaviour: :class:`borderwatch.cases.memory.InMemoryCaseStore` (the official fake) and
:class:`borderwatch.adapters.sqlite.cases.SqlCaseStore` (SQLite, part of the storage port).

Every store promises:

- ``open_case`` validates the whole case first (:func:`borderwatch.cases.records.validate_case`)
  and then writes it, its interception, people, relations and assumptions all at once or not at
  all. Nothing of a rejected case is kept.
- A case id is used once: a second case with the same id raises :class:`CaseExists` and the
  first case is left as it was. Cases are append-only (docs/references.md, "Conventions").
- An interception id names one interception: saving it again with the same content does
  nothing; saving different content under the same id raises :class:`InterceptionConflict`.
- Times come back as timezone-aware UTC datetimes, equal to the ones stored.
"""

from __future__ import annotations

from typing import Protocol

from borderwatch.domain import BorderwatchError, Case, Interception


class CaseNotFound(BorderwatchError, KeyError):
    """No case has this id. A ``KeyError`` too, so ``except KeyError`` works."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(case_id)

    def __str__(self) -> str:
        # KeyError's own __str__ would print the repr of the argument.
        return f"no case with id {self.case_id!r}"


class CaseExists(BorderwatchError):
    """A case with this id is already stored; cases are never overwritten."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(f"a case with id {case_id!r} already exists")


class InterceptionConflict(BorderwatchError):
    """An interception id is already stored with different content."""

    def __init__(self, interception_id: str) -> None:
        self.interception_id = interception_id
        super().__init__(
            f"interception {interception_id!r} is already stored with different content"
        )


class CaseStore(Protocol):
    """Keeps interceptions and the cases opened on them."""

    def save_interception(self, interception: Interception) -> None:
        """Store an interception (idempotent for identical content)."""

    def open_case(self, case: Case) -> None:
        """Store a case with its interception, people, relations and assumptions atomically.

        Raises :class:`borderwatch.domain.InputError` for an invalid case,
        :class:`CaseExists` for a used case id and :class:`InterceptionConflict` when the
        case's interception differs from the one stored under the same id.
        """

    def get_case(self, case_id: str) -> Case:
        """The case as opened. Raises :class:`CaseNotFound` for an unknown id."""

    def list_cases(self) -> list[str]:
        """Every case id, sorted."""

    def interceptions_for_incident(self, incident_id: str) -> list[Interception]:
        """The interceptions made on an incident, by time then id (empty if none)."""
