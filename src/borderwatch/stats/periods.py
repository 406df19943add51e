"""Months, calendar years and US fiscal years. Pure functions, no I/O.

Canadian agencies publish by calendar year, US agencies by fiscal year
(docs/references.md); every table says which it uses. A month is held as one integer,
``month_index = year * 12 + (month - 1)``, so a range of months is a range of integers and
the analytical engine can group on it directly.

The US federal fiscal year runs 1 October to 30 September and is named after the calendar
year in which it ends (31 U.S.C. 1102): FY2025 is 1 Oct 2024 - 30 Sep 2025.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from borderwatch.domain import InputError

YearKind = Literal["calendar", "fiscal"]

MONTH_ABBREVIATIONS: Final = (
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
)  # fmt: skip
"""CBP's ``Month (abbv)`` vocabulary, in calendar order."""
MONTH_NAMES: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
"""The RCMP interception tables' column headings, in calendar order."""
FISCAL_YEAR_FIRST_MONTH: Final = 10
"""October: the first month of a US fiscal year."""

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def month_index(year: int, month: int) -> int:
    """The integer that stands for a month.

    >>> month_index(2025, 2) - month_index(2024, 2)
    12
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month}")
    return year * 12 + (month - 1)


def month_of(day: date) -> int:
    """The month index of a date."""
    return month_index(day.year, day.month)


def year_month(index: int) -> tuple[int, int]:
    """(year, month) of a month index, month 1-12."""
    return index // 12, index % 12 + 1


def month_label(index: int) -> str:
    """``2025-02``: the ISO form used in JSON, CSV and on the command line."""
    year, month = year_month(index)
    return f"{year:04d}-{month:02d}"


def month_name(index: int, *, short: bool = False) -> str:
    """``February 2025`` (or ``Feb 2025``)."""
    year, month = year_month(index)
    name = MONTH_NAMES[month - 1]
    return f"{name[:3] if short else name} {year}"


def fiscal_year(day: date) -> int:
    """The US fiscal year a date falls in (1 October starts the next one).

    >>> fiscal_year(date(2024, 9, 30)), fiscal_year(date(2024, 10, 1))
    (2024, 2025)
    >>> fiscal_year(date(2025, 2, 3))
    2025
    """
    return fiscal_year_of_month(month_of(day))


def fiscal_year_of_month(index: int) -> int:
    """The US fiscal year of a month index: October-December count in the next year."""
    year, month = year_month(index)
    return year + 1 if month >= FISCAL_YEAR_FIRST_MONTH else year


def year_of_month(index: int, kind: YearKind) -> int:
    """The calendar or fiscal year a month belongs to."""
    return fiscal_year_of_month(index) if kind == "fiscal" else index // 12


def months_of_year(year: int, kind: YearKind) -> range:
    """Month indexes of a calendar year (Jan-Dec) or a fiscal year (Oct of year-1 to Sep).

    >>> [month_label(m) for m in months_of_year(2025, "fiscal")][::11]
    ['2024-10', '2025-09']
    """
    if kind == "fiscal":
        first = month_index(year - 1, FISCAL_YEAR_FIRST_MONTH)
    else:
        first = month_index(year, 1)
    return range(first, first + 12)


def year_label(year: int, kind: YearKind) -> str:
    """``FY2025`` or ``2025``: a fiscal year is always written with its prefix."""
    return f"FY{year}" if kind == "fiscal" else str(year)


def parse_month(text: str, *, field: str = "month") -> int:
    """``2025-02`` -> month index; anything else is an :class:`InputError` naming ``field``."""
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise InputError(field, f"must be a month YYYY-MM, got {text!r}")
    return month_index(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive run of whole months, e.g. ``2025-01..2025-03``."""

    first: int
    """Month index of the first month."""
    last: int
    """Month index of the last month (inclusive)."""

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InputError(
                "period",
                f"ends ({month_label(self.last)}) before it starts ({month_label(self.first)})",
            )

    @classmethod
    def parse(cls, text: str, *, field: str = "--period") -> Period:
        """``2025-01..2025-03``, or one month ``2025-02``.

        >>> Period.parse("2025-01..2025-03").label
        '2025-01..2025-03'
        """
        first, sep, last = text.partition("..")
        start = parse_month(first, field=field)
        end = parse_month(last, field=field) if sep else start
        return cls(start, end)

    @classmethod
    def year(cls, year: int, kind: YearKind) -> Period:
        months = months_of_year(year, kind)
        return cls(months[0], months[-1])

    @property
    def months(self) -> range:
        return range(self.first, self.last + 1)

    @property
    def label(self) -> str:
        if self.first == self.last:
            return month_label(self.first)
        return f"{month_label(self.first)}..{month_label(self.last)}"

    def describe(self) -> str:
        """``Jan–Feb 2025``, ``February 2025`` or ``Nov 2024–Feb 2025``: for sentences."""
        (y1, m1), (y2, m2) = year_month(self.first), year_month(self.last)
        if self.first == self.last:
            return month_name(self.first)
        if y1 == y2:
            if m1 == 1 and m2 == 12:
                return f"all of {y1}"
            return f"{MONTH_NAMES[m1 - 1][:3]}–{MONTH_NAMES[m2 - 1][:3]} {y1}"
        return f"{month_name(self.first, short=True)}–{month_name(self.last, short=True)}"

    def shifted(self, months: int) -> Period:
        """The same run of months ``months`` later (negative: earlier)."""
        return Period(self.first + months, self.last + months)
