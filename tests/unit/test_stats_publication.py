"""Publication rules on hand-worked examples, the release calendar, and the two kinds of table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from borderwatch.domain import InputError
from borderwatch.stats.counting import Counts
from borderwatch.stats.periods import month_index, parse_month
from borderwatch.stats.publication import ReleaseCalendar, published, show
from borderwatch.stats.rows import load_regions
from borderwatch.stats.tables import monthly_table, rcmp_table

JAN, FEB, MAR = (month_index(2025, m) for m in (1, 2, 3))
CALENDAR = ReleaseCalendar(default_lag_days=21)
LATER = date(2027, 1, 1)  # every month of 2025 released


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "--"),  # zero is suppressed too: "counts of 0 to 5"
        (1, "--"),
        (5, "--"),
        (6, "5"),  # 6 is nearer 5 than 10
        (7, "5"),
        (8, "10"),
        (9, "10"),  # the Coutts nine
        (10, "10"),
        (12, "10"),
        (13, "15"),
        (23_721, "23720"),
        (19_385, "19385"),
    ],
)
def test_suppression_and_rounding_hand_worked(count: int, shown: str) -> None:
    assert show(count) == shown


def test_published_is_none_when_suppressed_and_never_negative() -> None:
    assert published(4) is None
    with pytest.raises(ValueError, match="negative"):
        published(-1)


def _counts(cells: dict[tuple[tuple[str, ...], int], int], simulated: bool = False) -> Counts:
    return Counts(by=("region",), cells=cells, simulated=simulated)


def test_totals_come_from_unrounded_data_then_rounded() -> None:
    # AB: 3 + 4 = 7 -> cells "--", "--", total 5 (not the sum of the shown cells).
    # BC: 8 + 8 = 16 -> cells 10, 10, total 15 (not 20).
    # Column total for January: 3 + 8 = 11 -> 10; grand total 23 -> 25.
    counts = _counts({(("AB",), JAN): 3, (("AB",), FEB): 4, (("BC",), JAN): 8, (("BC",), FEB): 8})
    table = monthly_table(
        counts, [JAN, FEB], kind="publishable", title="t", calendar=CALENDAR, as_of=LATER
    )
    assert table.cell("AB", "2025-01") == "--"
    assert table.cell("AB", "Total") == "5"
    assert table.cell("BC", "2025-01") == "10"
    assert table.cell("BC", "Total") == "15"
    assert table.cell("Total", "2025-01") == "10"
    assert table.cell("Total", "2025-02") == "10"  # 4 + 8 = 12 -> 10
    assert table.cell("Total", "Total") == "25"
    suppression = next(n for n in table.notes if n.startswith("Suppressed cells"))
    assert "AB: all 2 months" in suppression  # total 7 -> 5 is shown
    assert "BC" not in suppression


def test_internal_table_keeps_exact_counts_and_says_so() -> None:
    counts = _counts({(("AB",), FEB): 9})
    table = monthly_table(counts, [JAN, FEB], kind="internal", title="t")
    assert table.cell("AB", "2025-02") == "9"
    assert table.cell("AB", "2025-01") == "0"
    assert table.heading.startswith("INTERNAL")
    assert not any("Suppressed" in n for n in table.notes)


def test_publishable_and_internal_are_never_confused_in_outputs() -> None:
    counts = _counts({(("AB",), FEB): 9}, simulated=True)
    internal = monthly_table(counts, [FEB], kind="internal", title="t")
    public = monthly_table(
        counts, [FEB], kind="publishable", title="t", calendar=CALENDAR, as_of=LATER
    )
    assert internal.to_csv().startswith("# INTERNAL")
    assert public.to_csv().startswith("# PUBLISHABLE")
    assert public.to_json()["kind"] == "publishable"
    for table in (internal, public):
        assert table.simulated and "SIMULATED" in table.heading
        assert any(n.startswith("SIMULATED DATA") for n in table.notes)


def test_a_month_is_not_published_before_its_release_date() -> None:
    counts = _counts({(("AB",), FEB): 9, (("AB",), MAR): 12})
    # March 2025 ends on the 31st; released 21 days later, on 21 April.
    assert CALENDAR.release_date(MAR) == date(2025, 4, 21)
    before = monthly_table(
        counts, [FEB, MAR], kind="publishable", title="t", calendar=CALENDAR,
        as_of=date(2025, 4, 20),
    )  # fmt: skip
    assert "2025-03" not in before.columns
    assert before.cell("AB", "Total") == "10"  # the total covers only the months shown
    assert any("March 2025 is not published before 2025-04-21" in n for n in before.notes)
    on_the_day = monthly_table(
        counts, [FEB, MAR], kind="publishable", title="t", calendar=CALENDAR,
        as_of=date(2025, 4, 21),
    )  # fmt: skip
    assert on_the_day.cell("AB", "2025-03") == "10"


def test_publishable_needs_a_calendar() -> None:
    with pytest.raises(ValueError, match="calendar"):
        monthly_table(_counts({}), [FEB], kind="publishable", title="t")


def test_bundled_calendar_and_explicit_release_dates(tmp_path: Path) -> None:
    bundled = ReleaseCalendar.bundled()
    assert bundled.default_lag_days == 21
    path = tmp_path / "calendar.yaml"
    path.write_text("default_lag_days: 14\nreleases:\n  - {month: '2025-02', date: '2025-03-31'}\n")
    calendar = ReleaseCalendar.load(path)
    assert calendar.release_date(FEB) == date(2025, 3, 31)
    assert calendar.release_date(JAN) == date(2025, 2, 14)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("default_lag_days: -1\n", "default_lag_days"),
        ("default_lag_days: 3\nreleases:\n  - {month: '2025-13', date: '2025-03-01'}\n", "month"),
        ("default_lag_days: 3\nreleases:\n  - {month: '2025-02', date: '2025-02-20'}\n", "date"),
        ("default_lag_days: 3\nreleases:\n  - {month: '2025-02'}\n", "releases[1]"),
    ],
)
def test_bad_calendar_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        ReleaseCalendar.load(path)
    assert str(path) in str(caught.value)
    assert field in str(caught.value)


def test_rcmp_layout_rows_and_columns() -> None:
    counts = _counts({(("AB",), FEB): 9, (("QC",), JAN): 40, (("QC",), FEB): 3})
    table = rcmp_table(counts, 2025, load_regions(), kind="publishable", calendar=CALENDAR,
                       as_of=LATER)  # fmt: skip
    assert [r[0] for r in table.rows] == ["NB", "QC", "ON", "MB", "SK", "AB", "BC", "Total – RCMP"]
    assert table.columns == (
        "Province", "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December", "Total",
    )  # fmt: skip
    assert table.cell("AB", "February") == "10"
    assert table.cell("QC", "Total") == "45"  # 43 -> 45
    assert table.cell("Total – RCMP", "February") == "10"  # 12 -> 10
    assert table.cell("Total – RCMP", "Total") == "50"  # 52 -> 50
    internal = rcmp_table(counts, 2025, load_regions(), kind="internal")
    assert internal.cell("Total – RCMP", "Total") == "52"


def test_parse_month_is_strict() -> None:
    assert parse_month("2025-02") == FEB
    with pytest.raises(InputError):
        parse_month("2025-2-1")


def test_rcmp_table_leaves_out_december_until_its_release() -> None:
    counts = _counts({(("AB",), month_index(2025, 12)): 9})
    table = rcmp_table(counts, 2025, load_regions(), kind="publishable", calendar=CALENDAR,
                       as_of=date(2026, 1, 20))  # fmt: skip
    assert "December" not in table.columns and "November" in table.columns
    assert table.cell("AB", "Total") == "--"  # December's 9 is not in any total yet


def test_a_publishable_table_carries_its_release_dates() -> None:
    table = monthly_table(_counts({(("AB",), FEB): 9}), [JAN, FEB], kind="publishable",
                          title="t", calendar=CALENDAR, as_of=date(2025, 3, 25))  # fmt: skip
    note = next(n for n in table.notes if n.startswith("Published as of 2025-03-25"))
    assert "2025-01 2025-02-21" in note and "2025-02 2025-03-21" in note
