"""Crossing quality on fixed seed splits: tuning and held-out, for the crossing suite and
the field streams (two independently designed generators).

Settings of the crossing and approach rules are chosen on :data:`TUNING` only; the
:data:`HELD_OUT` seeds report them (bench/crossings.py ``--split``). Every stream is
simulated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from borderwatch.domain import Incident
from borderwatch.geo import Boundary
from borderwatch.pipeline import Pipeline, build_pipeline
from borderwatch.sim.crossing_suite import (
    CrossingSuite,
    CrossingSuiteSpec,
    SuiteScore,
    generate,
    score,
)
from borderwatch.sim.field_streams import (
    DIAGNOSTIC_SEEDS,
    HELD_OUT_SEEDS,
    TUNING_SEEDS,
    FieldStream,
    FieldStreamSpec,
    generate_field_stream,
)
from borderwatch.tracking.tracker import TrackBatch
from borderwatch.watch import (
    ApproachRule,
    CrossingRule,
    CrossingSettings,
    IncidentFactory,
    RiskModel,
    Watch,
)

SUITE_SEEDS = {"tuning": (1, 2), "held-out": (31, 32)}
"""Crossing suite seeds: 1 and 2 are the metrics baseline's, long used in development."""
FIELD_SEEDS = {"tuning": TUNING_SEEDS, "held-out": HELD_OUT_SEEDS, "diagnostic": DIAGNOSTIC_SEEDS}
"""Field stream seeds; "diagnostic" has no suite counterpart (bench/diagnose_field.py)."""


@dataclass(frozen=True)
class SplitFigures:
    generator: str
    split: str
    seeds: tuple[int, ...]
    crossings: int
    found: int
    duplicates: int
    false_crossings: int
    false_near_road: int
    approach_duplicates: int
    approach_share: float
    latencies_s: tuple[float, ...]
    evidence_latencies_s: tuple[float, ...]
    """Latency from the later of the true crossing and the group's first report after it
    (SuiteScore.evidence_latencies_s)."""
    head_counts: tuple[tuple[int, int, int, int], ...] = ()
    """(true size, counted, range low, range high) of each found crossing (SuiteScore)."""
    head_counts_revised: tuple[tuple[int, int, int, int], ...] = ()
    """... as last revised within a minute of the raise (SuiteScore.head_counts_revised)."""

    @property
    def head_count_within_one_revised(self) -> float:
        """:attr:`head_count_within_one` as last revised within a minute of the raise."""
        return _within_one(self.head_counts_revised)

    @property
    def range_covered_revised(self) -> float:
        return _covered(self.head_counts_revised)

    @property
    def head_count_within_one(self) -> float:
        """Share of found crossings whose incident counted the group within one person."""
        return _within_one(self.head_counts)

    @property
    def range_covered(self) -> float:
        """Share of found crossings whose incident's head count range held the true size."""
        return _covered(self.head_counts)

    @property
    def recall(self) -> float:
        return self.found / self.crossings if self.crossings else float("nan")

    def latency(self, q: float) -> float:
        return float(np.percentile(self.latencies_s, q)) if self.latencies_s else float("nan")

    def evidence_latency(self, q: float) -> float:
        values = self.evidence_latencies_s
        return float(np.percentile(values, q)) if values else float("nan")


def _within_one(rows: tuple[tuple[int, int, int, int], ...]) -> float:
    return sum(abs(c - t) <= 1 for t, c, _, _ in rows) / len(rows) if rows else float("nan")


def _covered(rows: tuple[tuple[int, int, int, int], ...]) -> float:
    return sum(lo <= t <= hi for t, _, lo, hi in rows) / len(rows) if rows else float("nan")


