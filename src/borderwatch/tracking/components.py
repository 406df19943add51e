"""Connected components of a small sparse graph, fast for the shapes tracking meets.

Conflicts in association and groups of people are tiny components (a handful of nodes, a
few hops across). Label propagation (every node takes the smallest label among its
neighbours, repeated until nothing changes) finds them in a few vectorised passes, with
none of the validation and format conversion that ``scipy.sparse.csgraph`` does per call,
which at one call per scan costs more than the work. A graph with a long chain (more than
``max_passes`` hops) is handed to SciPy, so the answer is always exact.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from borderwatch.tracking.base import IntArray


def components(n: int, a: IntArray, b: IntArray, max_passes: int = 12) -> tuple[int, IntArray]:
    """Components of the undirected graph on nodes 0..n-1 with edges (a[i], b[i]).

    Returns their number and each node's component, numbered 0.. in order of each
    component's smallest node."""
    label = np.arange(n)
    if len(a) == 0:
        return n, label
    for _ in range(max_passes):
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # follow labels one more hop (pointer jumping)
        if np.array_equal(new, label):
            break
        label = new
    else:
        graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
        count, found = connected_components(graph, directed=False)
        return int(count), found.astype(np.intp)
    roots, dense = np.unique(label, return_inverse=True)
    return len(roots), dense.astype(np.intp)
