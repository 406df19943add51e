"""Monthly tables in two kinds that are never confused: internal and publishable.

- **internal**: exact counts, every month; headed ``INTERNAL`` and not for publication.
- **publishable**: the publication rules applied (:mod:`borderwatch.stats.publication`), only
  months already released by the calendar, a note naming every suppressed cell and every
  month withheld; headed ``PUBLISHABLE`` with the as-of date.

Both say when the data is simulated. The RCMP layout (provinces x months + total, one
calendar year) is one such table with IRCC's rows and headings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from borderwatch.domain.lang import Lang
from borderwatch.stats.counting import Counts, GroupKey
from borderwatch.stats.i18n import (
    MESSAGES,
    calendar_source,
    day,
    dimension_heading,
    group_value,
    month_text,
    month_word,
    number,
    say,
    sentence_case,
)
from borderwatch.stats.periods import (
    YearKind,
    month_label,
    months_of_year,
    year_label,
    year_month,
)
from borderwatch.stats.publication import SUPPRESSED, ReleaseCalendar, published
from borderwatch.stats.rows import Region

Kind = Literal["internal", "publishable"]

SIMULATED_NOTE: Final = MESSAGES["en"]["simulated_note"]


@dataclass(frozen=True)
class Rendered:
    """A table ready to print or write: header, rows (the total row last) and notes."""

    kind: Kind
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]
    simulated: bool
    key_columns: int = 1
    """How many leading columns name the group (the rest are counts)."""
    lang: Lang = "en"
    """The language of every word and number in the table."""

    @property
    def heading(self) -> str:
        simulated = say(self.lang, "heading_simulated") if self.simulated else ""
        return say(self.lang, f"kind_{self.kind}") + simulated

    def cell(self, row: str, column: str) -> str:
        """The cell of the row whose first column is ``row``, under ``column``."""
        j = self.columns.index(column)
        for r in self.rows:
            if r[0] == row:
                return r[j]
        raise KeyError(row)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "heading": self.heading,
            "title": self.title,
            "simulated": self.simulated,
            "columns": list(self.columns),
            "rows": [dict(zip(self.columns, r, strict=True)) for r in self.rows],
            "notes": list(self.notes),
        }

    def to_csv(self) -> str:
        """CSV with the heading and notes as ``#`` lines above and below the table."""
        buffer = io.StringIO()
        buffer.write(f"# {self.heading}: {self.title}\n")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        for note in self.notes:
            buffer.write(f"# {note}\n")
        return buffer.getvalue()


def monthly_table(
    counts: Counts,
    months: Sequence[int],
    *,
    kind: Kind,
    title: str,
    calendar: ReleaseCalendar | None = None,
    as_of: date | None = None,
    groups: Sequence[GroupKey] | None = None,
    group_names: Sequence[str] | None = None,
    month_heading: Callable[[int], str] = month_label,
    total_label: str | None = None,
    extra_notes: Sequence[str] = (),
    lang: Lang = "en",
) -> Rendered:
    """Groups as rows, months as columns, a Total column and a total row, every word and
    number in ``lang`` (``total_label`` defaults to the language's "Total").

    Publishable tables need ``calendar`` and ``as_of``: months not yet released are left out
    (and noted), and totals cover only the months shown.
    """
    total_label = say(lang, "total") if total_label is None else total_label
    source = calendar_source(calendar.source, lang) if calendar is not None else ""
    notes: list[str] = []
    if counts.simulated:
        notes.append(say(lang, "simulated_note"))
    shown = list(months)
    if kind == "publishable":
        if calendar is None or as_of is None:
            raise ValueError("a publishable table needs a release calendar and an as-of date")
        withheld = [m for m in shown if not calendar.is_released(m, as_of)]
        shown = [m for m in shown if m not in withheld]
        notes.append(say(lang, "rules_note"))
        if shown:
            dates = ", ".join(
                say(lang, "release_date", month=month_heading(m),
                    day=day(calendar.release_date(m), lang))
                for m in shown
            )  # fmt: skip
            notes.append(say(lang, "published_as_of", as_of=day(as_of, lang),
                             source=source, dates=dates))  # fmt: skip
        for m in withheld:
            notes.append(say(lang, "withheld", month=sentence_case(month_text(m, lang)),
                             day=day(calendar.release_date(m), lang), source=source,
                             as_of=day(as_of, lang)))  # fmt: skip
    else:
        notes.append(say(lang, "internal_note"))
    rows_keys = list(groups) if groups is not None else counts.groups()
    if "demographic" in counts.by and counts.demographic_assumed:
        notes.append(say(lang, "assumed_note", count=number(counts.demographic_assumed, lang)))
    notes.extend(extra_notes)

    def value(n: int) -> str:
        if kind == "publishable":
            shown_value = published(n)
            return SUPPRESSED if shown_value is None else number(shown_value, lang)
        return number(n, lang)

    suppressed: list[str] = []

    def note_suppressed(label: str, cells: Sequence[str], total: str) -> None:
        hidden = [month_heading(m) for m, c in zip(shown, cells, strict=True) if c == SUPPRESSED]
        if len(hidden) == len(shown) > 1:
            hidden = [say(lang, "all_months", count=len(shown))]
        if total == SUPPRESSED:
            hidden.append(say(lang, "total"))
        if hidden:
            suppressed.append(say(lang, "suppressed_row", label=label, cells=", ".join(hidden)))

    body: list[tuple[str, ...]] = []
    for key in rows_keys:
        raw = [counts.get(key, m) for m in shown]
        cells = [value(n) for n in raw]
        total = value(sum(raw))
        shown_key = tuple(group_value(d, v, lang) for d, v in zip(counts.by, key, strict=True))
        body.append((*_key_cells(shown_key, len(counts.by), lang), *cells, total))
        if kind == "publishable":
            note_suppressed(" / ".join(shown_key) or say(lang, "all"), cells, total)
    column_totals = [sum(counts.get(k, m) for k in rows_keys) for m in shown]
    grand = sum(column_totals)
    n_keys = max(1, len(counts.by))
    total_row = (total_label, *([""] * (n_keys - 1)), *map(value, column_totals), value(grand))
    if kind == "publishable":
        note_suppressed(total_label, [value(n) for n in column_totals], value(grand))
        cells_text = "; ".join(suppressed) if suppressed else say(lang, "none")
        notes.append(say(lang, "suppressed", cells=cells_text))
    names = (
        list(group_names)
        if group_names is not None
        else [dimension_heading(d, lang) for d in counts.by] or [""]
    )
    columns = (*names, *map(month_heading, shown), say(lang, "total"))
    return Rendered(
        kind=kind,
        title=title,
        columns=tuple(columns),
        rows=(*body, total_row),
        notes=tuple(notes),
        simulated=counts.simulated,
        key_columns=n_keys,
        lang=lang,
    )


