"""Hypothesis profiles of the property tests (tests/property/): deterministic in CI.

``property`` (the default): 200 examples per test, no deadline (a loaded CI machine must
not fail a test by being slow), derandomized so every run tries the same inputs, and no
example database (nothing carried between runs). ``property-long`` draws 5,000 random
examples per test for a fuzzing session: ``BORDERWATCH_PROPERTY_PROFILE=property-long``.
The profiles are applied by each test (``tests/property/strategies.py: PROPERTY``), not
loaded globally, so the other tests' Hypothesis settings are untouched.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "property",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "property-long",
    parent=settings.get_profile("property"),
    max_examples=5_000,
    derandomize=False,
)
