"""Detections from a JSONL file (one wire object per line), and back.

A bad line is reported with its line number, field and reason, skipped and counted; with
``strict`` the first bad line stops the run. Blank lines are allowed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from borderwatch.adapters.sources.detection_wire import detection_to_wire, parse_detection
from borderwatch.domain import Detection, InputError
from borderwatch.sources.base import SourceReport


class JsonlDetectionSource:
    """Iterate the detections of a JSONL file; ``report`` counts what was accepted and
    rejected and keeps the first errors with their line numbers (see the module
    docstring for ``strict``). A file that cannot be opened raises :class:`InputError`."""

    def __init__(self, path: str | Path, *, strict: bool = False) -> None:
        self.path = Path(path)
        self.strict = strict
        self.report = SourceReport()

    def __iter__(self) -> Iterator[Detection]:
        name = str(self.path)
        try:
            handle = self.path.open("rb")
        except OSError as err:
            raise InputError(None, f"cannot read: {err.strerror}", source=name) from None
        with handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    try:
                        obj = orjson.loads(raw)
                    except orjson.JSONDecodeError as err:
                        raise InputError(None, f"not valid JSON ({err})") from None
                    det = parse_detection(obj)
                except InputError as err:
                    located = err.at(line=number, source=name)
                    if self.strict:
                        raise located from None
                    self.report.rejected += 1
                    if len(self.report.errors) < self.report.max_errors_kept:
                        self.report.errors.append(located)
                    continue
                self.report.accepted += 1
                yield det


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records atomically (temporary file, then rename): never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    count = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for record in records:
                out.write(orjson.dumps(record))
                out.write(b"\n")
                count += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def write_detections(path: str | Path, detections: Iterable[Detection]) -> int:
    return write_jsonl(path, (detection_to_wire(d) for d in detections))


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Generic JSONL reader for our own outputs: yields (line number, object)."""
    name = str(path)
    with Path(path).open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as err:
                raise InputError(
                    None, f"not valid JSON ({err})", line=number, source=name
                ) from None
            if not isinstance(obj, dict):
                raise InputError(None, "each line must be a JSON object", line=number, source=name)
            yield number, obj
