"""Rate limits as arithmetic on an injected clock: a token bucket per client (an API key,
a client address), and at most a fixed number of clients remembered.

The token bucket: a client may spend up to ``burst`` tokens at once, and its bucket
refills at ``per_s`` tokens a second; an empty bucket says how long until the next token
(the HTTP answer's Retry-After, RFC 9110 section 10.2.3).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class Rate:
    """A token bucket's shape."""

    per_s: float
    """Tokens added per second (the sustained rate)."""
    burst: float
    """The bucket's size: how many may be spent at once after a quiet spell."""

    def __post_init__(self) -> None:
        if not (self.per_s > 0 and self.burst >= 1):
            raise ValueError("a rate needs per_s > 0 and burst >= 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessLimits:
    """The service's limits on who knocks how often (``ServiceConfig.limits``)."""

    failed_keys: Rate = field(default_factory=lambda: Rate(per_s=20 / 60, burst=20))
    """Wrong API keys per client address: 20, then one more every 3 s; beyond that every
    request from the address is answered 429 until a token is back."""
    per_key: Rate = field(default_factory=lambda: Rate(per_s=1000, burst=2000))
    """Requests per API key. Generous: the scale benchmark posts some 180 batches of
    1,000 detections a second on one key, and the dashboard a few requests a second; this
    stops a runaway or stolen key, not a busy one."""
    max_clients: int = 10_000
    """Clients (addresses, keys) remembered per limiter; the least recently seen is
    forgotten first, so an attacker rotating addresses cannot grow memory without bound."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class Limiter:
    """Token buckets by client id, on ``clock`` (seconds, monotonic), at most
    ``max_clients`` of them (least recently seen forgotten first: a forgotten client
    starts again with a full bucket).

    >>> now = [0.0]
    >>> limit = Limiter(Rate(per_s=1, burst=2), clock=lambda: now[0])
    >>> [limit.take("a") for _ in range(3)]
    [0.0, 0.0, 1.0]
    >>> now[0] = 0.5; limit.wait("a")
    0.5
    >>> now[0] = 1.0; limit.take("a"), limit.take("b")
    (0.0, 0.0)
    """

    def __init__(
        self, rate: Rate, *, clock: Callable[[], float], max_clients: int = 10_000
    ) -> None:
        if max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        self.rate = rate
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, client: str) -> float:
        """Seconds until ``client`` may spend a token (0: now); spends nothing."""
        bucket = self._buckets.get(client)
        if bucket is None:
            return 0.0
        self._refill(bucket)
        return self._until_one(bucket)

    def take(self, client: str) -> float:
        """Spend one of ``client``'s tokens: 0 when it had one, else the seconds until it
        will (nothing spent)."""
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = _Bucket(self.rate.burst, self.clock())
            self._buckets[client] = bucket
            if len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client)
            self._refill(bucket)
        wait = self._until_one(bucket)
        if wait == 0.0:
            bucket.tokens -= 1.0
        return wait

    def _refill(self, bucket: _Bucket) -> None:
        now = self.clock()
        if now > bucket.at:  # a clock that stepped back adds nothing
            refilled = bucket.tokens + (now - bucket.at) * self.rate.per_s
            bucket.tokens = min(self.rate.burst, refilled)
            bucket.at = now

    def _until_one(self, bucket: _Bucket) -> float:
        missing = 1.0 - bucket.tokens
        return 0.0 if missing <= 0 else missing / self.rate.per_s
