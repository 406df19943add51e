"""Multi-target tracking metrics: GOSPA and OSPA between estimated and true positions.

* **GOSPA** (Rahmathullah, García-Fernández & Svensson, "Generalized optimal sub-pattern
  assignment metric", FUSION 2017, arXiv:1601.05585), with alpha = 2: the cheapest
  partial assignment of estimates to truths, where an assigned pair costs d^p (only pairs
  closer than the cut-off ``c`` are worth assigning) and every unassigned estimate (a false
  track) or truth (a missed target) costs c^p / 2. The distance is that minimum to the
  power 1/p. It splits into localisation (sum of d^p), missed and false parts, in the same
  d^p units as Stone Soup's ``GOSPAMetric`` reports them.
* **OSPA** (Schuhmacher, Vo & Vo, IEEE Trans. Signal Processing 56(8), 2008): the same
  cut-off distances, the cardinality mismatch charged c^p per missing point, normalised by
  the larger set: ((1/n) (min sum d_c^p + c^p (n - m)))^(1/p). Both sets empty gives 0.

Small problems are solved on the dense cut-off matrix, exactly as Stone Soup does; large
ones (10,000 targets) on the sparse graph of pairs closer than ``c`` (every other pair
costs as much as leaving both unassigned), which gives the same optimum without ever
building a 10,000 x 10,000 matrix. ``tests/unit/test_metrics.py`` checks both paths against
Stone Soup's own metric generators on identical inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

from borderwatch.tracking.base import FloatArray, IntArray

_DENSE_LIMIT = 250_000
"""Up to this many (estimate x truth) cells the dense matrix is used."""


@dataclass(frozen=True)
class Gospa:
    distance: float
    localisation: float
    """Sum of d^p over assigned pairs."""
    missed: float
    """c^p / 2 per missed truth."""
    false: float
    """c^p / 2 per false estimate."""
    assigned: int
    missed_count: int
    false_count: int
    truth_to_estimate: IntArray
    """For each truth, the index of its estimate, or -1."""


def _points(a: FloatArray | list[tuple[float, float]]) -> FloatArray:
    points = np.asarray(a, dtype=float).reshape(-1, 2)
    if not np.isfinite(points).all():
        raise ValueError("positions must be finite")
    return points


def assign_within(
    estimates: FloatArray, truths: FloatArray, c: float, p: float, *, dense: bool | None = None
) -> tuple[IntArray, IntArray, FloatArray]:
    """The GOSPA-optimal pairs (estimate index, truth index, distance), all closer than c.

    Minimises sum over pairs of d^p + c^p/2 per unpaired point of either set.
    """
    n_e, n_t = len(estimates), len(truths)
    none = (np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0))
    if n_e == 0 or n_t == 0:
        return none
    if dense is None:
        dense = n_e * n_t <= _DENSE_LIMIT
    if dense:
        diff = estimates[:, None, :] - truths[None, :, :]
        dist = np.sqrt(np.sum(diff * diff, axis=2))
        cost = np.minimum(dist, c) ** p
        rows, cols = linear_sum_assignment(cost)
        real = dist[rows, cols] < c
        return rows[real].astype(np.intp), cols[real].astype(np.intp), dist[rows, cols][real]
    pairs = cKDTree(estimates).sparse_distance_matrix(
        cKDTree(truths), c, output_type="ndarray"
    )
    pairs = pairs[pairs["v"] < c]
    if len(pairs) == 0:
        return none
    e_idx, t_idx, dist = pairs["i"].astype(np.intp), pairs["j"].astype(np.intp), pairs["v"]
    # Augmented graph (see tracking.association): rows are estimates then one dummy per
    # truth, columns are truths then one dummy per estimate. Estimate->own dummy and
    # dummy->truth cost c^p/2 (left unassigned); dummy->dummy of a close pair costs 0.
    # Weights are shifted by 1 because a sparse zero means "no edge".
    half = c**p / 2.0
    rows = np.concatenate([e_idx, np.arange(n_e), n_e + t_idx, n_e + np.arange(n_t)])
    cols = np.concatenate([t_idx, n_t + np.arange(n_e), n_t + e_idx, np.arange(n_t)])
    weights = np.concatenate(
        [dist**p + 1.0, np.full(n_e, half + 1.0), np.ones(len(e_idx)), np.full(n_t, half + 1.0)]
    )
    graph = csr_matrix((weights, (rows, cols)), shape=(n_e + n_t, n_t + n_e))
    row, col = min_weight_full_bipartite_matching(graph)
    real = (row < n_e) & (col < n_t)
    est, tru = row[real].astype(np.intp), col[real].astype(np.intp)
    d = np.sqrt(np.sum((estimates[est] - truths[tru]) ** 2, axis=1))
    return est, tru, d


def gospa(
    estimates: FloatArray | list[tuple[float, float]],
    truths: FloatArray | list[tuple[float, float]],
    *,
    c: float,
    p: float = 1.0,
    dense: bool | None = None,
) -> Gospa:
    """GOSPA (alpha = 2) between two sets of 2-D positions (rows), cut-off ``c`` metres."""
    if c <= 0 or not 1 <= p < np.inf:
        raise ValueError("GOSPA needs c > 0 and 1 <= p < inf")
    est, tru = _points(estimates), _points(truths)
    e_idx, t_idx, dist = assign_within(est, tru, c, p, dense=dense)
    half = c**p / 2.0
    localisation = float(np.sum(dist**p))
    missed_count = len(tru) - len(t_idx)
    false_count = len(est) - len(e_idx)
    missed, false = half * missed_count, half * false_count
    truth_to_estimate = np.full(len(tru), -1, np.intp)
    truth_to_estimate[t_idx] = e_idx
    return Gospa(
        distance=float((localisation + missed + false) ** (1.0 / p)),
        localisation=localisation,
        missed=missed,
        false=false,
        assigned=len(t_idx),
        missed_count=missed_count,
        false_count=false_count,
        truth_to_estimate=truth_to_estimate,
    )


def ospa(
    estimates: FloatArray | list[tuple[float, float]],
    truths: FloatArray | list[tuple[float, float]],
    *,
    c: float,
    p: float = 1.0,
    dense: bool | None = None,
) -> float:
    """OSPA distance between two sets of 2-D positions (rows), cut-off ``c`` metres."""
    if c <= 0 or not 1 <= p < np.inf:
        raise ValueError("OSPA needs c > 0 and 1 <= p < inf")
    est, tru = _points(estimates), _points(truths)
    n = max(len(est), len(tru))
    if n == 0:
        return 0.0
    # Pairs at or beyond c cost c^p whether assigned or not, so the optimal assignment
    # among pairs closer than c, with c^p for everything left over, is the OSPA optimum.
    _, _, dist = assign_within(est, tru, c, p, dense=dense)
    total = float(np.sum(dist**p)) + c**p * (n - len(dist))
    return float((total / n) ** (1.0 / p))
