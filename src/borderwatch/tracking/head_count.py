"""Head counts from recent counts: the estimate (a high quantile, since sensors miss
people far more often than they invent them) and its plausible range.

Pure functions over windows of recent counts (rows: tracks or groups; NaN where no count
yet), used by the tracker for each track and by the group tracker for each group. A
sensor that states its own range (the wire's ``count_low``, ``count_high``) widens the
range to hold it; the estimate never depends on it.
"""

from __future__ import annotations

import numpy as np

from borderwatch.tracking.base import FloatArray, IntArray

RANGE_LOW_QUANTILE = 0.5
"""The low end of a head count's range: the median of the recent counts (sensors miss
people far more often than they invent them, so the truth is rarely below it)."""
RANGE_HIGH_MARGIN = 1
"""Added above the largest recent count when the counts disagree: a group whose counts
vary is partly hidden in some scans, and may be so in all of them."""


def head_count_range(window: FloatArray, estimate: IntArray) -> tuple[IntArray, IntArray]:
    """Per row of ``window`` (recent counts, NaN where none yet) and its ``estimate``: the
    plausible range (low, high) of the head count, integers with low <= estimate <= high.

    Low is the median of the counts seen (a member seen in most scans is there);
    high is the largest count seen, plus :data:`RANGE_HIGH_MARGIN` when the counts seen
    differ. Counts that agree give a range of width 0 above the estimate's own rounding;
    a row with no counts gives (estimate, estimate). The rule and its margin were chosen
    on the tuning seeds of the crossing suite and field streams; the held-out coverage is
    in docs/tracking.md.
    """
    rows = len(estimate)
    est = np.maximum(estimate.astype(np.intp), 1)
    if rows == 0:
        return est.copy(), est.copy()
    seen = ~np.isnan(window)
    n_seen = seen.sum(axis=1)
    ordered = np.sort(np.where(seen, window, np.inf), axis=1)  # the counts seen come first
    last = np.maximum(n_seen - 1, 0)
    at = np.arange(rows)
    bottom, top = np.rint(ordered[:, 0]), np.rint(ordered[at, last])
    low_q = ordered[at, np.floor(RANGE_LOW_QUANTILE * last).astype(np.intp)]
    any_seen = n_seen > 0
    margin = np.where(top != bottom, RANGE_HIGH_MARGIN, 0)
    low = np.where(any_seen, np.clip(np.floor(np.where(any_seen, low_q, 1.0)), 1, est), est)
    high = np.where(any_seen, np.maximum(np.where(any_seen, top, 1.0) + margin, est), est)
    return low.astype(np.intp), high.astype(np.intp)


def stated_range(lows: FloatArray, highs: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per row of ``lows`` and ``highs`` (recent ranges the sensors stated themselves,
    ``count_low`` and ``count_high``; NaN where a report gave none): the median of the
    stated lows (the lower median, as :func:`head_count_range`'s) and the largest stated
    high; NaN where the window holds none."""
    rows = len(lows)
    if rows == 0:
        return np.empty(0), np.empty(0)
    seen = ~np.isnan(lows)
    n_seen = seen.sum(axis=1)
    ordered = np.sort(np.where(seen, lows, np.inf), axis=1)
    median = ordered[np.arange(rows), np.floor(0.5 * np.maximum(n_seen - 1, 0)).astype(np.intp)]
    top = np.where(np.isnan(highs), -np.inf, highs).max(axis=1)
    return np.where(n_seen > 0, median, np.nan), np.where(np.isfinite(top), top, np.nan)


def widen_to_stated(
    low: IntArray, high: IntArray, stated_low: FloatArray, stated_high: FloatArray
) -> tuple[IntArray, IntArray]:
    """A range (:func:`head_count_range`) widened to hold what the sensors stated
    (:func:`stated_range`): low the smaller of the two lows, high the larger of the two
    highs. A row whose sensors stated nothing (NaN) keeps its range exactly, and the
    estimate inside it is not touched (it stays within: the range only grows)."""
    low_s = np.where(np.isnan(stated_low), low, np.maximum(np.floor(stated_low), 1.0))
    high_s = np.where(np.isnan(stated_high), high, np.ceil(stated_high))
    return (np.minimum(low, low_s).astype(np.intp),
            np.maximum(high, high_s).astype(np.intp))


def recent_quantile(window: FloatArray, quantile: float) -> tuple[FloatArray, FloatArray]:
    """Per row of ``window`` (recent values, NaN where none yet): the ``quantile`` of the
    values seen (1.0 for a row with none) and their spread (1 sigma). Head counts lean
    high on purpose: sensors miss hidden members more often than they invent extra ones."""
    rows, width = window.shape
    if rows == 0:
        return np.empty(0), np.empty(0)
    seen = ~np.isnan(window)
    n_seen = np.maximum(seen.sum(axis=1), 1)
    ordered = np.sort(np.where(seen, window, -np.inf), axis=1)
    pick = width - n_seen + np.floor(quantile * (n_seen - 1)).astype(np.intp)
    value = ordered[np.arange(rows), pick]
    mean = np.where(seen, window, 0).sum(axis=1) / n_seen
    spread = np.sqrt(np.where(seen, (window - mean[:, None]) ** 2, 0).sum(axis=1) / n_seen)
    return np.where(np.isfinite(value), value, 1.0), spread
