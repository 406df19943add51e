"""``case.json`` (cases/records.py) and the screening's reading of it (screening/), for
any JSON value and any mutation of the Coutts case: a Case (or a screening result) or an
InputError."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given

from borderwatch.cases import case_from_json, case_to_json
from borderwatch.domain import Case, InputError
from borderwatch.screening import format_text, result_to_json, screen
from tests.case_helpers import coutts_case
from tests.property.strategies import JSON_VALUES, PROPERTY, mutated, parsed_or_refused

COUTTS = case_to_json(coutts_case())


def _check(case: Case | None) -> None:
    if case is None:
        return
    # What was accepted is written back the same and read again.
    again = case_to_json(case)
    assert case_from_json(again) == case


def _screen(raw: Any) -> None:
    result = parsed_or_refused(screen, raw)
    if result is not None:
        result_to_json(result)
        format_text(result)


@PROPERTY
@given(JSON_VALUES)
def test_any_json_value_is_a_case_or_refused(raw: Any) -> None:
    _check(parsed_or_refused(case_from_json, raw))
    _screen(raw)


@PROPERTY
@given(mutated(COUTTS))
def test_a_mutated_case_is_a_case_or_refused(raw: Any) -> None:
    _check(parsed_or_refused(case_from_json, raw))


@PROPERTY
@given(mutated(COUTTS))
def test_a_mutated_case_is_screened_or_refused(raw: Any) -> None:
    _screen(raw)


def test_the_coutts_case_is_valid() -> None:
    assert case_from_json(COUTTS) == coutts_case()


# Found by these tests: a list where the screening wants a word was a TypeError
# (unhashable) before the fix in screening/case_file.py.
@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("people", 0, "death_penalty_charge"), "people[0].death_penalty_charge"),
        (("relations", 0, "is"), "relations[0].is"),
    ],
)
def test_a_list_for_a_choice_is_refused_by_field(path: tuple[Any, ...], field: str) -> None:
    raw = copy.deepcopy(COUTTS)
    where = raw
    for key in path[:-1]:
        where = where[key]
    where[path[-1]] = ["a list"]
    with pytest.raises(InputError) as err:
        screen(raw)
    assert err.value.field == field
