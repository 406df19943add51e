"""Errors raised across Borderwatch. Every input error names where and why."""

from __future__ import annotations


class BorderwatchError(Exception):
    """Base class for errors a user can act on (printed without a traceback by the CLI)."""


class InputError(BorderwatchError, ValueError):
    """Bad input: names the field, the line (when there is one) and the reason.

    >>> str(InputError("lat", "must be within [-90, 90], got 91", line=3, source="d.jsonl"))
    'd.jsonl line 3: field lat: must be within [-90, 90], got 91'
    """

    def __init__(
        self, field: str | None, reason: str, *, line: int | None = None, source: str | None = None
    ) -> None:
        self.field = field
        self.reason = reason
        self.line = line
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        prefix = " ".join(where)
        body = f"field {self.field}: {self.reason}" if self.field else self.reason
        return f"{prefix}: {body}" if prefix else body

    def at(self, *, line: int | None = None, source: str | None = None) -> InputError:
        """The same error, located in a file and line."""
        return InputError(
            self.field,
            self.reason,
            line=line if line is not None else self.line,
            source=source if source is not None else self.source,
        )
