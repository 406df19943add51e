"""The statistics stage's contract: person-encounter rows in, counts out.

A *person-encounter* is one person in one interception: nine people met together are nine
encounters, as CBP counts "the number of individuals encountered" and the RCMP tables count
people intercepted. Every statistic is a count of such rows grouped by some of their
dimensions and by month.

:class:`EncounterSource` is the one-method contract that yields the rows column by column
(:class:`Encounters`), so the analytical engine can aggregate them without a Python loop.
:class:`RowEncounters` is its official fake (rows given by hand); the real source reads a
:class:`borderwatch.cases.base.CaseStore` (:mod:`borderwatch.stats.rows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from borderwatch.domain import InputError

DIMENSIONS: Final = (
    "country",
    "region",
    "segment",
    "rcmp_division",
    "usbp_sector",
    "unit",
    "agency",
    "direction",
    "citizenship",
    "demographic",
    "entry_kind",
)
"""What a count can be grouped or filtered by (besides the month)."""

UNKNOWN: Final = "unknown"
"""The label of a dimension whose value the records do not give."""


@dataclass(frozen=True, slots=True)
class EncounterRow:
    """One person in one interception, as the statistics see them."""

    month: int
    """Month index (:func:`borderwatch.stats.periods.month_index`) of the local date."""
    country: str
    region: str
    segment: str
    rcmp_division: str
    usbp_sector: str
    unit: str
    agency: str
    direction: str
    citizenship: str
    demographic: str
    entry_kind: str
    simulated: bool
    """The record comes from a simulation or a demo; every output then says so."""
    demographic_assumed: bool = False
    """The demographic rests on relations the case marks as assumed."""


@dataclass(frozen=True)
class Encounters:
    """Person-encounter rows column by column: what the engine aggregates.

    Each dimension is a small-integer code array with its labels, so ten million rows fit
    in ~300 MB and group in one pass.
    """

    month: NDArray[np.int32]
    codes: Mapping[str, NDArray[np.int16]]
    """Per dimension of :data:`DIMENSIONS`, the code of each row's label."""
    labels: Mapping[str, tuple[str, ...]]
    """Per dimension, code -> label."""
    simulated: NDArray[np.bool_]
    demographic_assumed: NDArray[np.bool_]

    def __post_init__(self) -> None:
        n = len(self.month)
        for name in DIMENSIONS:
            if name not in self.codes or name not in self.labels:
                raise ValueError(f"encounters lack the dimension {name!r}")
            if len(self.codes[name]) != n:
                raise ValueError(f"dimension {name!r} has {len(self.codes[name])} rows, not {n}")
        if len(self.simulated) != n or len(self.demographic_assumed) != n:
            raise ValueError("flag columns must have one value per row")

    def __len__(self) -> int:
        return len(self.month)

    @property
    def any_simulated(self) -> bool:
        return bool(self.simulated.any())

    @property
    def all_simulated(self) -> bool:
        return len(self) > 0 and bool(self.simulated.all())

    @classmethod
    def from_rows(cls, rows: Iterable[EncounterRow]) -> Encounters:
        rows = list(rows)
        labels: dict[str, tuple[str, ...]] = {}
        codes: dict[str, NDArray[np.int16]] = {}
        for name in DIMENSIONS:
            values = [getattr(r, name) for r in rows]
            vocabulary = tuple(sorted(set(values)))
            index = {label: code for code, label in enumerate(vocabulary)}
            labels[name] = vocabulary
            codes[name] = np.fromiter((index[v] for v in values), np.int16, len(values))
        return cls(
            month=np.fromiter((r.month for r in rows), np.int32, len(rows)),
            codes=codes,
            labels=labels,
            simulated=np.fromiter((r.simulated for r in rows), np.bool_, len(rows)),
            demographic_assumed=np.fromiter(
                (r.demographic_assumed for r in rows), np.bool_, len(rows)
            ),
        )

    def rows(self) -> list[EncounterRow]:
        """Back to rows (for small data: tests, exports)."""
        out = []
        for i in range(len(self)):
            values = {n: self.labels[n][int(self.codes[n][i])] for n in DIMENSIONS}
            out.append(
                EncounterRow(
                    month=int(self.month[i]),
                    simulated=bool(self.simulated[i]),
                    demographic_assumed=bool(self.demographic_assumed[i]),
                    **values,
                )
            )
        return out


def check_dimensions(names: Sequence[str], *, field: str = "--by") -> tuple[str, ...]:
    """The names, or an :class:`InputError` listing the dimensions there are."""
    for name in names:
        if name not in DIMENSIONS:
            raise InputError(field, f"unknown dimension {name!r}; one of {', '.join(DIMENSIONS)}")
    if len(set(names)) != len(names):
        raise InputError(field, f"a dimension is repeated in {list(names)}")
    return tuple(names)


class EncounterSource(Protocol):
    """Gives the person-encounter rows to count."""

    def encounters(self) -> Encounters:
        """Every person-encounter row the source holds."""


class RowEncounters:
    """The official fake :class:`EncounterSource`: rows given by hand."""

    def __init__(self, rows: Iterable[EncounterRow]) -> None:
        self._rows = list(rows)

    def encounters(self) -> Encounters:
        return Encounters.from_rows(self._rows)