def _key_cells(key: GroupKey, width: int, lang: Lang = "en") -> tuple[str, ...]:
    return key if width else (say(lang, "all"),)


def rcmp_table(
    counts: Counts,
    year: int,
    regions: dict[str, Region],
    *,
    kind: Kind,
    calendar: ReleaseCalendar | None = None,
    as_of: date | None = None,
    lang: Lang = "en",
) -> Rendered:
    """The IRCC/RCMP interceptions layout: NB, QC, ON, MB, SK, AB, BC and ``Total – RCMP``
    as rows, January ... December and Total as columns, one calendar year (Canada counts by
    calendar year). ``counts`` must be by ``region`` (provinces) for RCMP interceptions.
    """
    if counts.by != ("region",):
        raise ValueError("the RCMP table counts by region (province)")
    fixed = sorted((r for r in regions.values() if r.rcmp_row), key=lambda r: r.rcmp_row or 0)
    keys: list[GroupKey] = [(r.code,) for r in fixed]
    # Interceptions in a province that has no row of its own still count in the total.
    keys += [g for g in counts.groups() if g not in keys]
    return monthly_table(
        counts,
        list(months_of_year(year, "calendar")),
        kind=kind,
        title=say(lang, "rcmp_title", year=year),
        calendar=calendar,
        as_of=as_of,
        groups=keys,
        group_names=[say(lang, "province")],
        month_heading=lambda m: month_word(year_month(m)[1], lang),
        total_label=say(lang, "rcmp_total"),
        lang=lang,
    )


def year_totals(counts: Counts, kind: YearKind) -> dict[tuple[GroupKey, int], int]:
    """Counts per group and calendar or fiscal year."""
    from borderwatch.stats.periods import year_of_month

    out: dict[tuple[GroupKey, int], int] = {}
    for (group, month), n in counts.cells.items():
        key = (group, year_of_month(month, kind))
        out[key] = out.get(key, 0) + n
    return out


def year_table(counts: Counts, kind: YearKind, *, title: str) -> Rendered:
    """Internal exact counts per group and (calendar or fiscal) year."""
    totals = year_totals(counts, kind)
    years = sorted({y for _, y in totals})
    groups = counts.groups()
    rows = [
        (*_key_cells(g, len(counts.by)), *(str(totals.get((g, y), 0)) for y in years))
        for g in groups
    ]
    total = ("Total", *([""] * (max(1, len(counts.by)) - 1)))
    rows.append((*total, *(str(sum(totals.get((g, y), 0) for g in groups)) for y in years)))
    notes = [SIMULATED_NOTE] if counts.simulated else []
    if kind == "fiscal":
        notes.append("US fiscal years: FY2025 is 1 October 2024 to 30 September 2025.")
    return Rendered(
        kind="internal",
        title=title,
        columns=(*(counts.by or ("",)), *(year_label(y, kind) for y in years)),
        rows=tuple(rows),
        notes=(
            *notes,
            "Exact counts for internal use: apply the publication rules before release.",
        ),
        simulated=counts.simulated,
        key_columns=max(1, len(counts.by)),
    )
