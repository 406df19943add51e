"""CBP "Nationwide Encounters" CSV: read the published file, question it, write our own.

The layout (docs/references.md, ``stats/data/cbp.yaml``): the AOR file has twelve columns
``Fiscal Year, Month Grouping, Month (abbv), Component, Land Border Region, Area of
Responsibility, AOR (Abbv), Demographic, Citizenship, Title of Authority, Encounter Type,
Encounter Count``; the state file (e.g. ``nationwide-encounters-fy21-fy24-state.csv``) has
nine: ``State`` in place of the two AOR columns and neither ``Component`` nor ``Encounter
Type``, since each of its rows adds both components together. Each file is read as it is
published: a question about a column the file does not carry is an error that says which
file does, never an answer from an invented column.

Reading is all or nothing: the whole file is checked (header, then every row against the
column vocabularies) before anything is returned, and the first problem is an
:class:`InputError` naming the file, the line, the column and the reason. Column names are
accepted as published or in snake_case (``Month (abbv)`` or ``month_abbv``), in any order.
Lines starting with ``#`` before the header are skipped (our exports put their notes there).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import yaml
from numpy.typing import NDArray

from borderwatch.domain import InputError
from borderwatch.stats.base import Encounters
from borderwatch.stats.counting import DuckDbEngine
from borderwatch.stats.periods import MONTH_ABBREVIATIONS, fiscal_year_of_month, year_month
from borderwatch.stats.tables import SIMULATED_NOTE

COUNT: Final = "Encounter Count"
FISCAL_YEAR: Final = "Fiscal Year"
USBP: Final = "U.S. Border Patrol"
NORTHERN: Final = "Northern Land Border"
# ASCII digits only: `\d` also matches other scripts' digits ("١٢٣٤"), never published.
_YEAR = re.compile(r"([0-9]{4})(?: \(FYTD\))?")
_COUNT = re.compile(r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+")
MAX_COUNT: Final = 1_000_000_000
"""Largest Encounter Count taken in one row (a month's row is at most tens of thousands):
counts are summed as int64, and `int` of more than 4,300 digits raises (CPython's limit)."""
# Months of a fiscal year in order (October first), for sorting CBP rows as CBP does.
_FISCAL_ORDER: Final = {m: (i - 9) % 12 for i, m in enumerate(MONTH_ABBREVIATIONS)}


@cache
def layout() -> dict[str, Any]:
    """The bundled ``stats/data/cbp.yaml``: columns, vocabularies, sectors, citizenship."""
    text = resources.files("borderwatch.stats").joinpath("data/cbp.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def snake(name: str) -> str:
    """The snake_case form of a published column name.

    >>> snake("Month (abbv)"), snake("AOR (Abbv)"), snake("Area of Responsibility")
    ('month_abbv', 'aor_abbv', 'area_of_responsibility')
    """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def all_columns() -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for variant in layout()["columns"].values():
        seen.update(dict.fromkeys(variant))
    return tuple(seen)


def column_name(name: str, *, field: str = "column") -> str:
    """The published name of a column given as published or in snake_case."""
    wanted = name.strip()
    for column in all_columns():
        if wanted == column or wanted == snake(column):
            return column
    choices = ", ".join(all_columns())
    raise InputError(field, f"unknown CBP column {name!r}; columns are: {choices}")


def variant_name(variant: str) -> str:
    """The words output uses for a variant (``aor`` or ``state``)."""
    name: str = layout()["variants"][variant]["name"]
    return name


@dataclass(frozen=True)
class CbpData:
    """A CBP Nationwide Encounters file, checked and held column by column."""

    source: str
    variant: str
    """``aor`` or ``state``."""
    columns: tuple[str, ...]
    """Published names, in the file's order (``Encounter Count`` included)."""
    values: Mapping[str, NDArray[np.object_]]
    """Text columns (Fiscal Year as its four digits)."""
    counts: NDArray[np.int64]

    @property
    def variant_name(self) -> str:
        """How output names the variant, e.g. ``state file (by State, 9 columns, ...)``."""
        return variant_name(self.variant)

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def read_cbp_csv(path: Path) -> CbpData:
    """Read and check a whole CBP Nationwide Encounters CSV (either variant)."""
    source = str(path)
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(None, f"cannot read the file: {err}", source=source) from None
    return parse_cbp_csv(text, source=source)


def parse_cbp_csv(text: str, *, source: str = "CBP CSV") -> CbpData:
    """Parse and check the text of a CBP Nationwide Encounters CSV (either published
    variant), skipping leading comment and blank lines. Every cell of a closed vocabulary
    is checked; the first bad cell raises :class:`InputError` with its line and column."""
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    reader = csv.reader(io.StringIO("".join(lines[skipped:])))
    try:
        return _parse_rows(reader, skipped, source)
    except csv.Error as err:  # a lone carriage return, a field past the csv module's limit
        raise InputError(
            None, f"not a CSV file ({err}); nothing imported", line=skipped + reader.line_num,
            source=source,
        ) from None


def _parse_rows(reader: Any, skipped: int, source: str) -> CbpData:
    header = next(reader, None)
    if header is None:
        raise InputError(None, "the file has no header row", source=source)
    columns, variant = _check_header(header, source, line=skipped + 1)
    closed = layout()["vocabularies"]
    cells: list[list[str]] = [[] for _ in columns]
    counts: list[int] = []
    for row in reader:
        line = skipped + reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line (e.g. at the end of the file) is no row
        if len(row) != len(columns):
            raise InputError(
                None,
                f"has {len(row)} fields, the header has {len(columns)}; nothing imported",
                line=line,
                source=source,
            )
        for j, (column, raw) in enumerate(zip(columns, row, strict=True)):
            value = raw.strip()
            if column == COUNT:
                if not _COUNT.fullmatch(value):
                    raise _bad(column, f"must be a whole number >= 0, got {raw!r}", line, source)
                digits = value.replace(",", "")
                if len(digits) > len(str(MAX_COUNT)) or int(digits) > MAX_COUNT:
                    raise _bad(column, f"is past the largest count taken ({MAX_COUNT:,})",
                               line, source)
                counts.append(int(digits))
                continue
            if column == FISCAL_YEAR:
                match = _YEAR.fullmatch(value)
                if match is None:
                    raise _bad(column, f"must be a year like 2024, got {raw!r}", line, source)
                value = match.group(1)
            elif column in closed and value not in closed[column]:
                choices = ", ".join(closed[column])
                raise _bad(column, f"{raw!r} is not one of: {choices}", line, source)
            elif not value:
                raise _bad(column, "is empty", line, source)
            elif column == "Citizenship" and value != value.upper():
                raise _bad(column, f"must be upper case as published, got {raw!r}", line, source)
            cells[j].append(value)
    values = {c: np.array(cells[j], dtype=object) for j, c in enumerate(columns) if c != COUNT}
    return CbpData(source, variant, columns, values, np.array(counts, dtype=np.int64))


def _bad(column: str, reason: str, line: int, source: str) -> InputError:
    return InputError(column, f"{reason}; nothing imported", line=line, source=source)


def _check_header(header: Sequence[str], source: str, *, line: int) -> tuple[tuple[str, ...], str]:
    names: list[str] = []
    unknown: list[str] = []
    for raw in header:
        try:
            names.append(column_name(raw))
        except InputError:
            unknown.append(raw)
    if unknown:
        raise InputError(
            None, f"unknown column(s) {unknown}; nothing imported", line=line, source=source
        )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(None, f"repeated column(s) {duplicated}", line=line, source=source)
    variants = layout()["columns"]
    variant = "state" if "State" in names else "aor"
    missing = [c for c in variants[variant] if c not in names]
    extra = [c for c in names if c not in variants[variant]]
    if missing or extra:
        problem = f"missing column(s) {missing}" if missing else ""
        if extra:
            problem += ("; " if problem else "") + f"column(s) {extra} do not belong"
        raise InputError(
            None,
            f"{problem} in the {variant_name(variant)}; nothing imported",
            line=line,
            source=source,
        )
    return tuple(names), variant


def parse_where(items: Sequence[str]) -> dict[str, list[str]]:
    """``COLUMN=VALUE`` items -> published column -> accepted values (OR within a column)."""
    where: dict[str, list[str]] = {}
    closed = layout()["vocabularies"]
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError("--where", f"must be COLUMN=VALUE, got {item!r}")
        column = column_name(name, field="--where")
        value = value.strip()
        if column == FISCAL_YEAR:
            value = value.upper().removeprefix("FY")
        if column in closed and value.casefold() not in {v.casefold() for v in closed[column]}:
            raise InputError("--where", f"{column}: {value!r} is not one of {closed[column]}")
        where.setdefault(column, []).append(value)
    return where


def query(
    data: CbpData, by: Sequence[str], where: Mapping[str, Sequence[str]] | None = None
) -> list[dict[str, Any]]:
    """Encounter counts grouped by the ``by`` columns, of the rows matching ``where``
    (values compared without regard to case), largest first. Each result holds the grouping
    columns under their snake_case names and ``encounter_count``."""
    by = [column_name(b, field="--by") for b in by]
    for field, columns in (("--by", by), ("--where", list(where or {}))):
        for column in columns:
            if column not in data.values:
                raise InputError(field, _not_carried(data.variant, column))
    for column, wanted in (where or {}).items():
        _check_in_file(data, column, wanted)
    tables: dict[str, Any] = {f"c{j}": data.values[c] for j, c in enumerate(data.values)}
    tables["n"] = data.counts
    alias = {c: f"c{j}" for j, c in enumerate(data.values)}
    conditions = ["TRUE"]
    params: list[Any] = []
    for column, wanted in (where or {}).items():
        conditions.append(f"list_contains(?, lower({alias[column]}))")
        params.append([w.casefold() for w in wanted])
    keys = ", ".join(alias[c] for c in by)
    select = f"{keys}, " if by else ""
    group = f"GROUP BY {keys}" if by else ""
    order = ", ".join(["total DESC", *(alias[c] for c in by)])
    sql = (
        f"SELECT {select}sum(n)::BIGINT AS total FROM cbp WHERE {' AND '.join(conditions)} "
        f"{group} ORDER BY {order}"
    )
    con = duckdb.connect(":memory:")
    try:
        con.register("cbp", tables)
        rows = con.execute(sql, params).fetchall()
    finally:
        con.close()
    out = []
    for row in rows:
        record: dict[str, Any] = {snake(c): row[j] for j, c in enumerate(by)}
        record["encounter_count"] = int(row[-1] or 0)
        out.append(record)
    return out


def _not_carried(variant: str, column: str) -> str:
    """Why ``column`` cannot be asked of a ``variant`` file, and which file carries it."""
    variants = layout()["variants"]
    carried_by = [v for v, cols in layout()["columns"].items() if column in cols and v != variant]
    reason = f"column {column!r} is not in the {variants[variant]['name']}"
    if carried_by:
        other = variants[carried_by[0]]
        reason += f"; the {other['name']}, e.g. {other['example']}, has it"
    return reason


_SHOWN_VALUES: Final = 40
"""At most this many of a column's values are listed in an error (Citizenship has ~100)."""


def _check_in_file(data: CbpData, column: str, wanted: Sequence[str]) -> None:
    """Refuse a ``--where`` value the file never has in ``column``: an empty table would
    read as "no encounters" when the question was mistyped or asked of the wrong file."""
    present = sorted({str(v) for v in data.values[column]})
    folded = {v.casefold() for v in present}
    absent = [w for w in wanted if w.casefold() not in folded]
    if not absent:
        return
    shown = ", ".join(present[:_SHOWN_VALUES])
    if len(present) > _SHOWN_VALUES:
        shown += f", ... ({len(present)} values in all)"
    raise InputError(
        "--where",
        f"{column}: {', '.join(map(repr, absent))} is not in this file "
        f"({data.variant_name}); its {column} values are: {shown or '(none: no rows)'}",
    )


# --- export ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CbpExport:
    csv_text: str
    rows: int
    encounters: int
    """Person-encounters written."""
    left_out: int
    """Person-encounters not written: not U.S. Border Patrol encounters on the US side."""


def cbp_citizenship(iso: str) -> str:
    """CBP's spelling of a nationality; countries CBP does not name are ``OTHER``.

    >>> cbp_citizenship("VE"), cbp_citizenship("CN"), cbp_citizenship("FR")
    ('VENEZUELA', 'CHINA, PEOPLES REPUBLIC OF', 'OTHER')
    """
    names: dict[str, str] = layout()["citizenship"]
    return names.get(iso, "OTHER")


def export_cbp(encounters: Encounters, engine: DuckDbEngine) -> CbpExport:
    """Our U.S. Border Patrol person-encounters in the CBP AOR layout, exact counts (CBP
    publishes unrounded counts).

    Only encounters on the US side made by a USBP unit have a place in this layout; the rest
    (e.g. RCMP interceptions in Canada) are counted in ``left_out``. Our records carry no
    processing authority: every row is ``Title 8`` / ``Apprehensions`` (Title 42 expulsions
    ended on 11 May 2023). When any record is simulated, the file starts with ``#`` lines
    saying so (:func:`read_cbp_csv` skips them).
    """
    counts = engine.count(
        encounters,
        ("usbp_sector", "demographic", "citizenship"),
        where={"country": ["US"], "agency": ["USBP"]},
    )
    sectors: dict[str, str] = layout()["northern_sectors"]
    grouping: str = layout()["month_grouping"]
    rows: dict[tuple[str, ...], int] = {}
    for (sector, demographic, citizenship), month in counts.cells:
        _, m = year_month(month)
        key: tuple[str, ...] = (
            str(fiscal_year_of_month(month)),
            grouping,
            MONTH_ABBREVIATIONS[m - 1],
            USBP,
            NORTHERN,
            sectors.get(sector, f"{sector} Sector"),
            sector,
            demographic,
            cbp_citizenship(citizenship),
            "Title 8",
            "Apprehensions",
        )
        rows[key] = rows.get(key, 0) + counts.cells[((sector, demographic, citizenship), month)]
    ordered = sorted(rows, key=lambda k: (int(k[0]), _FISCAL_ORDER[k[2]], *k[3:]))
    buffer = io.StringIO()
    if counts.simulated:
        buffer.write(f"# {SIMULATED_NOTE}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(layout()["columns"]["aor"])
    for key in ordered:
        writer.writerow([*key, rows[key]])
    written = sum(rows.values())
    return CbpExport(buffer.getvalue(), len(rows), written, len(encounters) - written)
