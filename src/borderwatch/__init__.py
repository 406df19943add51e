"""Borderwatch: border operations from sensor detections to published statistics.

The flow is one-directional (docs/architecture.md): sources -> detections -> tracks -> watch ->
incidents -> alerts, and interception -> case. Each stage is a subpackage with a small
contract in ``base.py``; :mod:`borderwatch.pipeline` is the one place that composes them.
"""

__version__ = "0.1.0"