def _add(
    scores: list[SuiteScore], generator: str, split: str, seeds: tuple[int, ...]
) -> SplitFigures:
    crossings = sum(s.crossings for s in scores)
    return SplitFigures(
        generator=generator,
        split=split,
        seeds=seeds,
        crossings=crossings,
        found=sum(s.found for s in scores),
        duplicates=sum(s.duplicates for s in scores),
        false_crossings=sum(s.false_crossings for s in scores),
        false_near_road=sum(s.false_near_road for s in scores),
        approach_duplicates=sum(s.approach_duplicates for s in scores),
        approach_share=(
            sum(s.approach_warned for s in scores) / crossings if crossings else float("nan")
        ),
        latencies_s=tuple(x for s in scores for x in s.latencies_s),
        evidence_latencies_s=tuple(x for s in scores for x in s.evidence_latencies_s),
        head_counts=tuple(x for s in scores for x in s.head_counts),
        head_counts_revised=tuple(x for s in scores for x in s.head_counts_revised),
    )


PipelineFactory = Callable[[Boundary], Pipeline]


def _default_pipeline(boundary: Boundary) -> Pipeline:
    return build_pipeline(boundary, route=False)


def measure_split(
    generator: str,
    split: str,
    *,
    hours: float = 1.0,
    make_pipeline: PipelineFactory = _default_pipeline,
    on_seed: Callable[[int], None] | None = None,
) -> SplitFigures:
    """Run every seed of ``split`` ("tuning" or "held-out") of ``generator`` ("suite" or
    "field") for ``hours`` each through a fresh pipeline, and add up the scores.
    ``on_seed(seed)`` is called after each seed (a progress bar)."""
    if generator not in ("suite", "field"):
        raise ValueError(f"generator must be suite or field, got {generator!r}")
    boundary = Boundary.bundled()
    table = SUITE_SEEDS if generator == "suite" else FIELD_SEEDS
    if split not in table:
        raise ValueError(f"split must be one of {sorted(table)}, got {split!r}")
    seeds = tuple(table[split])
    scores = []
    for seed in seeds:
        stream = (
            generate(CrossingSuiteSpec(hours=hours, seed=seed))
            if generator == "suite"
            else generate_field_stream(FieldStreamSpec(hours=hours, seed=seed))
        )
        pipeline = make_pipeline(boundary)
        incidents: list[Incident] = pipeline.feed_all(stream.detections)
        scores.append(score(stream, list(incidents), pipeline.revisions))
        if on_seed is not None:
            on_seed(seed)
    return _add(scores, generator, split, seeds)


def seeds_of(generator: str, split: str) -> tuple[int, ...]:
    """The fixed seeds of one split of one generator."""
    return tuple((SUITE_SEEDS if generator == "suite" else FIELD_SEEDS)[split])


def _seeds_text(seeds: tuple[int, ...]) -> str:
    """``1101-1104`` for a run of consecutive seeds, else ``31, 32`` (a pair stays a list).

    >>> _seeds_text((1101, 1102, 1103, 1104)), _seeds_text((1, 2)), _seeds_text((5, 9, 10))
    ('1101-1104', '1, 2', '5, 9, 10')
    """
    if len(seeds) > 2 and list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def side_by_side(figures: list[SplitFigures]) -> tuple[list[str], list[list[str]]]:
    """A table of ``figures`` with one column per generator and split, in the order given
    (tuning beside held-out), one row per measure; the seeds of each column are a row.
    Returns the header (first cell: "measure") and the rows, as text."""
    header = ["measure", *(f"{f.generator} / {f.split}" for f in figures)]

    def row(name: str, cell: Callable[[SplitFigures], str]) -> list[str]:
        return [name, *(cell(f) for f in figures)]

    def ms(value: float) -> str:
        return "n/a" if np.isnan(value) else f"{value:.1f} s"

    def share(value: float) -> str:
        return "n/a" if np.isnan(value) else f"{value:.1%}"

    rows = [
        row("seeds", lambda f: _seeds_text(f.seeds)),
        row("true crossings", lambda f: str(f.crossings)),
        row("found", lambda f: str(f.found)),
        row("recall", lambda f: "n/a" if np.isnan(f.recall) else f"{f.recall:.3f}"),
        row("false crossings (Border Road)", lambda f: f"{f.false_crossings} "
                                                       f"({f.false_near_road})"),
        row("duplicate crossings", lambda f: str(f.duplicates)),
        row("latency p50", lambda f: ms(f.latency(50))),
        row("latency p95", lambda f: ms(f.latency(95))),
        row("from first report after the line, p50", lambda f: ms(f.evidence_latency(50))),
        row("from first report after the line, p95", lambda f: ms(f.evidence_latency(95))),
        row("approach warnings before the line", lambda f: (
            "n/a" if np.isnan(f.approach_share) else f"{f.approach_share:.1%}")),
        row("head count within one", lambda f: share(f.head_count_within_one)),
        row("head count range holds the truth", lambda f: share(f.range_covered)),
        row("head count within one, as revised within 60 s",
            lambda f: share(f.head_count_within_one_revised)),
        row("head count range holds the truth, as revised within 60 s",
            lambda f: share(f.range_covered_revised)),
    ]  # fmt: skip
    return header, rows


