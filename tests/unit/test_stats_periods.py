"""Calendar and US fiscal years, month runs, and the wording of periods."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.domain import InputError
from borderwatch.stats.periods import (
    Period,
    fiscal_year,
    month_label,
    month_of,
    months_of_year,
    year_label,
    year_of_month,
)


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (date(2024, 9, 30), 2024),  # last day of FY2024
        (date(2024, 10, 1), 2025),  # first day of FY2025
        (date(2025, 2, 3), 2025),  # the night at Coutts
        (date(2025, 9, 30), 2025),
        (date(2025, 10, 1), 2026),
        (date(2024, 12, 31), 2025),
        (date(2025, 1, 1), 2025),
    ],
)
def test_fiscal_year_boundaries(day: date, fy: int) -> None:
    assert fiscal_year(day) == fy


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_fiscal_year_is_the_calendar_year_of_the_date_three_months_later_roughly(d: date) -> None:
    # FY N is 1 Oct N-1 .. 30 Sep N: the fiscal year is the calendar year of the same day
    # shifted forward by the three months October-December.
    expected = d.year + 1 if d.month >= 10 else d.year
    assert fiscal_year(d) == expected
    assert year_of_month(month_of(d), "fiscal") == expected
    assert year_of_month(month_of(d), "calendar") == d.year


def test_fiscal_year_months_run_october_to_september() -> None:
    months = months_of_year(2025, "fiscal")
    assert [month_label(m) for m in (months[0], months[-1])] == ["2024-10", "2025-09"]
    assert len(months) == 12
    assert all(year_of_month(m, "fiscal") == 2025 for m in months)
    before, after = months[0] - 1, months[-1] + 1
    assert year_of_month(before, "fiscal") == 2024 and year_of_month(after, "fiscal") == 2026
    assert year_label(2025, "fiscal") == "FY2025" and year_label(2025, "calendar") == "2025"


def test_every_day_of_fy2025_is_in_fy2025() -> None:
    day = date(2024, 10, 1)
    while day <= date(2025, 9, 30):
        assert fiscal_year(day) == 2025
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("2025-01..2025-02", "Jan–Feb 2025"),
        ("2025-02", "February 2025"),
        ("2024-01..2024-12", "all of 2024"),
        ("2024-11..2025-02", "Nov 2024–Feb 2025"),
    ],
)
def test_period_parse_and_describe(text: str, described: str) -> None:
    period = Period.parse(text)
    assert period.describe() == described
    assert period.label == text


@pytest.mark.parametrize("text", ["2025-03..2025-01", "2025-13", "January", "2025-01..x"])
def test_bad_periods_are_input_errors(text: str) -> None:
    with pytest.raises(InputError, match="period"):
        Period.parse(text)


def test_shifted_a_year_back() -> None:
    assert Period.parse("2025-01..2025-03").shifted(-12).label == "2024-01..2024-03"
