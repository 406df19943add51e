"""The group head-count score (sim/evaluation/tracker_quality.py) counts a lost group as a
miss: without a recall term, a tracker that lost a group outright scored as well as one
that kept it (issue 18)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from borderwatch.sim.evaluation.tracker_quality import head_count_quality
from borderwatch.sim.target_strip import Strip, StripScan, StripSpec

GROUP = 5


@pytest.fixture(scope="module")
def scans() -> list[StripScan]:
    # Two files of five people, no clutter, seed fixed: 60 scans, the first 20 not scored.
    return list(Strip(StripSpec(targets=2 * GROUP, group_share=1.0, clutter=0, seed=5)).scans(60))


def _without_first_group_from(scans: list[StripScan], start: int) -> list[StripScan]:
    """The sensor stops seeing the first group (people 0-4) from scan ``start`` on; the
    truth still has them walking."""
    out = []
    for i, scan in enumerate(scans):
        if i < start:
            out.append(scan)
            continue
        keep = ~np.isin(scan.truth_id, np.arange(GROUP))
        out.append(
            dataclasses.replace(
                scan,
                east_m=scan.east_m[keep],
                north_m=scan.north_m[keep],
                truth_id=scan.truth_id[keep],
            )
        )
    return out


def test_both_groups_kept_score_high(scans: list[StripScan]) -> None:
    score = head_count_quality(scans, GROUP)
    assert score.group_seconds == 2 * 40
    assert score.group_recall >= 0.95, score
    assert score.within_one >= 0.9, score


def test_a_lost_group_lowers_the_score(scans: list[StripScan]) -> None:
    kept = head_count_quality(scans, GROUP)
    lost = head_count_quality(_without_first_group_from(scans, 30), GROUP)
    # Group 0 is unseen for the last 30 of the 40 scored seconds: its track ends within
    # seconds, and every second after that is a miss.
    assert lost.missed_group_seconds >= 20, lost
    assert lost.group_recall <= 0.75, lost
    assert lost.within_one <= kept.within_one - 0.2, (lost, kept)
