"""The token buckets behind the API's limits (domain/limits.py), on a fake clock: no test
here waits for real time."""

from __future__ import annotations

import pytest

from borderwatch.domain.limits import AccessLimits, Limiter, Rate


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_token_per_interval() -> None:
    clock = FakeClock()
    limit = Limiter(Rate(per_s=0.5, burst=3), clock=clock)
    assert [limit.take("10.0.0.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limit.take("10.0.0.1") == pytest.approx(2.0)  # refused: one token in 2 s
    assert limit.wait("10.0.0.1") == pytest.approx(2.0)
    clock.now += 1.0
    assert limit.take("10.0.0.1") == pytest.approx(1.0)  # half a token is not a token
    clock.now += 1.0
    assert limit.take("10.0.0.1") == 0.0
    assert limit.take("10.0.0.1") == pytest.approx(2.0)
    assert limit.take("10.0.0.2") == 0.0, "another client has its own bucket"


def test_refused_attempts_spend_nothing_and_the_bucket_never_overfills() -> None:
    clock = FakeClock()
    limit = Limiter(Rate(per_s=1, burst=2), clock=clock)
    limit.take("k"), limit.take("k")
    for _ in range(100):
        assert limit.take("k") > 0
    clock.now += 1.0
    assert limit.take("k") == 0.0, "refusals did not put the client further in debt"
    clock.now += 3600
    assert [limit.take("k") for _ in range(3)] == [0.0, 0.0, 1.0], "capped at the burst"


def test_waiting_asks_without_spending_and_an_unknown_client_is_not_stored() -> None:
    limit = Limiter(Rate(per_s=1, burst=1), clock=FakeClock())
    assert limit.wait("never-seen") == 0.0 and len(limit) == 0
    assert limit.take("k") == 0.0 and limit.wait("k") == pytest.approx(1.0)
    assert limit.wait("k") == pytest.approx(1.0)


def test_a_clock_stepping_back_adds_no_tokens() -> None:
    clock = FakeClock()
    limit = Limiter(Rate(per_s=1, burst=1), clock=clock)
    limit.take("k")
    clock.now -= 50
    assert limit.take("k") > 0
    clock.now += 50
    assert limit.take("k") > 0
    clock.now += 1
    assert limit.take("k") == 0.0


def test_memory_is_bounded_whatever_the_number_of_clients() -> None:
    clock = FakeClock()
    limit = Limiter(Rate(per_s=0.01, burst=1), clock=clock, max_clients=100)
    for n in range(10_000):  # an attacker rotating addresses
        limit.take(f"10.{n // 256}.{n % 256}.1")
    assert len(limit) == 100
    # The least recently seen is forgotten first: a client seen again stays.
    limit.take("keeper")
    for n in range(99):
        limit.take(f"new-{n}")
    assert limit.wait("keeper") > 0, "the client touched most recently is still remembered"


def test_the_default_limits_let_the_scale_benchmark_through() -> None:
    # bench/scale.py posts ~180 batches of 1,000 detections a second on one key (four
    # connections); the default per-key rate must not throttle that.
    defaults = AccessLimits()
    clock = FakeClock()
    limit = Limiter(defaults.per_key, clock=clock)
    refused = 0
    for tick in range(10 * 250):  # 10 s at 250 requests a second
        clock.now = 1000.0 + tick / 250
        refused += limit.take("bench-key") > 0
    assert refused == 0
    assert defaults.failed_keys.burst <= 20 and defaults.failed_keys.per_s <= 1


def test_a_rate_that_would_refuse_everything_is_refused() -> None:
    with pytest.raises(ValueError):
        Rate(per_s=0, burst=1)
    with pytest.raises(ValueError):
        Rate(per_s=1, burst=0.5)
    with pytest.raises(ValueError):
        Limiter(Rate(per_s=1, burst=1), clock=FakeClock(), max_clients=0)
