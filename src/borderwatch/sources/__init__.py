"""Sources stage: the contract every detection source satisfies, its replay fake, and the
reorder buffer that puts reports from skewed sensor clocks back in time order. The sources
themselves (JSONL files, thermal frames, partner tips) are adapters: ``adapters/sources``."""

from borderwatch.sources.base import DetectionSource, ReplaySource, SourceReport
from borderwatch.sources.reorder import ReorderBuffer, ReorderReport

__all__ = [
    "DetectionSource",
    "ReorderBuffer",
    "ReorderReport",
    "ReplaySource",
    "SourceReport",
]
