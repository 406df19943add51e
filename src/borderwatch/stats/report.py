"""The statistics report: one self-contained HTML file with charts, tables and sentences.

Self-contained means no link leaves the file: styles are inline and charts are inline SVG
(:mod:`borderwatch.stats.charts`), so it can be mailed or archived as it is. A report is
either internal or publishable, never both, and says which at the top; it says when its
data is simulated, which year convention it uses, and notes every suppressed cell and
every month withheld by the release calendar.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from borderwatch.stats.base import Encounters
from borderwatch.stats.charts import Bar, bar_chart
from borderwatch.stats.compare import comparisons, sentence
from borderwatch.stats.counting import Counts, DuckDbEngine, GroupKey
from borderwatch.stats.periods import Period, month_name, months_of_year, year_of_month
from borderwatch.stats.publication import ReleaseCalendar
from borderwatch.stats.rows import Region
from borderwatch.stats.tables import (
    KIND_HEADING,
    SIMULATED_NOTE,
    Kind,
    Rendered,
    monthly_table,
    rcmp_table,
)

REPORT_TABLES = (
    ("region", "by province or state"),
    ("direction", "by direction"),
    ("rcmp_division", "by RCMP division (stretch of border)"),
    ("usbp_sector", "by USBP sector (stretch of border)"),
    ("citizenship", "by citizenship"),
    ("demographic", "by CBP demographic"),
)
YEAR_NOTE = (
    "Months are calendar months of the local date where each interception was made. "
    "Years are calendar years (Canada's convention); US agencies publish by fiscal year "
    "(1 October - 30 September)."
)


@dataclass(frozen=True)
class Report:
    kind: Kind
    period: Period
    as_of: date
    simulated: bool
    sentences: tuple[str, ...]
    tables: tuple[Rendered, ...]
    charts: tuple[str, ...]
    """Inline SVG documents."""
    notes: tuple[str, ...]


def build_report(
    encounters: Encounters,
    engine: DuckDbEngine,
    period: Period,
    *,
    kind: Kind,
    regions: dict[str, Region],
    calendar: ReleaseCalendar,
    as_of: date,
) -> Report:
    """Everything the report shows, for the months of ``period``."""
    publishable = kind == "publishable"
    months = [m for m in period.months if not publishable or calendar.is_released(m, as_of)]
    # Comparisons need the previous calendar year too.
    context = Period(
        months_of_year(year_of_month(period.first, "calendar") - 1, "calendar")[0], period.last
    )
    by_region = engine.count(encounters, ("region",), period=context)
    names = {code: r.name for code, r in regions.items()}

    def name(key: GroupKey) -> str:
        return names.get(key[0], key[0]) if key else "All"

    shown_period = Period(months[0], months[-1]) if months else None
    sentences = (
        tuple(sentence(c, kind) for c in comparisons(by_region, shown_period, name=name))
        if shown_period
        else ()
    )
    tables: list[Rendered] = []
    counts: dict[str, Counts] = {}
    for dimension, label in REPORT_TABLES:
        counts[dimension] = engine.count(encounters, (dimension,), period=period)
        tables.append(
            monthly_table(
                counts[dimension],
                list(period.months),
                kind=kind,
                title=f"People intercepted per month {label}, {period.describe()}",
                calendar=calendar,
                as_of=as_of,
            )
        )
    for year in sorted({year_of_month(m, "calendar") for m in period.months}):
        rcmp = engine.count(
            encounters,
            ("region",),
            where={"country": ["CA"], "entry_kind": ["between_ports"]},
            period=Period.year(year, "calendar"),
        )
        tables.append(rcmp_table(rcmp, year, regions, kind=kind, calendar=calendar, as_of=as_of))
    total = engine.count(encounters, (), period=Period(period.first - 12, period.last))
    simulated = encounters.any_simulated
    charts = (
        bar_chart(
            f"People intercepted per month, {period.describe()}",
            [Bar(month_name(m, short=True), total.get((), m)) for m in months],
            compare=[Bar(month_name(m - 12, short=True), total.get((), m - 12)) for m in months],
            current_label=period.describe(),
            publishable=publishable,
            simulated=simulated,
        ),
        _by_chart(counts["region"], months, "by province or state", name, publishable, simulated),
        _by_chart(
            counts["demographic"], months, "by CBP demographic", None, publishable, simulated
        ),
        _by_chart(counts["usbp_sector"], months, "by USBP sector", None, publishable, simulated),
    )
    notes = [YEAR_NOTE]
    if simulated:
        notes.insert(0, SIMULATED_NOTE)
    return Report(
        kind=kind,
        period=period,
        as_of=as_of,
        simulated=simulated,
        sentences=sentences,
        tables=tuple(tables),
        charts=charts,
        notes=tuple(notes),
    )


def _by_chart(
    counts: Counts,
    months: Sequence[int],
    label: str,
    name: object,
    publishable: bool,
    simulated: bool,
) -> str:
    shown = Period(months[0], months[-1]) if months else None
    bars = [
        Bar(
            name(g) if callable(name) else " / ".join(g),
            counts.total(group=g, period=shown) if shown else 0,
        )
        for g in counts.groups()
    ]
    return bar_chart(
        f"People intercepted {label}", bars, publishable=publishable, simulated=simulated
    )


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #1a202c; }
.banner { padding: .6em 1em; font-weight: bold; border-radius: 4px; margin: .5em 0; }
.simulated { background: #fed7d7; color: #822727; }
.internal { background: #feebc8; color: #7b341e; }
.publishable { background: #c6f6d5; color: #22543d; }
table { border-collapse: collapse; margin: .5em 0 .2em; font-size: .85em; }
th, td { border: 1px solid #cbd5e0; padding: .2em .5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr:last-child td { font-weight: bold; }
.notes { font-size: .8em; color: #4a5568; margin: 0 0 1.5em; }
figure { margin: 1em 0; }
"""


def render_html(report: Report) -> str:
    """The report as one HTML document (UTF-8, nothing external)."""
    e = html.escape
    title = f"Borderwatch statistics {report.period.label} — {report.kind}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}{' (SIMULATED)' if report.simulated else ''}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Interceptions between ports of entry, {e(report.period.describe())}</h1>",
    ]
    if report.simulated:
        parts.append(f'<p class="banner simulated">{e(SIMULATED_NOTE)}</p>')
    parts.append(f'<p class="banner {report.kind}">{e(KIND_HEADING[report.kind])}</p>')
    if report.kind == "publishable":
        parts.append(f"<p>Figures as of {report.as_of.isoformat()}.</p>")
    parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in report.notes) + "</ul>")
    parts.append("<h2>In words</h2>")
    if report.sentences:
        parts.append("<ul>" + "".join(f"<li>{e(s)}</li>" for s in report.sentences) + "</ul>")
    else:
        parts.append("<p>No interception in the period (or no month released yet).</p>")
    parts.append("<h2>Charts</h2>")
    parts.extend(f"<figure>{svg}</figure>" for svg in report.charts)
    parts.append("<h2>Tables</h2>")
    for table in report.tables:
        parts.append(f"<h3>{e(table.title)}</h3>")
        parts.append(f'<p class="banner {table.kind}">{e(table.heading)}</p>')
        parts.append("<table><thead><tr>")
        parts.extend(f"<th>{e(c)}</th>" for c in table.columns)
        parts.append("</tr></thead><tbody>")
        for row in table.rows:
            parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table>")
        parts.append('<div class="notes">' + "".join(f"<p>{e(n)}</p>" for n in table.notes))
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it, then a
    rename (atomic on POSIX and Windows), so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); an output is as readable as any other file.
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
