"""Statistics: the numbers the agencies publish, from Borderwatch's own records.

``base`` holds the contract (person-encounter rows, :class:`EncounterSource`) and its
official fake; ``rows`` reads cases into rows; ``engine`` counts them on DuckDB;
``periods`` knows calendar and US fiscal years; ``demographic`` derives CBP's categories;
``publication`` holds the publication rules and the release calendar; ``tables``,
``compare``, ``charts`` and ``report`` turn counts into tables, sentences, charts and an
HTML report; ``cbp`` reads and writes the CBP Nationwide Encounters CSV.
"""

from borderwatch.stats.base import (
    DIMENSIONS,
    EncounterRow,
    Encounters,
    EncounterSource,
    RowEncounters,
)
from borderwatch.stats.cbp import CbpData, export_cbp, query, read_cbp_csv
from borderwatch.stats.compare import Comparison, comparisons, sentence
from borderwatch.stats.counting import Counts, DuckDbEngine
from borderwatch.stats.demographic import Demographic, demographics
from borderwatch.stats.periods import Period, fiscal_year
from borderwatch.stats.publication import ReleaseCalendar, published, show
from borderwatch.stats.report import Report, build_report, render_html, write_atomic
from borderwatch.stats.rows import CaseStoreEncounters, Geography, load_regions
from borderwatch.stats.tables import Rendered, monthly_table, rcmp_table

__all__ = [
    "DIMENSIONS",
    "CaseStoreEncounters",
    "CbpData",
    "Comparison",
    "Counts",
    "Demographic",
    "DuckDbEngine",
    "EncounterRow",
    "EncounterSource",
    "Encounters",
    "Geography",
    "Period",
    "ReleaseCalendar",
    "Rendered",
    "Report",
    "RowEncounters",
    "build_report",
    "comparisons",
    "demographics",
    "export_cbp",
    "fiscal_year",
    "load_regions",
    "monthly_table",
    "published",
    "query",
    "rcmp_table",
    "read_cbp_csv",
    "render_html",
    "sentence",
    "show",
    "write_atomic",
]
