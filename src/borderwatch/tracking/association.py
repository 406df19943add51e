"""Global nearest neighbour assignment: the cheapest one-to-one pairing inside the gates.

The gated pairs form a sparse bipartite graph. Pairs that are alone in their connected
component are taken directly; each remaining component is solved exactly with the
Jonker-Volgenant algorithm (``scipy.optimize.linear_sum_assignment``) on a matrix padded so
that leaving a track or a detection unassigned costs ``miss_cost``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from borderwatch.tracking.base import FloatArray, IntArray


@dataclass(frozen=True, kw_only=True)
class GlobalNearestNeighbour:
    miss_cost: float = 1e6
    """Cost of leaving a gated pair unassigned; large, so any gated pair beats no pair."""

    def assign(
        self, track: IntArray, detection: IntArray, cost: FloatArray
    ) -> tuple[IntArray, IntArray]:
        if len(track) <= 1:
            return track, detection
        lonely = (np.bincount(track)[track] == 1) & (np.bincount(detection)[detection] == 1)
        if lonely.all():
            return track, detection
        out_t = [track[lonely]]
        out_d = [detection[lonely]]
        rest = np.nonzero(~lonely)[0]
        tracks, t_index = np.unique(track, return_inverse=True)
        dets, d_index = np.unique(detection, return_inverse=True)
        n_t, n_d = len(tracks), len(dets)
        if len(rest):
            graph = coo_matrix(
                (np.ones(len(rest)), (t_index[rest], n_t + d_index[rest])),
                shape=(n_t + n_d, n_t + n_d),
            )
            _, label = connected_components(graph, directed=False)
            pair_label = label[t_index[rest]]
            order = np.argsort(pair_label, kind="stable")
            bounds = np.flatnonzero(np.diff(pair_label[order])) + 1
            for group in np.split(rest[order], bounds):
                g_t, g_ti = np.unique(t_index[group], return_inverse=True)
                g_d, g_di = np.unique(d_index[group], return_inverse=True)
                matrix = np.full((len(g_t), len(g_d)), self.miss_cost)
                matrix[g_ti, g_di] = cost[group]
                rows, cols = linear_sum_assignment(matrix)
                real = matrix[rows, cols] < self.miss_cost
                out_t.append(tracks[g_t[rows[real]]])
                out_d.append(dets[g_d[cols[real]]])
        return np.concatenate(out_t), np.concatenate(out_d)
