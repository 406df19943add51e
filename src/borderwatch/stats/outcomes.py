"""Statistics from the officers' records: people by decision and by exception, people
returned to the US, per local month, and the time from detection to interception.

The rows are plain values (the composition reads them from the decision and return stores,
app/runtime/officers.py), one per person of a case, dated like the encounter rows: the
month of the interception's local date (``stats/rows.py``). The publication rules are
the tables' (``publication.published``: 0-5 suppressed, others to the nearest 5, totals
from unrounded data). Times are summarised per interception, not per person. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

from borderwatch.stats.periods import month_label
from borderwatch.stats.publication import published

UNDECIDED = "undecided"
"""The outcome of a person no officer has decided yet."""


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One person of one case, as the officers' records leave them."""

    month: int
    """Month index of the interception's local date (``periods.month_index``)."""
    outcome: str
    """The decision in force, or :data:`UNDECIDED`."""
    exception: str | None
    """The exception the decision rests on (E1-E9), None when it rests on none or the
    officer decided an exception the engine had not established."""
    returned: bool
    simulated: bool
    child: bool = False
    """Under 18 by the age the case records (the field team's apparent age until the
    officer enters one); counted, never listed."""


def _cell(count: int, publishable: bool) -> int | None:
    return published(count) if publishable else count


def decision_tables(rows: Iterable[DecisionRow], *, publishable: bool) -> dict[str, Any]:
    """Per month: people by outcome, by exception (only people decided ``exception``), and
    people returned; with ``publishable`` every count follows the publication rules (a
    suppressed count is null) and so do the totals, computed before rounding.

    >>> rows = [DecisionRow(24301, "ineligible", None, True, True)] * 9  # February 2025
    >>> tables = decision_tables(rows, publishable=True)
    >>> tables["by_outcome"], tables["returned"]["total"]
    ([{'month': '2025-02', 'outcome': 'ineligible', 'count': 10}], 10)
    """
    rows = list(rows)
    by_outcome = Counter((r.month, r.outcome) for r in rows)
    by_exception = Counter((r.month, r.exception or "not recorded") for r in rows
                           if r.outcome == "exception")
    returned = Counter(r.month for r in rows if r.returned)
    return {
        "by_outcome": [{"month": month_label(m), "outcome": o, "count": _cell(n, publishable)}
                       for (m, o), n in sorted(by_outcome.items())],
        "by_exception": [{"month": month_label(m), "exception": e,
                          "count": _cell(n, publishable)}
                         for (m, e), n in sorted(by_exception.items())],
        "returned": {"months": [{"month": month_label(m), "count": _cell(n, publishable)}
                                for m, n in sorted(returned.items())],
                     "total": _cell(sum(returned.values()), publishable)},
        "people": _cell(len(rows), publishable),
        "children": _cell(sum(r.child for r in rows), publishable),
        "publishable": publishable,
        "simulated": any(r.simulated for r in rows),
    }


def interception_times(seconds: Sequence[float]) -> dict[str, Any]:
    """Time from detection to interception, over the interceptions that have both times:
    how many, the median and the longest, in seconds (None with no interception).

    >>> interception_times([600.0, 900.0, 1500.0])
    {'interceptions': 3, 'median_s': 900.0, 'max_s': 1500.0}
    """
    if not seconds:
        return {"interceptions": 0, "median_s": None, "max_s": None}
    return {"interceptions": len(seconds), "median_s": round(float(median(seconds)), 1),
            "max_s": round(float(max(seconds)), 1)}
