"""Field readers for the scenario loader: each names the full field path when it refuses.

A field path looks like ``groups[0].members[3].age``. Every reader raises
:class:`~borderwatch.domain.InputError` with that path as its field; the loader adds the
file name. Nothing is defaulted silently except where the format documents a default.
:func:`load_yaml` reads the file itself: whatever the bytes, a document or an InputError.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from borderwatch.domain import InputError, check_lat_lon
from borderwatch.domain.time import parse_time

REQUIRED: Any = object()
"""Default meaning: the field must be given."""

class _Shown(reprlib.Repr):
    """A bounded ``repr`` for error messages: an aliased YAML structure can stand for
    billions of items, and ``repr`` of an integer past 4300 digits raises (CPython's limit
    on int-to-text conversion)."""

    def __init__(self) -> None:
        super().__init__()  # keyword arguments need Python 3.12
        self.maxlevel, self.maxstring, self.maxother = 2, 60, 60
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 4

    def repr_int(self, x: int, level: int) -> str:
        return f"an integer of {x.bit_length()} bits" if x.bit_length() > 64 else repr(x)


shown = _Shown().repr


def load_yaml(path: Path, *, what: str) -> object:
    """Read a YAML (or JSON) file as a document; anything else is an :class:`InputError`
    naming the file and saying it is not a ``what`` (e.g. an image given by mistake)."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(None, f"cannot read: {err.strerror}", source=name) from None
    except UnicodeDecodeError as err:
        raise InputError(
            None,
            f"not a {what}: byte {err.start} is not UTF-8 text (a {what} is YAML or JSON)",
            source=name,
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(err, "problem", None) or str(err)
        raise InputError(None, f"not valid YAML: {reason}", line=line, source=name) from None
    except ValueError as err:
        # PyYAML's constructors raise plain ValueError: year 0 in a timestamp, an integer
        # of more than 4300 digits.
        raise InputError(None, f"not valid YAML: {err}", source=name) from None
    except RecursionError:
        raise InputError(None, "not valid YAML: nested too deeply", source=name) from None


class Node:
    """A mapping read from YAML, with its field path, that remembers which keys were read.

    ``finish()`` refuses keys nobody read, so a typo (``sped_ms``) is an error, not a
    silently ignored field.
    """

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, Mapping):
            raise InputError(path or None, f"must be a mapping, got {_type_name(raw)}")
        self.raw: Mapping[Any, Any] = raw
        self.path = path
        self._read: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        """Whether the field is given (not absent, not null). Counts as reading it."""
        self._read.add(key)
        return self.raw.get(key) is not None

    def get(self, key: str, default: object = REQUIRED) -> Any:
        self._read.add(key)
        value = self.raw.get(key)
        if value is None:
            if default is REQUIRED:
                raise InputError(self.where(key), "is required")
            return default
        return value

    def child(self, key: str) -> Node:
        return Node(self.get(key), self.where(key))

    def items(self, key: str, *, required: bool = False) -> list[tuple[str, Any]]:
        """(path, item) for each element of a list field; an absent list is empty."""
        value = self.get(key) if required else self.get(key, [])
        if not isinstance(value, list):
            raise InputError(self.where(key), f"must be a list, got {_type_name(value)}")
        return [(f"{self.where(key)}[{i}]", item) for i, item in enumerate(value)]

    def nodes(self, key: str, *, required: bool = False) -> list[Node]:
        return [Node(item, path) for path, item in self.items(key, required=required)]

    # ---- typed readers ------------------------------------------------------------------
    def text(self, key: str, default: str | object | None = REQUIRED) -> Any:
        value = self.get(key, default)
        if value is default and default is not REQUIRED:
            return value
        if not isinstance(value, str) or not value.strip():
            raise InputError(self.where(key), f"must be a non-empty string, got {shown(value)}")
        return value.strip()

    def number(
        self,
        key: str,
        default: float | object = REQUIRED,
        *,
        low: float = -math.inf,
        high: float = math.inf,
        low_open: bool = False,
    ) -> float:
        value = self.get(key, default)
        where = self.where(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(where, f"must be a number, got {shown(value)}")
        try:
            number = float(value)
        except OverflowError:  # an int beyond a double: out of any range
            number = math.inf
        too_low = number <= low if low_open else number < low
        if not math.isfinite(number) or too_low or number > high:
            left = "(" if low_open else "["
            raise InputError(where, f"must be in {left}{low:g}, {high:g}], got {shown(value)}")
        return number

    def integer(
        self,
        key: str,
        default: int | object | None = REQUIRED,
        *,
        low: int = 0,
        high: int | None = None,
    ) -> Any:
        value = self.get(key, default)
        if value is default and default is not REQUIRED:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(self.where(key), f"must be an integer >= {low}, got {shown(value)}")
        if high is not None and value > high:
            raise InputError(self.where(key), f"must be at most {high}, got {shown(value)}")
        return value

    def boolean(self, key: str, default: bool | object = REQUIRED) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise InputError(self.where(key), f"must be true or false, got {shown(value)}")
        return value

    def time(self, key: str, default: datetime | object | None = REQUIRED) -> Any:
        value = self.get(key, default)
        if value is default and default is not REQUIRED:
            return value
        return as_time(value, self.where(key))

    def choice(self, key: str, options: Iterable[str], default: Any = REQUIRED) -> Any:
        value = self.get(key, default)
        if value is default and default is not REQUIRED:
            return value
        allowed = list(options)
        if value not in allowed:
            raise InputError(
                self.where(key), f"must be one of {', '.join(allowed)}, got {shown(value)}"
            )
        return str(value)

    def position(self, key: str) -> tuple[float, float]:
        return position(self.get(key), self.where(key))

    def finish(self) -> None:
        unknown = sorted(
            k if isinstance(k, str) else shown(k)
            for k in self.raw
            if not (isinstance(k, str) and k in self._read)
        )
        if unknown:
            raise InputError(
                self.where(unknown[0]),
                f"unknown field (known here: {', '.join(sorted(self._read))})",
            )


def position(raw: object, path: str) -> tuple[float, float]:
    """A ``{lat: .., lon: ..}`` mapping as a validated (lat, lon) pair. Never defaults to 0."""
    node = Node(raw, path)
    lat_raw, lon_raw = node.get("lat"), node.get("lon")
    try:
        lat, _ = check_lat_lon(lat_raw, 0.0)
    except InputError as err:
        raise InputError(node.where("lat"), err.reason) from None
    try:
        _, lon = check_lat_lon(0.0, lon_raw)
    except InputError as err:
        raise InputError(node.where("lon"), err.reason) from None
    node.finish()
    return lat, lon


def as_time(value: object, path: str) -> datetime:
    """An RFC 3339 time with an offset (YAML may already have parsed it), in UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InputError(path, f"needs a UTC offset (e.g. Z or -07:00): {value.isoformat()}")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past year 9999 in UTC
            raise InputError(path, f"out of range in UTC: {value.isoformat()}") from None
    try:
        return parse_time(value, path)
    except InputError as err:
        raise InputError(path, err.reason) from None


def _type_name(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
