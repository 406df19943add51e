"""Tracker parts: Kalman filter, gate, GNN, lifecycle, head count, class evidence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from tests.conftest import detection

from borderwatch.domain import Kind
from borderwatch.geo import Boundary
from borderwatch.tracking import ConstantVelocity, GlobalNearestNeighbour, MahalanobisGate, Tracker
from borderwatch.tracking.kind_evidence import CLASSES, decide
from borderwatch.tracking.scans import ScanBuilder


def test_kalman_learns_velocity_and_keeps_covariance_symmetric() -> None:
    cv = ConstantVelocity()
    rng = np.random.default_rng(0)
    state = np.array([[0.0, 0.0, 0.0, 0.0]])
    cov = np.diag([100.0, 100.0, 25.0, 25.0])[None]
    velocities = []
    for k in range(1, 300):
        state, cov = cv.predict(state, cov, np.array([1.0]))
        truth = np.array([[0.8 * k, -0.3 * k]])
        state, cov = cv.update(state, cov, truth + rng.normal(0, 10, (1, 2)), np.array([10.0]))
        velocities.append(state[0, 2:].copy())
    mean_velocity = np.mean(velocities[-150:], axis=0)
    assert mean_velocity[0] == pytest.approx(0.8, abs=0.1)
    assert mean_velocity[1] == pytest.approx(-0.3, abs=0.1)
    np.testing.assert_allclose(cov[0], cov[0].T, atol=1e-9)
    assert np.all(np.linalg.eigvalsh(cov[0]) > 0)


def test_gate_keeps_only_pairs_inside_the_chi_square_ellipse() -> None:
    gate = MahalanobisGate()
    tracks = np.array([[0.0, 0.0], [1000.0, 0.0]])
    covs = np.tile(np.diag([25.0, 25.0]), (2, 1, 1))
    dets = np.array([[3.0, 4.0], [60.0, 0.0], [1001.0, 0.0]])
    t, d, cost = gate.pairs(tracks, covs, dets, np.array([5.0, 5.0, 5.0]))
    assert sorted(zip(t.tolist(), d.tolist(), strict=True)) == [(0, 0), (1, 2)]
    assert np.all(np.isfinite(cost))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 10_000), st.booleans())
def test_gnn_equals_dense_optimal_assignment(
    n_tracks: int, n_dets: int, seed: int, sparse: bool
) -> None:
    from borderwatch.tracking import association

    # Both solvers (dense for small conflicts, sparse for large) must give the optimum.
    original = association._DENSE_LIMIT
    association._DENSE_LIMIT = 0 if sparse else original
    try:
        _check_gnn(n_tracks, n_dets, seed)
    finally:
        association._DENSE_LIMIT = original


def _check_gnn(n_tracks: int, n_dets: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    dense = rng.uniform(0, 10, (n_tracks, n_dets))
    gated = rng.random((n_tracks, n_dets)) < 0.6
    t, d = np.nonzero(gated)
    got_t, got_d = GlobalNearestNeighbour().assign(t, d, dense[t, d])
    # Reference: the same problem with ungated pairs at a prohibitive cost.
    padded = np.where(gated, dense, 1e6)
    rows, cols = linear_sum_assignment(padded)
    keep = padded[rows, cols] < 1e6
    assert len(got_t) == keep.sum()
    assert dense[got_t, got_d].sum() == pytest.approx(padded[rows[keep], cols[keep]].sum())
    assert len(set(got_t.tolist())) == len(got_t) and len(set(got_d.tolist())) == len(got_d)


def _run(tracker: Tracker, boundary: Boundary, dets: list) -> list:  # type: ignore[type-arg]
    builder = ScanBuilder(boundary.frame)
    batches = []
    for det in dets:
        scans = builder.add(det)
        if scans:
            batches.append(tracker.process_window(scans))
    batches.append(tracker.process_window(builder.flush()))
    return batches


def test_one_group_one_track_with_head_count_and_heading(boundary: Boundary) -> None:
    rng = np.random.default_rng(1)
    dets = [
        detection(
            t,
            rng.normal(0, 8),
            -600 + 0.8 * t + rng.normal(0, 8),
            sigma=8,
            count=int(9 - rng.binomial(9, 0.1)),
        )
        for t in range(300)
    ]
    tracker = Tracker()
    batches = _run(tracker, boundary, dets)
    assert tracker.tracks_started == 1
    last = batches[-1]
    assert last.confirmed[0] == 1
    assert abs(int(last.group_size[0]) - 9) <= 1
    # Averaged over the last 100 updates, the velocity estimate is unbiased.
    v_east = np.mean([b.velocity_east_ms[0] for b in batches[-100:]])
    v_north = np.mean([b.velocity_north_ms[0] for b in batches[-100:]])
    assert v_north == pytest.approx(0.8, abs=0.1)
    assert v_east == pytest.approx(0.0, abs=0.1)


def test_confirmation_needs_three_hits_and_clutter_dies(boundary: Boundary) -> None:
    tracker = Tracker()
    b1 = _run(tracker, boundary, [detection(0, 0, 0), detection(1, 0.5, 0.5)])
    assert b1[-1].confirmed.tolist() == [0]
    tracker = Tracker()
    _run(tracker, boundary, [detection(0, 0, 0), detection(1, 0.5, 0.5), detection(2, 1, 1)])
    assert tracker.confirmed_count == 1
    tracker = Tracker()
    lonely = [detection(0, 5000, 5000), detection(10, -5000, -5000)]
    batches = _run(tracker, boundary, lonely)
    assert tracker.active_count == 1  # the first ended after 5 s without a second hit
    assert batches[-1].ended.tolist() == [1]


def test_a_vague_tip_is_a_cue_not_a_track(boundary: Boundary) -> None:
    tracker = Tracker()
    batches = _run(tracker, boundary, [detection(0, 0, -300, sigma=400, sensor="tip:USBP")])
    assert tracker.tracks_started == 0
    assert [c.sensor_id for c in batches[0].cues] == ["tip:USBP"]


def test_two_sensors_seeing_one_group_make_one_track(boundary: Boundary) -> None:
    rng = np.random.default_rng(2)
    dets = []
    for t in range(120):
        y = -200 + t
        dets.append(detection(t, rng.normal(0, 10), y + rng.normal(0, 10), sigma=10, sensor="cam"))
        dets.append(
            detection(t + 0.3, rng.normal(0, 4), y + rng.normal(0, 4), sigma=4, sensor="drone")
        )
    tracker = Tracker()
    _run(tracker, boundary, dets)
    assert tracker.tracks_started == 1
    assert tracker.sensors_of(1) == ("cam", "drone")


def test_class_evidence_decides_animals_and_stays_unknown_when_unsure() -> None:
    from borderwatch.tracking.kind_evidence import PRIOR_LOG, label_evidence

    deer = PRIOR_LOG + label_evidence([Kind.ANIMAL] * 4 + [Kind.UNKNOWN, Kind.PERSON]).sum(0)
    vague = PRIOR_LOG + label_evidence([Kind.UNKNOWN] * 3).sum(0)
    codes, _ = decide(np.vstack([deer, vague]))
    assert CLASSES[codes[0]] is Kind.ANIMAL
    assert codes[1] == 3


def test_closed_form_prediction_equals_the_matrix_form() -> None:
    cv = ConstantVelocity(acceleration_noise=0.3)
    rng = np.random.default_rng(4)
    root = rng.normal(size=(5, 4, 4))
    cov = root @ root.transpose(0, 2, 1) + np.eye(4)
    state = rng.normal(size=(5, 4))
    dt = np.array([0.5, 1.0, -0.3, 2.0, 0.0])
    new_state, new_cov = cv.predict(state, cov, dt)
    f = cv.transition(dt)
    np.testing.assert_allclose(new_state, np.einsum("nij,nj->ni", f, state))
    expected = f @ cov @ f.transpose(0, 2, 1) + cv.process_noise(dt)
    np.testing.assert_allclose(new_cov, expected, atol=1e-12)
    position, position_cov = cv.predict_position(state, cov, dt)
    np.testing.assert_allclose(position, new_state[:, :2])
    np.testing.assert_allclose(position_cov, new_cov[:, :2, :2], atol=1e-12)


def test_tables_grow_without_losing_tracks(boundary: Boundary) -> None:
    small, large = Tracker(capacity=2), Tracker(capacity=4096)
    dets = [
        detection(t, 300.0 * k, -500 + 0.5 * t, sensor=f"cam-{k % 3}")
        for t in range(20)
        for k in range(40)
    ]
    last_small = _run(small, boundary, dets)[-2]
    last_large = _run(large, boundary, dets)[-2]
    assert small.tracks_started == large.tracks_started == 40
    np.testing.assert_allclose(np.sort(last_small.north_m), np.sort(last_large.north_m))
    assert small.sensors_of(7) == large.sensors_of(7)


class _NoScan(dict[str, int]):
    """The tracker's sensor codes, refusing to be walked whole: a walk per window costs
    time in the number of sensors ever heard (100,000 ids stalled the live tracker)."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the tracker walked every sensor it ever heard")

    def keys(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the tracker walked every sensor it ever heard")


def test_a_window_costs_nothing_per_sensor_heard_before(boundary: Boundary) -> None:
    tracker = Tracker()
    _run(tracker, boundary, [detection(0, 0, -200, sensor="old-0")])
    tracker._sensor_code = _NoScan(tracker._sensor_code)  # type: ignore[attr-defined]
    # One walker seen by a new sensor every second: each window names a sensor not yet
    # coded, and the track hears from a sensor other than its last one.
    _run(tracker, boundary, [detection(t, 0, -200 + t, sensor=f"s-{t % 3}")
                             for t in range(1, 8)])
    assert tracker.sensors_of(1) == ("old-0", "s-0", "s-1", "s-2")
