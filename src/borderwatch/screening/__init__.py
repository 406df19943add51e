"""Safe Third Country Agreement screening: decision support for refugee-claim eligibility.

Proposes, explains and records; an officer decides (IRPA 100(1)). The rules are data
(``rules.yaml``), each with its citation and dates; the law applied is the law in force on
the claim date unless a what-if ``law_date`` is given.
"""

from borderwatch.screening.case_file import ScreeningCase, parse_case
from borderwatch.screening.decide import OUTCOMES, PersonResult, ScreeningResult, screen
from borderwatch.screening.report import format_text, result_to_json
from borderwatch.screening.ruleset import RULES

__all__ = [
    "OUTCOMES",
    "RULES",
    "PersonResult",
    "ScreeningCase",
    "ScreeningResult",
    "format_text",
    "parse_case",
    "result_to_json",
    "screen",
]
