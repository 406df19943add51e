"""Comparisons written as sentences: year over year, a month against the same month a year
before, and the year so far against the whole previous year.

"Alberta: 20 interceptions Jan–Feb 2025, up from 7 in all of 2024." An internal sentence
uses exact counts; a publishable one uses the published values only (rounded, ``5 or
fewer`` for a suppressed count), and says "up" or "down" only when the published values
show it, so a sentence never reveals more than the table beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from borderwatch.stats.counting import Counts, GroupKey
from borderwatch.stats.periods import Period, YearKind, months_of_year, year_of_month
from borderwatch.stats.publication import published
from borderwatch.stats.tables import Kind

FEW = "5 or fewer"


@dataclass(frozen=True, slots=True)
class Comparison:
    subject: str
    current: Period
    current_count: int
    previous: Period
    previous_count: int
    noun: str = "interceptions"


def _when(period: Period, *, always_in: bool) -> str:
    """``in February 2025``, ``in all of 2024``; a range leads without "in" unless asked."""
    text = period.describe()
    single = period.first == period.last or text.startswith("all of")
    return f"in {text}" if single or always_in else text


def _noun(noun: str, n: int | None) -> str:
    return noun[:-1] if n == 1 and noun.endswith("s") else noun


def sentence(c: Comparison, kind: Kind) -> str:
    """One comparison as a sentence.

    >>> c = Comparison("Alberta", Period.parse("2025-01..2025-02"), 20,
    ...                Period.parse("2024-01..2024-12"), 7)
    >>> sentence(c, "internal")
    'Alberta: 20 interceptions Jan–Feb 2025, up from 7 in all of 2024.'
    >>> sentence(c, "publishable")
    'Alberta: 20 interceptions Jan–Feb 2025, up from 5 in all of 2024.'
    """
    now, before = _when(c.current, always_in=False), _when(c.previous, always_in=True)
    if kind == "internal":
        cur, prev = c.current_count, c.previous_count
        if cur == prev:
            return f"{c.subject}: {cur} {_noun(c.noun, cur)} {now}, as many as {before}."
        change = "up" if cur > prev else "down"
        return f"{c.subject}: {cur} {_noun(c.noun, cur)} {now}, {change} from {prev} {before}."
    p_cur, p_prev = published(c.current_count), published(c.previous_count)
    if p_cur is None and p_prev is None:
        return f"{c.subject}: {FEW} {c.noun} {now}, and {FEW} {before}."
    if p_cur is None:
        return f"{c.subject}: {FEW} {c.noun} {now}, down from {p_prev} {before}."
    if p_prev is None:
        return f"{c.subject}: {p_cur} {c.noun} {now}, up from {FEW} {before}."
    if p_cur == p_prev:
        return f"{c.subject}: about {p_cur} {c.noun} {now}, about as many as {before}."
    change = "up" if p_cur > p_prev else "down"
    return f"{c.subject}: {p_cur} {c.noun} {now}, {change} from {p_prev} {before}."


def comparisons(
    counts: Counts,
    period: Period,
    *,
    name: Callable[[GroupKey], str] = lambda key: " / ".join(key) or "All",
    year_kind: YearKind = "calendar",
    noun: str = "interceptions",
    groups: Sequence[GroupKey] | None = None,
) -> list[Comparison]:
    """For each group with any count in ``period``: the period against the same months a year
    earlier; each month against the same month a year earlier (when the period has several);
    and, when the period starts a (calendar or fiscal) year, the year so far against the
    whole previous year. ``counts`` must cover the previous year too."""
    out: list[Comparison] = []
    year_before = period.shifted(-12)
    first_of_year = months_of_year(year_of_month(period.first, year_kind), year_kind)[0]
    for group in groups if groups is not None else counts.groups():
        current = counts.total(group=group, period=period)
        if current == 0:
            continue
        subject = name(group)
        pairs = [(period, year_before)]
        if period.first != period.last:
            pairs += [
                (Period(m, m), Period(m - 12, m - 12))
                for m in period.months
                # A month with nobody either year says nothing worth a sentence.
                if counts.get(group, m) or counts.get(group, m - 12)
            ]
        if period.first == first_of_year:
            previous_year = year_of_month(period.first, year_kind) - 1
            whole_year = (period, Period.year(previous_year, year_kind))
            if whole_year not in pairs:  # a whole year against the year before: said once
                pairs.append(whole_year)
        out.extend(
            Comparison(
                subject,
                now,
                counts.total(group=group, period=now),
                before,
                counts.total(group=group, period=before),
                noun,
            )
            for now, before in pairs
        )
    return out
