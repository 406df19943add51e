"""Inputs for the property tests: any JSON or YAML value, and documents that are valid but
for a few mutations (a field deleted, replaced by any value or by a near miss, or added).

Every parser's property is the same (:func:`parsed_or_refused`): for any input it returns
its value or raises :class:`~borderwatch.domain.InputError` saying why — never another
exception (KeyError, TypeError, OverflowError, UnicodeDecodeError, RecursionError...).
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st

from borderwatch.domain import InputError

PROPERTY = settings.get_profile(os.environ.get("BORDERWATCH_PROPERTY_PROFILE", "property"))
"""The active profile (tests/property/conftest.py): apply with ``@PROPERTY``."""

T = TypeVar("T")

# Near misses: the values at and just past the edges that parsers get wrong.
EDGE_NUMBERS = st.sampled_from(
    [
        0,
        -0.0,
        1,
        -1,
        0.5,
        1.0000001,
        90,
        90.0000001,
        -90.0000001,
        180,
        -180.0000001,
        360,
        1e-300,
        1e300,
        1.7976931348623157e308,
        math.inf,
        -math.inf,
        math.nan,
        2**31,
        2**53 + 1,
        2**63,
        -(2**63) - 1,
        2**64,
        10**400,  # a YAML file may hold any integer; float() of it overflows
    ]
)
EDGE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\u202e",  # right-to-left override
        "nan",
        "inf",
        "-1",
        "1e400",
        "0x10",
        "١٢",  # Arabic-Indic digits: str.isdigit() is true, but they are not ASCII
        "²",  # superscript two: isdigit() is true and int() refuses it
        "[/]",  # rich console markup
        "person",
        "2025-02-03",
        "2025-02-03T13:00:00Z",
        "2025-W06-1",
        "2025-02-03T13:00:00",
        "x" * 10_000,
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    EDGE_NUMBERS,
    EDGE_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
"""Any value ``json.loads`` can return (and some only Python can build, e.g. 10**400)."""

ANY_TZ = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=-7)),
        timezone(timedelta(hours=14)),
        timezone(-timedelta(hours=23, minutes=59)),
    ]
)
YAML_SCALARS = st.one_of(
    SCALARS,
    st.dates(),
    st.datetimes(),  # naive: a YAML time without an offset
    st.datetimes(timezones=ANY_TZ),  # year 1 to 9999: the edges overflow in UTC
    st.binary(max_size=8),  # !!binary
)
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.one_of(st.text(max_size=8), st.integers(), st.booleans()), inner, max_size=4
        )
    ),
    max_leaves=10,
)
"""Any value ``yaml.safe_load`` can return."""

# Times that a valid document may carry, kept away from the calendar's ends: an offset at
# year 1 or 9999 moves the instant out of the calendar in UTC, which is (rightly) refused.
# Hypothesis wants naive bounds here; ``timezones`` gives each example its offset.
SAFE_TIMES = st.datetimes(
    min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - naive bound, see above
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=ANY_TZ,
).map(lambda t: t.isoformat())


def _slots(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``doc`` (keys and list indices), the root excluded."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*path, key)
            yield from _slots(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield (*path, i)
            yield from _slots(value, (*path, i))


def _containers(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(doc, dict | list):
        yield path
        children = doc.items() if isinstance(doc, dict) else enumerate(doc)
        for key, value in children:
            yield from _containers(value, (*path, key))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw: st.DrawFn, valid: Any, values: st.SearchStrategy[Any] = JSON_VALUES) -> Any:
    """``valid`` with one to three mutations: a field replaced (by a near miss or any
    value), deleted, or a field or list item added."""
    doc = copy.deepcopy(valid)
    near = st.one_of(EDGE_NUMBERS, EDGE_TEXT, values)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "add":
            where = _at(doc, draw(st.sampled_from(list(_containers(doc)))))
            if isinstance(where, dict):
                where[draw(st.text(max_size=8))] = draw(near)
            else:
                where.append(draw(near))
            continue
        slots = list(_slots(doc))
        if not slots:
            return draw(values)
        path = draw(st.sampled_from(slots))
        parent = _at(doc, path[:-1])
        if action == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(near)
    return doc


def parsed_or_refused(
    parse: Callable[..., T], *args: Any, needs_line: bool = False, **kwargs: Any
) -> T | None:
    """``parse(*args)``'s value, or None when it raised :class:`InputError` with a reason
    (and, with ``needs_line``, the line). Any other exception fails the test."""
    try:
        return parse(*args, **kwargs)
    except InputError as err:
        assert err.reason.strip(), "an InputError must say why"
        if needs_line:
            assert err.line is not None, f"no line in: {err}"
        str(err)  # the message itself must be printable
        return None


def dates_as_text(value: Any) -> Any:
    """JSON has no dates: what a JSON document holds instead."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
