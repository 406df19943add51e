"""`borderwatch stats ...` and `borderwatch report`: the statistics commands.

Kept out of cli.py so the command module stays small; :func:`register` adds them to the
main app. Heavy libraries (DuckDB, matplotlib) are imported inside the commands, so
`borderwatch --help` stays fast.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from borderwatch.domain import InputError

if TYPE_CHECKING:
    from borderwatch.stats import Encounters, ReleaseCalendar, Rendered
    from borderwatch.stats.tables import Kind

console = Console()
DEFAULT_DB = Path("out/demo/borderwatch.db")
FORMATS = ("table", "json", "csv")

stats_app = typer.Typer(
    help=(
        "Monthly statistics from the case store, in the agencies' formats.\n\n"
        "Without a subcommand: person-encounters per month grouped by --by (default: province "
        "or state), internal exact counts or --publishable (0-5 shown as --, others rounded to "
        "5, months only after their release date), with year-over-year sentences. "
        "Subcommands: `rcmp` (provinces x months table), `export-cbp` (our USBP encounters in "
        "the CBP Nationwide Encounters CSV layout) and `cbp FILE` (question a published CBP "
        "file)."
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)

DbOption = Annotated[
    Path,
    typer.Option("--db", help="SQLite case store (borderwatch.db, as `borderwatch demo` writes)."),
]
FormatOption = Annotated[str, typer.Option("--format", help="table, json or csv.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write to this file (atomically) instead of stdout.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Publication date YYYY-MM-DD for the release calendar (today)."),
]
CalendarOption = Annotated[
    Path | None,
    typer.Option(
        "--calendar",
        help="Release calendar YAML (default: the bundled one, 21 days after month end).",
        exists=True,
        dir_okay=False,
    ),
]


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError("--format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def _as_of(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("--as-of", f"must be YYYY-MM-DD, got {text!r}") from None


def _calendar(path: Path | None) -> ReleaseCalendar:
    from borderwatch.stats import ReleaseCalendar

    return ReleaseCalendar.load(path) if path else ReleaseCalendar.bundled()


def _encounters(db: Path) -> Encounters:
    from borderwatch.adapters.sqlite.cases import SqlCaseStore
    from borderwatch.stats import CaseStoreEncounters

    if not db.is_file():
        raise InputError("--db", f"no case store at {db} (run `borderwatch demo` to make one)")
    from borderwatch.adapters.sqlite.audit import AuditLog
    from borderwatch.cases.in_force import entered_by_case

    # The officer's facts in force (the audit log's latest entry per case) give citizenship
    # and demographic; a case no officer has entered counts as the field team opened it.
    with SqlCaseStore.at(db) as store:
        audit = AuditLog(db)
        try:
            return CaseStoreEncounters(
                store, entered=entered_by_case(audit.latest_screenings())
            ).encounters()
        finally:
            audit.close()


def _parse_where(items: list[str]) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError("--where", f"must be DIMENSION=VALUE, got {item!r}")
        where.setdefault(name.strip(), []).append(value.strip())
    return where


def _emit(text: str, out: Path | None) -> None:
    from borderwatch.stats import write_atomic

    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)
        console.print(f"written -> {out}", soft_wrap=True)


def _show_tables(tables: list[Rendered], fmt: str, out: Path | None, extra: list[str]) -> None:
    import orjson

    if fmt == "json":
        document = {
            "simulated": any(t.simulated for t in tables),
            "tables": [t.to_json() for t in tables],
            "sentences": extra,
        }
        _emit(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n", out)
    elif fmt == "csv":
        _emit("".join(t.to_csv() for t in tables), out)
    elif out is not None:
        raise InputError("--out", "write a file with --format csv or json")
    else:
        for table in tables:
            print_table(table, console)
        for line in extra:
            console.print(line, highlight=False)


def print_table(table: Rendered, target: Console) -> None:
    """A rendered table on the console: heading, table, notes."""
    style = "bold yellow" if table.kind == "internal" else "bold green"
    target.print(f"[{style}]{table.heading}[/]", highlight=False)
    grid = Table(title=table.title, title_justify="left")
    for j, column in enumerate(table.columns):
        grid.add_column(column, justify="left" if j < table.key_columns else "right")
    for row in table.rows:
        grid.add_row(*row)
    target.print(grid)
    for note in table.notes:
        target.print(f"  [dim]{note}[/]", highlight=False)


@stats_app.callback()
def stats(
    ctx: typer.Context,
    db: DbOption = DEFAULT_DB,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Group by this dimension (repeatable): country, region, segment, "
            "rcmp_division, usbp_sector, unit, agency, direction, citizenship, demographic, "
            "entry_kind.",
        ),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only rows with DIMENSION=VALUE (repeatable)."),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option("--period", help="Months YYYY-MM..YYYY-MM (default: every month with data)."),
    ] = None,
    fiscal_year: Annotated[
        int | None,
        typer.Option(
            "--fiscal-year",
            help="The months of one US fiscal year (FY2025 = Oct 2024-Sep 2025) instead of "
            "--period; sentences then compare with the previous fiscal year.",
        ),
    ] = None,
    years: Annotated[
        str | None,
        typer.Option("--years", help="Totals per year instead of per month: calendar or fiscal."),
    ] = None,
    publishable: Annotated[
        bool, typer.Option("--publishable", help="Apply the publication rules and calendar.")
    ] = False,
    as_of: AsOfOption = None,
    calendar: CalendarOption = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """Person-encounters per month from the case store (see `borderwatch stats --help`)."""
    if ctx.invoked_subcommand is not None:
        return
    from borderwatch.stats import (
        DuckDbEngine,
        Period,
        comparisons,
        load_regions,
        monthly_table,
        sentence,
    )
    from borderwatch.stats.tables import year_table

    _check_format(fmt)
    encounters = _encounters(db)
    engine = DuckDbEngine()
    dims = by or ["region"]
    if period and fiscal_year is not None:
        raise InputError("--fiscal-year", "give either --period or --fiscal-year, not both")
    chosen = Period.parse(period) if period else None
    if fiscal_year is not None:
        chosen = Period.year(fiscal_year, "fiscal")
    counts = engine.count(encounters, dims, where=_parse_where(where or []), period=chosen)
    months = counts.months()
    if chosen is None:
        chosen = Period(months[0], months[-1]) if months else None
    if chosen is None:
        console.print("[yellow]no interception in the store[/]")
        return
    kind: Kind = "publishable" if publishable else "internal"
    if years is not None:
        if years not in ("calendar", "fiscal"):
            raise InputError("--years", f"must be calendar or fiscal, got {years!r}")
        if publishable:
            raise InputError("--years", "year totals are internal; use monthly tables to publish")
        title = f"People intercepted per {years} year by {', '.join(dims)}"
        table = year_table(counts, "fiscal" if years == "fiscal" else "calendar", title=title)
        _show_tables([table], fmt, out, [])
        return
    release, day = _calendar(calendar), _as_of(as_of)
    when = chosen.describe()
    if fiscal_year is not None:
        when = f"FY{fiscal_year} (US fiscal year, {when})"
    table = monthly_table(
        counts,
        list(chosen.months),
        kind=kind,
        title=f"People intercepted per month by {', '.join(dims)}, {when}",
        calendar=release,
        as_of=day,
    )
    regions = load_regions()
    context = Period(chosen.first - 12, chosen.last)
    history = engine.count(encounters, ("region",), where=_parse_where(where or []), period=context)
    said = [
        sentence(c, kind)
        for c in comparisons(
            history,
            chosen,
            name=lambda k: regions[k[0]].name if k[0] in regions else k[0],
            year_kind="fiscal" if fiscal_year is not None else "calendar",
        )
    ]
    if kind == "publishable" and not all(release.is_released(m, day) for m in chosen.months):
        said = []  # a sentence must not speak of a month the table withholds
    _show_tables([table], fmt, out, said)


@stats_app.command("rcmp")
def stats_rcmp(
    year: Annotated[int, typer.Option("--year", help="Calendar year of the table.")],
    db: DbOption = DEFAULT_DB,
    internal: Annotated[
        bool, typer.Option("--internal", help="Exact counts (default: publishable).")
    ] = False,
    as_of: AsOfOption = None,
    calendar: CalendarOption = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """The RCMP interceptions table of a calendar year, as IRCC publishes it.

    Rows NB, QC, ON, MB, SK, AB, BC and Total – RCMP; columns January to December and
    Total; people intercepted between ports of entry in Canada, by the province where they
    were met. Publishable by default (0-5 shown as --, others rounded to the nearest 5,
    totals from unrounded data, months only after their release date); --internal for exact
    counts.
    """
    from borderwatch.stats import DuckDbEngine, Period, load_regions, rcmp_table

    _check_format(fmt)
    encounters = _encounters(db)
    counts = DuckDbEngine().count(
        encounters,
        ("region",),
        where={"country": ["CA"], "entry_kind": ["between_ports"]},
        period=Period.year(year, "calendar"),
    )
    table = rcmp_table(
        counts,
        year,
        load_regions(),
        kind="internal" if internal else "publishable",
        calendar=_calendar(calendar),
        as_of=_as_of(as_of),
    )
    _show_tables([table], fmt, out, [])


@stats_app.command("export-cbp")
def stats_export_cbp(
    out: Annotated[Path, typer.Option("--out", help="Where to write the CSV (atomically).")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write our U.S. Border Patrol encounters in the CBP Nationwide Encounters CSV layout.

    The twelve published columns with CBP's vocabularies (Fiscal Year, Month Grouping,
    Month (abbv), Component, Land Border Region, Area of Responsibility, AOR (Abbv),
    Demographic, Citizenship, Title of Authority, Encounter Type, Encounter Count), exact
    counts as CBP publishes them. Only people met on the US side by a USBP unit fit this
    layout; the others are counted and reported. Simulated data is marked by # lines above
    the header.
    """
    from borderwatch.stats import DuckDbEngine, export_cbp, write_atomic

    encounters = _encounters(db)
    result = export_cbp(encounters, DuckDbEngine())
    write_atomic(out, result.csv_text)
    console.print(
        f"{result.rows} rows ({result.encounters} people) -> {out}; {result.left_out} people "
        "left out (not U.S. Border Patrol encounters on the US side)",
        soft_wrap=True,
    )