def as_json(figures: SplitFigures) -> dict[str, object]:
    """One split's figures as plain values (JSON); ``simulated`` is always true."""

    def num(value: float, digits: int) -> float | None:
        return None if np.isnan(value) else round(value, digits)

    return {
        "generator": figures.generator,
        "split": figures.split,
        "seeds": list(figures.seeds),
        "simulated": True,
        "true_crossings": figures.crossings,
        "found": figures.found,
        "recall": num(figures.recall, 4),
        "false_crossings": figures.false_crossings,
        "false_near_road": figures.false_near_road,
        "duplicates": figures.duplicates,
        "latency_p50_s": num(figures.latency(50), 1),
        "latency_p95_s": num(figures.latency(95), 1),
        "evidence_latency_p50_s": num(figures.evidence_latency(50), 1),
        "evidence_latency_p95_s": num(figures.evidence_latency(95), 1),
        "approach_share": num(figures.approach_share, 3),
        "head_count_within_one": num(figures.head_count_within_one, 3),
        "head_count_range_covered": num(figures.range_covered, 3),
        "head_count_within_one_revised": num(figures.head_count_within_one_revised, 3),
        "head_count_range_covered_revised": num(figures.range_covered_revised, 3),
    }


Stream = CrossingSuite | FieldStream


def recorded_streams(split: str, *, hours: float = 1.0) -> list[tuple[Stream, list[TrackBatch]]]:
    """Each stream of ``split`` (both generators) with the group-track batches the pipeline
    made of it: the watch rules do not change what the tracker does, so settings of the
    rules can be compared by replaying these batches (bench/tune_crossings.py)."""
    boundary = Boundary.bundled()
    out: list[tuple[Stream, list[TrackBatch]]] = []
    streams: list[Stream] = [
        generate(CrossingSuiteSpec(hours=hours, seed=seed)) for seed in SUITE_SEEDS.get(split, ())
    ] + [
        generate_field_stream(FieldStreamSpec(hours=hours, seed=seed))
        for seed in FIELD_SEEDS[split]
    ]
    for stream in streams:
        batches: list[TrackBatch] = []
        pipeline = build_pipeline(boundary, route=False, track_listeners=[batches.append])
        pipeline.feed_all(stream.detections)
        out.append((stream, batches))
    return out


def replay(
    boundary: Boundary, batches: list[TrackBatch], crossing: CrossingSettings
) -> list[Incident]:
    """The incidents the default watch, with ``crossing`` settings, raises on ``batches``."""
    factory = IncidentFactory(boundary, RiskModel())
    watch = Watch(
        boundary, [CrossingRule(boundary, factory, crossing), ApproachRule(boundary, factory)]
    )
    return [i for batch in batches for i in watch.observe(batch)]
