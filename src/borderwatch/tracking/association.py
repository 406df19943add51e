"""Global nearest neighbour assignment: the cheapest one-to-one pairing inside the gates.

The gated pairs form a sparse bipartite graph. Pairs alone in their row and column are
taken directly. The rest is solved exactly: small conflicts with the dense Jonker-Volgenant
solver (``scipy.optimize.linear_sum_assignment``) on a padded matrix, large ones in one
call to its sparse counterpart
(``scipy.sparse.csgraph.min_weight_full_bipartite_matching``; Crouse, IEEE TAES 52(4), 2016)
on the graph augmented so that a full matching always exists: every track has a private
"missed" node and every detection a private "clutter" node (cost ``miss_cost`` each), and
the two private nodes of a gated pair are joined at no cost. Minimising that is the same
as the textbook padded assignment matrix, without ever building it densely.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from borderwatch.tracking.base import FloatArray, IntArray

_DENSE_LIMIT = 40_000
"""Conflicts up to this many (tracks x detections) cells are solved densely."""


@dataclass(frozen=True, kw_only=True)
class GlobalNearestNeighbour:
    miss_cost: float = 1e4
    """Cost of leaving a gated track or detection unassigned: larger than any gated pair's
    cost (chi-square gate 13.8 plus ln det S), so any gated pair beats no pair."""

    def assign(
        self, track: IntArray, detection: IntArray, cost: FloatArray
    ) -> tuple[IntArray, IntArray]:
        if len(track) <= 1:
            return track, detection
        lonely = (np.bincount(track)[track] == 1) & (np.bincount(detection)[detection] == 1)
        if lonely.all():
            return track, detection
        rest = np.flatnonzero(~lonely)
        tracks, t_index = np.unique(track[rest], return_inverse=True)
        dets, d_index = np.unique(detection[rest], return_inverse=True)
        n_t, n_d, n_p = len(tracks), len(dets), len(rest)
        if n_t * n_d <= _DENSE_LIMIT:
            # Small conflicts: the dense padded matrix is cheaper than building a graph.
            matrix = np.full((n_t, n_d), self.miss_cost)
            matrix[t_index, d_index] = cost[rest]
            rows, cols = linear_sum_assignment(matrix)
            real = matrix[rows, cols] < self.miss_cost
            return (
                np.concatenate([track[lonely], tracks[rows[real]]]),
                np.concatenate([detection[lonely], dets[cols[real]]]),
            )
        # Rows: tracks, then one clutter row per detection. Columns: detections, then one
        # missed column per track. Costs are shifted to be > 0 (sparse zeros are "no edge");
        # every full matching has n_t + n_d edges, so the shift does not change the optimum.
        shift = 1.0 - min(0.0, float(cost[rest].min()))
        rows = np.concatenate([t_index, np.arange(n_t), n_t + d_index, n_t + np.arange(n_d)])
        cols = np.concatenate([d_index, n_d + np.arange(n_t), n_d + t_index, np.arange(n_d)])
        weights = np.concatenate(
            [
                cost[rest] + shift,
                np.full(n_t, self.miss_cost + shift),
                np.full(n_p, shift),
                np.full(n_d, self.miss_cost + shift),
            ]
        )
        graph = csr_matrix((weights, (rows, cols)), shape=(n_t + n_d, n_d + n_t))
        row, col = min_weight_full_bipartite_matching(graph)
        real = (row < n_t) & (col < n_d)
        return (
            np.concatenate([track[lonely], tracks[row[real]]]),
            np.concatenate([detection[lonely], dets[col[real]]]),
        )