@stats_app.command("cbp")
def stats_cbp(
    file: Annotated[
        Path,
        typer.Argument(
            help="A CBP Nationwide Encounters CSV as published: the AOR file (12 columns) or "
            "the state file (9 columns).",
            exists=True,
        ),
    ],
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Group by this column, published or snake_case (repeatable)."),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only rows with COLUMN=VALUE (repeatable; OR per column)."),
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """Question a CBP Nationwide Encounters CSV as published.

    CBP publishes two files, read each as it is: the AOR file (12 columns, by Area of
    Responsibility, with Component and Encounter Type) and the state file (9 columns, by
    State; no Component and no Encounter Type, each row adds both components together).
    Every output says which was read. Example on the AOR file, FY2024 U.S. Border Patrol
    northern-border apprehensions by sector: `borderwatch stats cbp FILE --where
    "Fiscal Year=2024" --where "Component=U.S. Border Patrol" --where "Land Border
    Region=Northern Land Border" --by "Area of Responsibility"`; on the state file: `--where
    "Fiscal Year=2024" --by State`. Asking the state file about Component or Encounter Type,
    or giving --where a value the file never has, is an error listing what it has. The whole
    file is checked first: an unknown or missing column, or a malformed row, is an error
    naming the line and column, and nothing is imported. --format json prints an object
    with the file, its variant and rows (the grouping columns and encounter_count); --format
    csv starts with a # line naming the variant.
    """
    import orjson

    from borderwatch.stats.cbp import column_name, parse_where, query, read_cbp_csv

    _check_format(fmt)
    conditions = parse_where(where or [])
    data = read_cbp_csv(file)
    results = query(data, by or [], conditions)
    columns = [column_name(b) for b in by or []]
    if fmt == "json":
        document = {
            "file": file.name,
            "variant": data.variant,
            "read_as": data.variant_name,
            "rows": results,
        }
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if fmt == "csv":
        import csv

        sys.stdout.write(f"# {file.name}: read as the CBP {data.variant_name}\n")
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*columns, "Encounter Count"])
        writer.writerows([*r.values()] for r in results)
        return
    console.print(f"[bold]{file.name}[/]: read as the CBP {data.variant_name}", highlight=False)
    grid = Table(title=f"{len(data):,} rows, {data.total:,} encounters", title_justify="left")
    for column in columns:
        grid.add_column(column)
    grid.add_column("Encounter Count", justify="right")
    for r in results:
        grid.add_row(*(str(v) for v in r.values()))
    grid.add_row(*([""] * len(columns)), f"{sum(r['encounter_count'] for r in results):,}")
    console.print(grid)
    if conditions:
        said = "; ".join(f"{c} = {' or '.join(v)}" for c, v in conditions.items())
        console.print(f"[dim]where {said}[/]", highlight=False)


