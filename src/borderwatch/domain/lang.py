"""The two official languages: which one the user picked, and numbers and dates written the
way that language's Canadian locale writes them (Babel, CLDR data). Pure.

Shared by the decision records (``screening/record.py``) and the statistics report
(``stats/i18n.py``), which may not import each other.
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

from babel.dates import format_date
from babel.numbers import format_decimal

from borderwatch.domain.errors import InputError

Lang = Literal["en", "fr"]
LANGS: Final[tuple[str, ...]] = ("en", "fr")
LOCALES: Final[dict[str, str]] = {"en": "en_CA", "fr": "fr_CA"}
"""Canada's locales: fr_CA, not fr (France), so a French number is written as in Canada."""


def check_lang(lang: object, *, field: str = "lang") -> Lang:
    """``en`` or ``fr``; anything else is an :class:`InputError` naming ``field``.

    >>> check_lang("fr")
    'fr'
    """
    if lang == "en" or lang == "fr":
        return lang
    raise InputError(field, f"must be one of {', '.join(LANGS)}, got {lang!r}")


def format_number(value: int | float, lang: Lang) -> str:
    """A number as the language writes it: in French a no-break space groups thousands and a
    comma marks decimals (CLDR's fr_CA uses U+00A0; fr uses the narrow U+202F).

    >>> format_number(23720, "fr") == "23\\u00a0720", format_number(1234.5, "en")
    (True, '1,234.5')
    """
    return str(format_decimal(value, locale=LOCALES[lang]))


def format_day(day: date, lang: Lang) -> str:
    """A date in words: ``March 1, 2025``, ``1 mars 2025``.

    >>> format_day(date(2025, 3, 1), "fr")
    '1 mars 2025'
    """
    return str(format_date(day, "long", locale=LOCALES[lang]))
