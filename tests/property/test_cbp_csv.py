"""CBP Nationwide Encounters CSV (stats/cbp.py), for any text, any header and any cell in
the published samples: the checked data or an InputError naming the line (and column)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.domain import InputError
from borderwatch.stats.cbp import CbpData, parse_cbp_csv
from tests.property.strategies import EDGE_NUMBERS, EDGE_TEXT, PROPERTY, parsed_or_refused

DATA = Path(__file__).parents[1] / "data"
SAMPLES = {
    name: (DATA / f"cbp-nationwide-encounters-{name}-sample.csv").read_text("utf-8")
    for name in ("aor", "state")
}
CELL = st.one_of(
    EDGE_TEXT,
    EDGE_NUMBERS.map(str),
    st.text(max_size=12),
    st.sampled_from(
        ["9" * 20, "9" * 5000, "1,000,000", "2024 (FYTD)", "١٢٣٤", "MEXICO", "mexico", ""]
    ),
)


def _check(data: CbpData | None) -> None:
    if data is None:
        return
    assert len(data) == len(data.counts) and (data.counts >= 0).all()
    assert data.total == sum(int(c) for c in data.counts)
    for column in data.values.values():
        assert len(column) == len(data)


@PROPERTY
@given(st.text(max_size=400) | st.binary(max_size=400).map(lambda b: b.decode("latin-1")))
def test_any_text_is_cbp_data_or_refused(text: str) -> None:
    _check(parsed_or_refused(parse_cbp_csv, text))


@PROPERTY
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_a_sample_with_one_cell_replaced_is_cbp_data_or_refused_by_line(
    name: str, data: st.DataObject
) -> None:
    rows = list(csv.reader(io.StringIO(SAMPLES[name])))
    i = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.integers(0, len(rows[i])))  # one past the end: a cell added
    cell = data.draw(CELL)
    if j == len(rows[i]):
        rows[i].append(cell)
    else:
        rows[i][j] = cell
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    _check(parsed_or_refused(parse_cbp_csv, out.getvalue(), needs_line=True))


@PROPERTY
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_a_sample_with_lines_shuffled_or_cut_is_cbp_data_or_refused(
    name: str, data: st.DataObject
) -> None:
    lines = SAMPLES[name].splitlines(keepends=True)
    kept = data.draw(st.lists(st.sampled_from(lines), max_size=len(lines) + 2))
    text = "".join(kept)
    cut = data.draw(st.integers(0, len(text)))
    _check(parsed_or_refused(parse_cbp_csv, text[:cut]))


def test_the_samples_are_valid() -> None:
    for text in SAMPLES.values():
        assert len(parse_cbp_csv(text)) > 0


# Found by these tests: each was a traceback (csv.Error, OverflowError, ValueError) or a
# silent acceptance before the fix in stats/cbp.py.
def _sample_with(column: str, value: str) -> str:
    rows = list(csv.reader(io.StringIO(SAMPLES["aor"])))
    rows[1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (SAMPLES["aor"].replace("\n", "\r", 2).replace("\r", "\n", 1), None),  # a lone CR
        (_sample_with("Area of Responsibility", "x" * 200_000), None),  # past csv's limit
        (_sample_with("Encounter Count", "9" * 20), "Encounter Count"),  # past int64
        (_sample_with("Encounter Count", "9" * 5000), "Encounter Count"),  # past int()
        (_sample_with("Encounter Count", "١٢"), "Encounter Count"),  # Arabic-Indic digits
        (_sample_with("Fiscal Year", "٢٠٢٤"), "Fiscal Year"),
    ],
    ids=[
        "lone-cr",
        "huge-field",
        "count-past-int64",
        "count-of-5000-digits",
        "count-in-other-digits",
        "year-in-other-digits",
    ],
)
def test_a_bad_cbp_file_is_refused_by_line(text: str, field: str | None) -> None:
    with pytest.raises(InputError) as err:
        parse_cbp_csv(text)
    assert err.value.line is not None and err.value.field == field
