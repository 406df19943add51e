"""`borderwatch evaluate splits`: the documented tuning and held-out seeds, side by side.

Small runs only (a few simulated minutes per seed of the crossing suite): the figures are
the bench's business; here the columns, their seeds, the JSON and the errors are checked.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from borderwatch.app.cli.main import app
from borderwatch.domain import InputError
from borderwatch.sim.evaluation.crossing_splits import (
    FIELD_SEEDS,
    SUITE_SEEDS,
    SplitFigures,
    as_json,
    side_by_side,
)


def _figures(generator: str, split: str, seeds: tuple[int, ...], found: int) -> SplitFigures:
    return SplitFigures(
        generator=generator, split=split, seeds=seeds, crossings=10, found=found,
        duplicates=1, false_crossings=2, false_near_road=1, approach_duplicates=0,
        approach_share=0.5, latencies_s=(10.0, 20.0, 30.0), evidence_latencies_s=(5.0,),
    )  # fmt: skip


def test_side_by_side_puts_each_split_in_its_own_column_with_its_seeds() -> None:
    tuning = _figures("field", "tuning", (1101, 1102, 1103, 1104), 9)
    held = _figures("field", "held-out", (2201, 2202, 2203, 2204), 7)
    header, rows = side_by_side([tuning, held])
    assert header == ["measure", "field / tuning", "field / held-out"]
    cells = {r[0]: r[1:] for r in rows}
    assert cells["seeds"] == ["1101-1104", "2201-2204"]
    assert cells["recall"] == ["0.900", "0.700"]
    assert cells["false crossings (Border Road)"] == ["2 (1)", "2 (1)"]
    assert cells["duplicate crossings"] == ["1", "1"]
    assert cells["latency p50"] == ["20.0 s", "20.0 s"]
    assert cells["latency p95"] == ["29.0 s", "29.0 s"]
    document = as_json(held)
    assert document["simulated"] is True and document["seeds"] == [2201, 2202, 2203, 2204]
    assert (document["split"], document["recall"], document["latency_p95_s"]) == (
        "held-out", 0.7, 29.0)  # fmt: skip


def test_evaluate_splits_runs_both_splits_of_the_suite_and_names_their_seeds() -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "splits", "--suite", "crossings", "--hours", "0.05", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["simulated"] is True and document["hours_per_seed"] == 0.05
    got = [(s["generator"], s["split"], tuple(s["seeds"])) for s in document["splits"]]
    assert got == [("suite", "tuning", SUITE_SEEDS["tuning"]),
                   ("suite", "held-out", SUITE_SEEDS["held-out"])]  # fmt: skip
    for split in document["splits"]:
        assert split["simulated"] is True
        assert 0 < split["found"] <= split["true_crossings"]
        assert split["recall"] == round(split["found"] / split["true_crossings"], 4)


def test_evaluate_splits_table_shows_held_out_alone_with_its_seeds() -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "splits", "--suite", "crossings", "--split", "held-out",
              "--hours", "0.05"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "SIMULATED" in text and "held-out" in text and "31, 32" in text
    assert "held-out seeds (SIMULATED" in text
    assert "tuning" not in text.replace("on the tuning seeds only", "")
    assert "recall" in text and "latency p95" in text


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        (["evaluate"], "--incidents", "give --incidents and --truth"),
        (["evaluate", "split"], "MODE", "must be `splits`"),
        (["evaluate", "splits", "--suite", "suite"], "--suite", "crossings, field, both"),
        (["evaluate", "splits", "--split", "heldout"], "--split", "both, tuning, held-out"),
        (["evaluate", "splits", "--hours", "0"], "--hours", "more than 0"),
    ],
)
def test_evaluate_refuses_bad_usage_with_a_reason(args: list[str], field: str, reason: str) -> None:
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, InputError), result.output
    assert f"field {field}:" in str(result.exception) and reason in str(result.exception)


def test_the_field_seeds_are_disjoint() -> None:
    # held out means never tuned on: the two splits share no seed
    assert not set(FIELD_SEEDS["tuning"]) & set(FIELD_SEEDS["held-out"])
    assert not set(SUITE_SEEDS["tuning"]) & set(SUITE_SEEDS["held-out"])
    # the diagnostic streams are traced and adjusted on: neither tuning nor held out
    diagnostic = set(FIELD_SEEDS["diagnostic"])
    assert not diagnostic & (set(FIELD_SEEDS["tuning"]) | set(FIELD_SEEDS["held-out"]))
