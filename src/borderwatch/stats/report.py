"""The statistics report: one self-contained HTML file with charts, tables and sentences.

Self-contained means no link leaves the file: styles are inline and charts are inline SVG
(:mod:`borderwatch.stats.charts`), so it can be mailed or archived as it is. A report is
either internal or publishable, never both, and says which at the top; it says when its
data is simulated, which year convention it uses, and notes every suppressed cell and
every month withheld by the release calendar. It is written in English or French (``lang``):
every word from the one message table, :mod:`borderwatch.stats.i18n`.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from borderwatch.domain.lang import Lang, check_lang
from borderwatch.stats.base import Encounters
from borderwatch.stats.charts import Bar, bar_chart
from borderwatch.stats.compare import comparisons, sentence
from borderwatch.stats.counting import Counts, DuckDbEngine, GroupKey
from borderwatch.stats.i18n import (
    day,
    describe,
    group_value,
    month_text,
    region_name,
    say,
)
from borderwatch.stats.periods import Period, months_of_year, year_of_month
from borderwatch.stats.publication import ReleaseCalendar
from borderwatch.stats.rows import Region
from borderwatch.stats.tables import Kind, Rendered, monthly_table, rcmp_table

REPORT_TABLES = ("region", "direction", "rcmp_division", "usbp_sector", "citizenship",
                 "demographic")  # fmt: skip
"""The monthly tables, by dimension; each one's label is the message ``by_<dimension>``."""


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
    lang: Lang = "en"


def build_report(
    encounters: Encounters,
    engine: DuckDbEngine,
    period: Period,
    *,
    kind: Kind,
    regions: dict[str, Region],
    calendar: ReleaseCalendar,
    as_of: date,
    lang: str = "en",
) -> Report:
    """Everything the report shows, for the months of ``period``, in ``lang`` (``en`` or
    ``fr``; anything else is an InputError naming ``lang``)."""
    lang = check_lang(lang)
    publishable = kind == "publishable"
    months = [m for m in period.months if not publishable or calendar.is_released(m, as_of)]
    # Comparisons need the previous calendar year too.
    context = Period(
        months_of_year(year_of_month(period.first, "calendar") - 1, "calendar")[0], period.last
    )
    by_region = engine.count(encounters, ("region",), period=context)
    names = {code: region_name(code, r.name, lang) for code, r in regions.items()}
    period_text = describe(period, lang)

    def name(key: GroupKey) -> str:
        return names.get(key[0], key[0]) if key else say(lang, "all")

    shown_period = Period(months[0], months[-1]) if months else None
    sentences = (
        tuple(sentence(c, kind, lang) for c in comparisons(by_region, shown_period, name=name))
        if shown_period
        else ()
    )
    tables: list[Rendered] = []
    counts: dict[str, Counts] = {}
    for dimension in REPORT_TABLES:
        counts[dimension] = engine.count(encounters, (dimension,), period=period)
        label = say(lang, f"by_{dimension}")
        tables.append(
            monthly_table(
                counts[dimension],
                list(period.months),
                kind=kind,
                title=say(lang, "table_title", label=label, period=period_text),
                calendar=calendar,
                as_of=as_of,
                lang=lang,
            )
        )
    for year in sorted({year_of_month(m, "calendar") for m in period.months}):
        rcmp = engine.count(
            encounters,
            ("region",),
            where={"country": ["CA"], "entry_kind": ["between_ports"]},
            period=Period.year(year, "calendar"),
        )
        tables.append(rcmp_table(rcmp, year, regions, kind=kind, calendar=calendar, as_of=as_of,
                                 lang=lang))  # fmt: skip
    total = engine.count(encounters, (), period=Period(period.first - 12, period.last))
    simulated = encounters.any_simulated
    charts = (
        bar_chart(
            say(lang, "chart_monthly", period=period_text),
            [Bar(month_text(m, lang, short=True), total.get((), m)) for m in months],
            compare=[
                Bar(month_text(m - 12, lang, short=True), total.get((), m - 12)) for m in months
            ],
            current_label=period_text,
            publishable=publishable,
            simulated=simulated,
            lang=lang,
        ),
        _by_chart(
            counts["region"], months, say(lang, "by_region"), name, publishable, simulated, lang
        ),
        _by_chart(
            counts["demographic"], months, say(lang, "by_demographic"), None, publishable,
            simulated, lang,
        ),
        _by_chart(
            counts["usbp_sector"], months, say(lang, "chart_by_usbp_sector"), None,
            publishable, simulated, lang,
        ),
    )
    notes = [say(lang, "year_note")]
    if simulated:
        notes.insert(0, say(lang, "simulated_note"))
    return Report(
        kind=kind,
        period=period,
        as_of=as_of,
        simulated=simulated,
        sentences=sentences,
        tables=tuple(tables),
        charts=charts,
        notes=tuple(notes),
        lang=lang,
    )


def _by_chart(
    counts: Counts,
    months: Sequence[int],
    label: str,
    name: object,
    publishable: bool,
    simulated: bool,
    lang: Lang,
) -> str:
    shown = Period(months[0], months[-1]) if months else None
    bars = [
        Bar(
            name(g)
            if callable(name)
            else " / ".join(group_value(d, v, lang) for d, v in zip(counts.by, g, strict=True)),
            counts.total(group=g, period=shown) if shown else 0,
        )
        for g in counts.groups()
    ]
    return bar_chart(
        say(lang, "chart_by", label=label),
        bars,
        publishable=publishable,
        simulated=simulated,
        lang=lang,
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
    lang = report.lang
    kind = say(lang, f"kind_word_{report.kind}")
    title = say(lang, "title", period=report.period.label, kind=kind)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{e(title)}{say(lang, 'title_simulated') if report.simulated else ''}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(say(lang, 'h1', period=describe(report.period, lang)))}</h1>",
    ]
    if report.simulated:
        parts.append(f'<p class="banner simulated">{e(say(lang, "simulated_note"))}</p>')
    parts.append(f'<p class="banner {report.kind}">{e(say(lang, f"kind_{report.kind}"))}</p>')
    if report.kind == "publishable":
        parts.append(f"<p>{e(say(lang, 'as_of', day=day(report.as_of, lang)))}</p>")
    parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in report.notes) + "</ul>")
    parts.append(f"<h2>{e(say(lang, 'in_words'))}</h2>")
    if report.sentences:
        parts.append("<ul>" + "".join(f"<li>{e(s)}</li>" for s in report.sentences) + "</ul>")
    else:
        parts.append(f"<p>{e(say(lang, 'no_sentence'))}</p>")
    parts.append(f"<h2>{e(say(lang, 'charts'))}</h2>")
    parts.extend(f"<figure>{svg}</figure>" for svg in report.charts)
    parts.append(f"<h2>{e(say(lang, 'tables'))}</h2>")
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