def report(
    period: Annotated[
        str, typer.Option("--period", help="Months of the report, YYYY-MM..YYYY-MM.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML report.")],
    db: DbOption = DEFAULT_DB,
    internal: Annotated[
        bool,
        typer.Option("--internal", help="Exact counts for internal use (default: publishable)."),
    ] = False,
    as_of: AsOfOption = None,
    calendar: CalendarOption = None,
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help=(
                "Language of the report: en (English, the default) or fr (French: French "
                "headings, notes, sentences, month names and province names; numbers and "
                "dates written as in Canadian French, e.g. 1 234 and 21 mars 2025)."
            ),
        ),
    ] = "en",
) -> None:
    """Write a self-contained HTML statistics report for a run of months.

    Charts (monthly series against a year before, by province or state, by CBP
    demographic, by USBP sector; SVG drawn with matplotlib and embedded), the monthly tables
    by province or state, direction, RCMP division, USBP sector, citizenship and demographic,
    the RCMP provinces x months table, and year-over-year sentences. Publishable by default
    (publication rules and release calendar applied, every suppression noted); --internal
    for exact counts. Simulated data is marked as such. --lang fr writes it in French.
    """
    from borderwatch.domain.lang import check_lang
    from borderwatch.stats import (
        DuckDbEngine,
        Period,
        build_report,
        load_regions,
        render_html,
        write_atomic,
    )

    language = check_lang(lang, field="--lang")
    chosen = Period.parse(period)
    encounters = _encounters(db)
    built = build_report(
        encounters,
        DuckDbEngine(),
        chosen,
        kind="internal" if internal else "publishable",
        regions=load_regions(),
        calendar=_calendar(calendar),
        as_of=_as_of(as_of),
        lang=language,
    )
    write_atomic(out, render_html(built))
    console.print(
        f"report ({built.kind}{', SIMULATED data' if built.simulated else ''}, "
        f"{len(built.tables)} tables, {len(built.charts)} charts) -> {out}",
        soft_wrap=True,
    )


def register(app: Any) -> None:
    """Add `stats` (with its subcommands) and `report` to the main `borderwatch` app."""
    app.add_typer(stats_app, name="stats")
    app.command("report")(report)
