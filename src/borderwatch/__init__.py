"""Borderwatch: border operations from sensor detections to published statistics.

The flow is one-directional (docs/architecture.md): sources -> detections -> tracks -> watch ->
incidents -> alerts, and interception -> case. Each stage is a subpackage with a small
contract in ``base.py``; :mod:`borderwatch.pipeline` composes the pure stages, and
``app/bootstrap.py`` is the one place that wires the whole system.
"""

__version__ = "0.1.0"
