"""Global nearest neighbour assignment: the cheapest one-to-one pairing inside the gates.

The gated pairs form a sparse bipartite graph. Pairs alone in their row and column are
taken directly. The rest splits into independent conflicts (connected components of the
graph: a group of people walking together, a sensor's clutter near a track), and each is
solved exactly on its own: small ones with the dense Jonker-Volgenant solver
(``scipy.optimize.linear_sum_assignment``) on a padded matrix, large ones with its sparse
counterpart
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
from borderwatch.tracking.components import components

_DENSE_LIMIT = 2_500
"""Conflicts up to this many (tracks x detections) cells are solved densely."""


@dataclass(frozen=True, kw_only=True)
class GlobalNearestNeighbour:
    """One-to-one assignment of detections to tracks that minimises the summed cost of
    the gated pairs (global nearest neighbour; Blackman & Popoli 1999, sec. 6.5)."""

    miss_cost: float = 1e4
    """Cost of leaving a gated track or detection unassigned: larger than any gated pair's
    cost (chi-square gate 13.8 plus ln det S), so any gated pair beats no pair."""

    def assign(
        self, track: IntArray, detection: IntArray, cost: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """Choose among the gated pairs (``track[i]``, ``detection[i]``, ``cost[i]``);
        return the chosen pairs' track and detection indices.

        Pairs with no rival are kept as they are; the conflicts are split into
        independent components and each is solved exactly, so a dense scene costs many
        small problems rather than one large one. Any track or detection may stay
        unassigned (at ``miss_cost``).
        """
        if len(track) <= 1:
            return track, detection
        lonely = (np.bincount(track)[track] == 1) & (np.bincount(detection)[detection] == 1)
        if lonely.all():
            return track, detection
        rest = np.flatnonzero(~lonely)
        tracks, t_index = np.unique(track[rest], return_inverse=True)
        dets, d_index = np.unique(detection[rest], return_inverse=True)
        n_t, n_d = len(tracks), len(dets)
        # Independent conflicts: components of the (tracks + detections) graph. Solving
        # each alone is exact (no pair links two components) and keeps the dense matrices
        # small: 100 groups of 5 are 100 5x5 problems, not one 500x500.
        n_comp, label = components(n_t + n_d, t_index, n_t + d_index)
        # Each node's rank inside its component, so every conflict's matrix is indexed
        # directly (no per-conflict unique/sort).
        t_comp, d_comp = label[:n_t], label[n_t:]
        t_rank, t_size = _rank_within(t_comp, n_comp)
        d_rank, d_size = _rank_within(d_comp, n_comp)
        component = t_comp[t_index]
        out_t, out_d = [track[lonely]], [detection[lonely]]
        # One track against several detections (or the reverse): the cheapest pair is
        # the optimum (any gated pair beats none), found for all such conflicts at once.
        simple = (t_size[component] == 1) | (d_size[component] == 1)
        if simple.any():
            idx = np.flatnonzero(simple)
            by = np.lexsort((cost[rest[idx]], component[idx]))
            idx = idx[by]
            first = np.ones(len(idx), bool)
            first[1:] = component[idx][1:] != component[idx][:-1]
            out_t.append(track[rest[idx[first]]])
            out_d.append(detection[rest[idx[first]]])
        hard = np.flatnonzero(~simple)
        order = hard[np.argsort(component[hard], kind="stable")]
        bounds = np.flatnonzero(np.diff(component[order])) + 1
        for chunk in np.split(order, bounds) if len(order) else ():
            c = int(component[chunk[0]])
            pairs = rest[chunk]
            if t_size[c] * d_size[c] > _DENSE_LIMIT:
                t_sel, d_sel = self._solve(track[pairs], detection[pairs], cost[pairs])
            else:
                # Small conflicts: the dense padded matrix beats building a graph.
                rows_local, cols_local = t_rank[t_index[chunk]], d_rank[d_index[chunk]]
                matrix = np.full((t_size[c], d_size[c]), self.miss_cost)
                matrix[rows_local, cols_local] = cost[pairs]
                rows, cols = linear_sum_assignment(matrix)
                real = matrix[rows, cols] < self.miss_cost
                back_t = np.empty(t_size[c], np.intp)
                back_t[rows_local] = track[pairs]
                back_d = np.empty(d_size[c], np.intp)
                back_d[cols_local] = detection[pairs]
                t_sel, d_sel = back_t[rows[real]], back_d[cols[real]]
            out_t.append(t_sel)
            out_d.append(d_sel)
        return np.concatenate(out_t), np.concatenate(out_d)

    def _solve(
        self, track: IntArray, detection: IntArray, cost: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """One large connected conflict, solved exactly on the sparse augmented graph."""
        if len(track) == 1:
            return track, detection
        tracks, t_index = np.unique(track, return_inverse=True)
        dets, d_index = np.unique(detection, return_inverse=True)
        n_t, n_d, n_p = len(tracks), len(dets), len(track)
        # Rows: tracks, then one clutter row per detection. Columns: detections, then one
        # missed column per track. Costs are shifted to be > 0 (sparse zeros are "no edge");
        # every full matching has n_t + n_d edges, so the shift does not change the optimum.
        shift = 1.0 - min(0.0, float(cost.min()))
        rows = np.concatenate([t_index, np.arange(n_t), n_t + d_index, n_t + np.arange(n_d)])
        cols = np.concatenate([d_index, n_d + np.arange(n_t), n_d + t_index, np.arange(n_d)])
        weights = np.concatenate(
            [
                cost + shift,
                np.full(n_t, self.miss_cost + shift),
                np.full(n_p, shift),
                np.full(n_d, self.miss_cost + shift),
            ]
        )
        graph = csr_matrix((weights, (rows, cols)), shape=(n_t + n_d, n_d + n_t))
        row, col = min_weight_full_bipartite_matching(graph)
        real = (row < n_t) & (col < n_d)
        return tracks[row[real]], dets[col[real]]


def _rank_within(component: IntArray, n_components: int) -> tuple[IntArray, IntArray]:
    """Each node's rank among the nodes of its component, and each component's size."""
    order = np.argsort(component, kind="stable")
    size = np.bincount(component, minlength=n_components)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    rank = np.empty(len(component), np.intp)
    rank[order] = np.arange(len(component)) - start[component[order]]
    return rank, size
