"""Detection sources: the wire format (JSONL files, the ingest API's items), thermal and
night-vision frames, and partner tips (CoT, CAP, JSON)."""

from borderwatch.adapters.sources.detection_wire import detection_to_wire, parse_detection
from borderwatch.adapters.sources.jsonl import (
    JsonlDetectionSource,
    read_jsonl,
    write_detections,
    write_jsonl,
)

__all__ = [
    "JsonlDetectionSource",
    "detection_to_wire",
    "parse_detection",
    "read_jsonl",
    "write_detections",
    "write_jsonl",
]
