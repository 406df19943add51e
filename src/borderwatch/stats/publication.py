"""Publication rules and the release calendar: what may leave the building, and when.

The rules are IRCC's for the RCMP interception tables (docs/references.md, "Public statistics"):

- counts of 0 to 5 are suppressed and shown as ``--`` (small counts could identify people);
- other counts are rounded to the nearest 5;
- totals are computed from the unrounded data and then rounded (so a published total need
  not equal the sum of the published cells).

A month is published only on or after its release date (the calendar), so a publishable
table never shows a month before the agency would.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Final

import yaml

from borderwatch.domain import InputError
from borderwatch.stats.periods import month_label, parse_month, year_month

SUPPRESSED: Final = "--"
"""How a suppressed count is shown."""
SUPPRESS_AT_MOST: Final = 5
"""Counts from 0 up to this are suppressed."""
ROUND_TO: Final = 5
"""Other counts are rounded to the nearest multiple of this (the words of these rules, in
English and French, are ``rules_note`` in stats/i18n.py)."""


def published(count: int) -> int | None:
    """The publishable value of a count: None when suppressed, else rounded to the nearest 5.

    No integer lies halfway between two multiples of 5, so "nearest" needs no tie rule.

    >>> [published(n) for n in (0, 5, 6, 7, 8, 9, 12, 13, 23721)]
    [None, None, 5, 5, 10, 10, 10, 15, 23720]
    """
    if count < 0:
        raise ValueError(f"a count cannot be negative, got {count}")
    if count <= SUPPRESS_AT_MOST:
        return None
    return ROUND_TO * ((count + ROUND_TO // 2) // ROUND_TO)


def show(count: int) -> str:
    """The publishable value as printed: ``--`` or the rounded number.

    >>> show(3), show(9), show(0)
    ('--', '10', '--')
    """
    value = published(count)
    return SUPPRESSED if value is None else str(value)


@dataclass(frozen=True)
class ReleaseCalendar:
    """When each month's figures are released.

    A month's release date is the day ``default_lag_days`` after its last day, unless
    ``releases`` names another date for it.
    """

    default_lag_days: int
    releases: dict[int, date] = field(default_factory=dict)
    """Month index -> release date, for months that differ from the default."""
    source: str = "bundled release_calendar.yaml"

    @classmethod
    def bundled(cls) -> ReleaseCalendar:
        text = resources.files("borderwatch.stats").joinpath("data/release_calendar.yaml")
        return cls.from_dict(yaml.safe_load(text.read_text("utf-8")))

    @classmethod
    def load(cls, path: Path) -> ReleaseCalendar:
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except (OSError, yaml.YAMLError) as err:
            raise InputError(
                None, f"cannot read the release calendar: {err}", source=str(path)
            ) from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "release calendar") -> ReleaseCalendar:
        """The calendar from its parsed YAML: ``default_lag_days`` and the known
        ``releases`` (month and date). Raises :class:`InputError` for a bad lag, a bad
        entry, or a release dated before its month is over."""
        if not isinstance(data, dict):
            raise InputError(None, "must be a mapping with default_lag_days", source=source)
        lag = data.get("default_lag_days")
        if not isinstance(lag, int) or isinstance(lag, bool) or lag < 0:
            raise InputError(
                "default_lag_days", f"must be a whole number >= 0, got {lag!r}", source=source
            )
        releases: dict[int, date] = {}
        for n, entry in enumerate(data.get("releases") or [], start=1):
            where = f"releases[{n}]"
            if not isinstance(entry, dict) or {"month", "date"} - set(entry):
                raise InputError(where, "must have month and date", source=source)
            try:
                month = parse_month(str(entry["month"]), field=f"{where}.month")
            except InputError as err:
                raise err.at(source=source) from None
            try:
                day = date.fromisoformat(str(entry["date"]))
            except ValueError:
                raise InputError(
                    f"{where}.date", f"must be YYYY-MM-DD, got {entry['date']!r}", source=source
                ) from None
            if day <= _last_day(month):
                raise InputError(
                    f"{where}.date",
                    f"{day} is not after the end of {month_label(month)}: a month cannot be "
                    "released before it is over",
                    source=source,
                )
            releases[month] = day
        return cls(lag, releases, source)

    def release_date(self, month: int) -> date:
        """When ``month`` is released.

        >>> ReleaseCalendar(21).release_date(parse_month("2025-02"))
        datetime.date(2025, 3, 21)
        """
        return self.releases.get(month) or _last_day(month) + timedelta(days=self.default_lag_days)

    def is_released(self, month: int, as_of: date) -> bool:
        return as_of >= self.release_date(month)


def _last_day(month: int) -> date:
    year, m = year_month(month)
    return date(year, m, _calendar.monthrange(year, m)[1])
