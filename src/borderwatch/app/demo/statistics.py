"""The demo's last stage: the night at Coutts in the numbers the agencies publish.

The nine people of the case are counted for Alberta, February 2025 (the month of the
interception's local date): 9 in the internal table, 10 in the publishable one (rounded to
the nearest 5), and cells of 1 to 5 (e.g. by demographic or citizenship) shown as ``--``.
A publishable HTML report (in English, and in French as ``report.fr.html``), the RCMP table
of 2025 and ``stats.json`` are written. All of it is simulated data, and every output says so.

Kept apart from demo.py so each stays readable; the demo calls :func:`run_statistics_stage`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from borderwatch.adapters.sqlite.audit import AuditLog
from borderwatch.adapters.sqlite.cases import SqlCaseStore
from borderwatch.app.cli.stats import print_table
from borderwatch.cases.in_force import entered_by_case
from borderwatch.stats import (
    CaseStoreEncounters,
    DuckDbEngine,
    Period,
    ReleaseCalendar,
    build_report,
    comparisons,
    load_regions,
    monthly_table,
    rcmp_table,
    render_html,
    sentence,
    write_atomic,
)
from borderwatch.stats.periods import month_label
from borderwatch.stats.tables import Rendered

REPORT_PERIOD = Period.parse("2025-01..2025-02")
"""January-February 2025: "so far in 2025" when the press reported it in early March."""
FEBRUARY = Period.parse("2025-02")
STATS_FILES = ("report.html", "report.fr.html", "stats.json", "rcmp-2025.csv")


def run_statistics_stage(
    out: Path, console: Console, *, as_of: date | None = None, quiet: bool = False
) -> dict[str, Any]:
    """Count the store's cases, print the tables, write the report; return a summary."""
    as_of = as_of or datetime.now(UTC).date()
    calendar = ReleaseCalendar.bundled()
    regions = load_regions()
    with SqlCaseStore.at(out / "borderwatch.db") as store:
        audit = AuditLog(out / "borderwatch.db")
        try:  # citizenship and demographic from the officer's entry (cases/in_force.py)
            encounters = CaseStoreEncounters(
                store, entered=entered_by_case(audit.latest_screenings())
            ).encounters()
        finally:
            audit.close()
    engine = DuckDbEngine()
    try:
        by_region = engine.count(encounters, ("region",), period=REPORT_PERIOD)
        tables = {
            "internal_by_region": _table(by_region, "internal", "province", calendar, as_of),
            "publishable_by_region": _table(by_region, "publishable", "province", calendar, as_of),
        }
        for dimension in ("demographic", "citizenship"):
            counts = engine.count(
                encounters, (dimension,), where={"region": ["AB"]}, period=FEBRUARY
            )
            tables[f"publishable_by_{dimension}"] = monthly_table(
                counts,
                list(FEBRUARY.months),
                kind="publishable",
                title=f"Alberta, February 2025, by {dimension}",
                calendar=calendar,
                as_of=as_of,
            )
        history = engine.count(
            encounters, ("region",), period=Period(REPORT_PERIOD.first - 12, REPORT_PERIOD.last)
        )
        said = comparisons(history, REPORT_PERIOD, name=lambda k: regions[k[0]].name)
        sentences = {
            "internal": [sentence(c, "internal") for c in said],
            "publishable": [sentence(c, "publishable") for c in said],
        }
        rcmp = engine.count(
            encounters,
            ("region",),
            where={"country": ["CA"], "entry_kind": ["between_ports"]},
            period=Period.year(2025, "calendar"),
        )
        rcmp_2025 = rcmp_table(
            rcmp, 2025, regions, kind="publishable", calendar=calendar, as_of=as_of
        )
        reports = {
            lang: build_report(
                encounters,
                engine,
                REPORT_PERIOD,
                kind="publishable",
                regions=regions,
                calendar=calendar,
                as_of=as_of,
                lang=lang,
            )
            for lang in ("en", "fr")
        }
    finally:
        engine.close()
    write_atomic(out / "report.html", render_html(reports["en"]))
    write_atomic(out / "report.fr.html", render_html(reports["fr"]))
    write_atomic(out / "rcmp-2025.csv", rcmp_2025.to_csv())
    feb = month_label(FEBRUARY.first)
    summary: dict[str, Any] = {
        "simulated": encounters.any_simulated,
        "as_of": as_of.isoformat(),
        "alberta_february_2025": {
            "internal": int(tables["internal_by_region"].cell("AB", feb)),
            "publishable": tables["publishable_by_region"].cell("AB", feb),
        },
        "suppressed": {
            name: [r[0] for r in t.rows if r[-1] == "--"]
            for name, t in tables.items()
            if t.kind == "publishable"
        },
        "sentences": sentences,
        "report": "report.html",
        "report_fr": "report.fr.html",
    }
    document = {
        "simulated": summary["simulated"],
        "tables": {name: t.to_json() for name, t in tables.items()},
        "rcmp_2025": rcmp_2025.to_json(),
        **{k: v for k, v in summary.items() if k not in ("simulated",)},
    }
    write_atomic(out / "stats.json", orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
    _print_stage(console, tables, sentences, summary, quiet=quiet)
    return summary


def _table(counts: Any, kind: Any, label: str, calendar: Any, as_of: date) -> Rendered:
    return monthly_table(
        counts,
        list(REPORT_PERIOD.months),
        kind=kind,
        title=f"People intercepted per month by {label}, {REPORT_PERIOD.describe()}",
        calendar=calendar,
        as_of=as_of,
    )


def _print_stage(
    console: Console,
    tables: dict[str, Rendered],
    sentences: dict[str, list[str]],
    summary: dict[str, Any],
    *,
    quiet: bool,
) -> None:
    console.rule("[bold]Statistics — the night in the agencies' numbers (SIMULATED data)[/]")
    by_region = ("internal_by_region", "publishable_by_region")
    shown = tables if not quiet else {k: tables[k] for k in by_region}
    for table in shown.values():
        print_table(table, console)
    ab = summary["alberta_february_2025"]
    console.print(
        f"Alberta, February 2025: [bold]{ab['internal']}[/] people in the internal table, "
        f"[bold]{ab['publishable']}[/] in the publishable one (rounded to the nearest 5).",
        highlight=False,
    )
    for line in sentences["publishable"][:3]:
        console.print(f"  publishable: {line}", highlight=False)
    console.print(
        "Statistics written: " + ", ".join(STATS_FILES) + " (every one marked SIMULATED).",
        highlight=False,
    )
