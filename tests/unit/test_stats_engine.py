"""Counting on DuckDB agrees with counting by hand; comparisons become the right sentences."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.domain import InputError
from borderwatch.stats.base import DIMENSIONS, EncounterRow, Encounters, RowEncounters
from borderwatch.stats.compare import Comparison, comparisons, sentence
from borderwatch.stats.counting import DuckDbEngine
from borderwatch.stats.periods import Period, month_index

MONTHS = [month_index(2024, 1) + i for i in range(26)]

rows_strategy = st.lists(
    st.builds(
        EncounterRow,
        month=st.sampled_from(MONTHS),
        country=st.sampled_from(["CA", "US"]),
        region=st.sampled_from(["AB", "MT", "QC", "ON"]),
        segment=st.sampled_from(["AB-MT", "SK-ND"]),
        rcmp_division=st.sampled_from(["K", "F"]),
        usbp_sector=st.sampled_from(["HVM", "GFN", "unknown"]),
        unit=st.sampled_from(["RCMP-K-IBET", "USBP-HVM"]),
        agency=st.sampled_from(["RCMP", "USBP"]),
        direction=st.sampled_from(["northbound", "southbound"]),
        citizenship=st.sampled_from(["VE", "CO", "IN", "unknown"]),
        demographic=st.sampled_from(["Single Adults", "FMUA", "UC / Single Minors"]),
        entry_kind=st.sampled_from(["between_ports", "land_port"]),
        simulated=st.booleans(),
        demographic_assumed=st.booleans(),
    ),
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(rows_strategy, st.sampled_from(DIMENSIONS), st.sampled_from(DIMENSIONS))
def test_count_matches_a_hand_count(rows: list[EncounterRow], first: str, second: str) -> None:
    by = [first] if first == second else [first, second]
    period = Period(MONTHS[3], MONTHS[15])
    counts = DuckDbEngine(threads=1).count(
        Encounters.from_rows(rows), by, where={"country": ["ca"]}, period=period
    )
    expected = Counter(
        (tuple(getattr(r, d) for d in by), r.month)
        for r in rows
        if r.country == "CA" and period.first <= r.month <= period.last
    )
    assert dict(counts.cells) == dict(expected)
    kept = [r for r in rows if r.country == "CA" and period.first <= r.month <= period.last]
    assert counts.simulated == any(r.simulated for r in kept)
    assert counts.demographic_assumed == sum(r.demographic_assumed for r in kept)


@settings(max_examples=25, deadline=None)
@given(rows_strategy)
def test_table_set_equals_one_count_per_dimension(rows: list[EncounterRow]) -> None:
    encounters = RowEncounters(rows).encounters()
    engine = DuckDbEngine(threads=1)
    tables = engine.table_set(encounters)
    assert set(tables) == {"total", *DIMENSIONS}
    assert dict(tables["total"].cells) == dict(Counter(((), r.month) for r in rows))
    for name in DIMENSIONS:
        assert dict(tables[name].cells) == dict(engine.count(encounters, [name]).cells), name


def test_round_trip_rows_and_unknown_dimensions() -> None:
    row = EncounterRow(MONTHS[0], "CA", "AB", "AB-MT", "K", "HVM", "RCMP-K-IBET", "RCMP",
                       "northbound", "VE", "FMUA", "between_ports", True, True)  # fmt: skip
    encounters = Encounters.from_rows([row, row])
    assert encounters.rows() == [row, row]
    with pytest.raises(InputError, match="unknown dimension 'sector'"):
        DuckDbEngine().count(encounters, ["sector"])
    with pytest.raises(InputError, match="--where"):
        DuckDbEngine().count(encounters, [], where={"colour": ["red"]})
    # a label nobody has matches nothing (and is not an error)
    assert not DuckDbEngine().count(encounters, ["region"], where={"region": ["ZZ"]}).cells


FEB25 = Period.parse("2025-02")


@pytest.mark.parametrize(
    ("current", "previous", "internal", "publishable"),
    [
        (9, 0, "Alberta: 9 interceptions in February 2025, up from 0 in February 2024.",
         "Alberta: 10 interceptions in February 2025, up from 5 or fewer in February 2024."),
        (3, 12, "Alberta: 3 interceptions in February 2025, down from 12 in February 2024.",
         "Alberta: 5 or fewer interceptions in February 2025, down from 10 in February 2024."),
        (1, 1, "Alberta: 1 interception in February 2025, as many as in February 2024.",
         "Alberta: 5 or fewer interceptions in February 2025, and 5 or fewer in February 2024."),
        (9, 8, "Alberta: 9 interceptions in February 2025, up from 8 in February 2024.",
         "Alberta: about 10 interceptions in February 2025, about as many as in February 2024."),
    ],
)  # fmt: skip
def test_sentences(current: int, previous: int, internal: str, publishable: str) -> None:
    c = Comparison("Alberta", FEB25, current, FEB25.shifted(-12), previous)
    assert sentence(c, "internal") == internal
    assert sentence(c, "publishable") == publishable


def test_comparisons_year_to_date_against_the_previous_year() -> None:
    # The press figure: 20 in Alberta in Jan-Feb 2025 against 7 in all of 2024.
    ab = ("AB",)
    cells = {(ab, month_index(2025, 1)): 11, (ab, month_index(2025, 2)): 9}
    cells.update({(ab, month_index(2024, m)): 1 for m in (1, 3, 5, 7, 8, 10, 12)})
    from borderwatch.stats.counting import Counts

    counts = Counts(by=("region",), cells=cells, simulated=False)
    said = [
        sentence(c, "internal")
        for c in comparisons(counts, Period.parse("2025-01..2025-02"), name=lambda k: "Alberta")
    ]
    assert "Alberta: 20 interceptions Jan–Feb 2025, up from 7 in all of 2024." in said
    assert "Alberta: 20 interceptions Jan–Feb 2025, up from 1 in Jan–Feb 2024." in said
    assert "Alberta: 11 interceptions in January 2025, up from 1 in January 2024." in said
    assert "Alberta: 9 interceptions in February 2025, up from 0 in February 2024." in said
    fiscal = comparisons(counts, Period.parse("2024-10..2025-02"), year_kind="fiscal")
    assert any(c.previous == Period.year(2024, "fiscal") for c in fiscal)


def test_stats_exports_exist_and_sources_keep_the_contract() -> None:
    import borderwatch.stats as stats
    from borderwatch.cases import InMemoryCaseStore
    from borderwatch.stats.base import EncounterSource
    from borderwatch.stats.rows import CaseStoreEncounters

    assert stats.__all__ and all(hasattr(stats, name) for name in stats.__all__)
    for source in (RowEncounters([]), CaseStoreEncounters(InMemoryCaseStore())):
        assert all(hasattr(source, n) for n in EncounterSource.__dict__ if not n.startswith("_"))
        assert len(source.encounters()) == 0
