"""Errors raised across Borderwatch. Every input error names where and why."""

from __future__ import annotations

from collections.abc import Mapping

REASON_PARAMS: dict[str, tuple[str, ...]] = {
    # Where: domain/position.py and domain/time.py
    "degrees_required": (),
    "out_of_range": ("min", "max"),
    "time_format": (),
    "time_offset": (),
    # respond/field_report.py (the field team's report)
    "unit_required": (),
    "people_required": (),
    "people_max": ("max",),
    "belongings_max": ("max",),
    "apparent_age_range": ("max",),
    "child_bool": (),
    "child_but_adult_age": ("age",),
    "adult_but_child_age": ("age",),
    "conditions_list": (),
    "identifier_refused": (),
    "not_a_report_field": (),
    # screening/case_file.py and app/runtime/officers.py (the officer's facts)
    "bool_or_null": (),
    "date_or_null": (),
    "choice_or_null": (),
    "age_years": ("max",),
    "country_code": (),
    "nationality_null": (),
    "claim_before_agreement": ("date",),
    "officer_required": (),
}
"""The codes of the reasons a page's form can provoke, with the values each carries. A
page writes the reason in its language from these (static/lang/server.js has each code
in English and French) and falls back to the English ``reason`` for any other error."""


class BorderwatchError(Exception):
    """Base class for errors a user can act on (printed without a traceback by the CLI)."""


class InputError(BorderwatchError, ValueError):
    """Bad input: names the field, the line (when there is one) and the reason.

    >>> str(InputError("lat", "must be within [-90, 90], got 91", line=3, source="d.jsonl"))
    'd.jsonl line 3: field lat: must be within [-90, 90], got 91'
    """

    def __init__(
        self,
        field: str | None,
        reason: str,
        *,
        line: int | None = None,
        source: str | None = None,
        code: str | None = None,
        params: Mapping[str, str | int | float] | None = None,
    ) -> None:
        self.field = field
        self.reason = reason
        self.line = line
        self.source = source
        self.code = code
        """A key of :data:`REASON_PARAMS` (None: the reason is said in English only)."""
        self.params = dict(params or {})
        if code is not None and set(REASON_PARAMS.get(code, ("?",))) != set(self.params):
            raise ValueError(
                f"reason code {code!r}: expected values "
                f"{REASON_PARAMS.get(code)}, got {sorted(self.params)}"
            )
        super().__init__(self._message())

    def wire(self) -> dict[str, object]:
        """The ``ctx`` of a 422 item: the code and its values, for a page to translate."""
        return {"code": self.code, "params": self.params} if self.code else {}

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
            code=self.code,
            params=self.params,
        )
