"""Cases: interception records, the people in them and how they are related.

``base`` holds the :class:`CaseStore` contract, ``memory`` its official fake, ``records`` the
pure functions that build, validate and serialise cases (``case.json``). The SQL store lives
in :mod:`borderwatch.adapters.sqlite.cases`.
"""

from borderwatch.cases.base import CaseExists, CaseNotFound, CaseStore, InterceptionConflict
from borderwatch.cases.memory import InMemoryCaseStore
from borderwatch.cases.records import (
    FORMAT,
    case_from_json,
    case_to_json,
    new_case_id,
    validate_case,
    validate_interception,
    validate_relations,
)

__all__ = [
    "FORMAT",
    "CaseExists",
    "CaseNotFound",
    "CaseStore",
    "InMemoryCaseStore",
    "InterceptionConflict",
    "case_from_json",
    "case_to_json",
    "new_case_id",
    "validate_case",
    "validate_interception",
    "validate_relations",
]
