"""Sources: adapters that produce detections (JSONL replay now; MQTT, CoT, frames later)."""

from borderwatch.sources.base import DetectionSource, ReplaySource, SourceReport
from borderwatch.sources.jsonl import (
    JsonlDetectionSource,
    read_jsonl,
    write_detections,
    write_jsonl,
)
from borderwatch.sources.reorder import ReorderBuffer, ReorderReport
from borderwatch.sources.wire import detection_to_wire, format_time, parse_detection, parse_time

__all__ = [
    "DetectionSource",
    "JsonlDetectionSource",
    "ReorderBuffer",
    "ReorderReport",
    "ReplaySource",
    "SourceReport",
    "detection_to_wire",
    "format_time",
    "parse_detection",
    "parse_time",
    "read_jsonl",
    "write_detections",
    "write_jsonl",
]
