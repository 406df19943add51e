"""The earliest meeting by road: off road to a nearby road, along the roads, off road to
the group's predicted path.

With ``T_j`` the shortest time from the unit to road node ``j`` (Dijkstra, 1959, on the
road graph plus the unit's off-road legs to its nearest nodes) and ``P(τ)`` the group's
predicted position ``τ`` seconds from now, the unit can be at ``P(τ)`` by road at

    reach(τ) = min_j ( T_j + |P(τ) − n_j| / s_off ),

and the earliest meeting is the first ``τ`` with ``reach(τ) ≤ τ``: found on a grid of
``STEP_S`` and refined by bisection (``reach`` is continuous, so the first sign change
brackets it; a meeting shorter than one step inside the grid can be missed, and the
straight-line answer, exact, is always computed beside it: intercept.py takes the
earlier).

Edge cases: a unit farther than ``ENTRY_RADIUS_M`` from every road, or a network no part
of which it can reach within the horizon, gives None (the straight line stands).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from borderwatch.geo.roads import RoadNetwork

STEP_S = 5.0
ENTRY_NODES = 8
"""The unit may join the network at any of its nearest nodes (off road to each)."""
ENTRY_RADIUS_M = 20_000.0
"""Farther than this from every road, a unit is not routed by road."""
BISECTION_STEPS = 30

Path = Callable[[NDArray[np.float64]], NDArray[np.float64]]
"""``τ`` (seconds from now, shape (M,)) -> the group's predicted positions (M, 2)."""


@dataclass(frozen=True)
class RoadMeeting:
    travel_s: float
    point: tuple[float, float]
    """Where, east and north in the frame."""
    route: NDArray[np.float64]
    """(K, 2): the unit, the road nodes it drives through, the meeting point."""
    road_m: float
    """Of the route, the metres on roads."""


def earliest_by_road(roads: RoadNetwork, unit: tuple[float, float], offroad_ms: float,
                     road_ms: float, path: Path, left_s: float) -> RoadMeeting | None:
    """The earliest meeting by road within ``left_s`` seconds (None: none, see above)."""
    origin = np.asarray(unit, dtype=np.float64)
    tree = cKDTree(roads.nodes)
    k = min(ENTRY_NODES, roads.size)
    gaps, entries = tree.query(origin, k=k)
    gaps, entries = np.atleast_1d(gaps), np.atleast_1d(entries)
    near = gaps <= ENTRY_RADIUS_M
    if not near.any():
        return None
    n = roads.size
    graph = roads.times(road_ms).tocoo()
    # One more node, the unit, with an off-road leg to each of its nearest road nodes.
    rows = np.concatenate([graph.row, np.full(int(near.sum()), n)])
    cols = np.concatenate([graph.col, entries[near]])
    data = np.concatenate([graph.data, gaps[near] / offroad_ms])
    joined = coo_matrix((data, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    seconds, before = dijkstra(joined, indices=n, return_predecessors=True)
    at_node = seconds[:n]
    usable = np.flatnonzero(np.isfinite(at_node) & (at_node < left_s))
    if usable.size == 0:
        return None
    nodes, node_s = roads.nodes[usable], at_node[usable]

    def reach(taus: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        points = path(taus)  # (M, 2)
        legs = np.hypot(points[:, None, 0] - nodes[None, :, 0],
                        points[:, None, 1] - nodes[None, :, 1]) / offroad_ms
        total = node_s[None, :] + legs
        best = np.argmin(total, axis=1)
        return total[np.arange(len(taus)), best], best

    taus = np.append(np.arange(0.0, left_s, STEP_S), left_s)
    times, _ = reach(taus)
    met = np.flatnonzero(times <= taus)
    if met.size == 0:
        return None
    hi = float(taus[met[0]])
    lo = float(taus[met[0] - 1]) if met[0] > 0 else hi
    for _ in range(BISECTION_STEPS if lo < hi else 0):
        mid = (lo + hi) / 2
        if reach(np.array([mid]))[0][0] <= mid:
            hi = mid
        else:
            lo = mid
    _, exit_index = reach(np.array([hi]))
    exit_node = int(usable[exit_index[0]])
    chain = [exit_node]
    while (step := int(before[chain[-1]])) != n and step >= 0:
        chain.append(step)
    chain.reverse()
    point = path(np.array([hi]))[0]
    on_road = roads.nodes[chain]
    road_m = float(np.hypot(*np.diff(on_road, axis=0).T).sum()) if len(chain) > 1 else 0.0
    route = np.vstack([origin, on_road, point])
    return RoadMeeting(hi, (float(point[0]), float(point[1])), route, road_m)
