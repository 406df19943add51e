"""Comparisons written as sentences: year over year, a month against the same month a year
before, and the year so far against the whole previous year.

"Alberta: 20 interceptions Jan–Feb 2025, up from 7 in all of 2024." An internal sentence
uses exact counts; a publishable one uses the published values only (rounded, ``5 or
fewer`` for a suppressed count), and says "up" or "down" only when the published values
show it, so a sentence never reveals more than the table beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from borderwatch.domain.lang import Lang
from borderwatch.stats.counting import Counts, GroupKey
from borderwatch.stats.i18n import describe, number, say
from borderwatch.stats.periods import Period, YearKind, months_of_year, year_month, year_of_month
from borderwatch.stats.publication import published
from borderwatch.stats.tables import Kind


@dataclass(frozen=True, slots=True)
class Comparison:
    subject: str
    current: Period
    current_count: int
    previous: Period
    previous_count: int
    noun: str = "interceptions"
    """The English plural; the default, "interceptions", is said in the sentence's language."""


def _when(period: Period, *, always_in: bool, lang: Lang) -> str:
    """``in February 2025``, ``in all of 2024``; a range leads without "in" unless asked.
    French always says ``en`` (``sur`` for a whole year): a bare range reads wrong there."""
    text = describe(period, lang)
    whole_year = text == say(lang, "all_of", year=year_month(period.first)[0])
    single = period.first == period.last or whole_year
    if lang == "fr":
        return say(lang, "in_year" if whole_year else "in", when=text)
    return say(lang, "in", when=text) if single or always_in else text


def _noun(c: Comparison, n: int | None, lang: Lang) -> str:
    """The noun after a count ``n`` (None: a published, plural wording)."""
    if c.noun != "interceptions":
        return c.noun[:-1] if n == 1 and c.noun.endswith("s") else c.noun
    # French takes the singular for 0 and 1 as well as English does for 1 alone.
    one = n is not None and (n == 1 or (lang == "fr" and n == 0))
    return say(lang, "noun_one" if one else "noun")


def sentence(c: Comparison, kind: Kind, lang: Lang = "en") -> str:
    """One comparison as a sentence in ``lang``.

    >>> c = Comparison("Alberta", Period.parse("2025-01..2025-02"), 20,
    ...                Period.parse("2024-01..2024-12"), 7)
    >>> sentence(c, "internal")
    'Alberta: 20 interceptions Jan–Feb 2025, up from 7 in all of 2024.'
    >>> sentence(c, "publishable")
    'Alberta: 20 interceptions Jan–Feb 2025, up from 5 in all of 2024.'
    >>> sentence(Comparison("Alberta", Period.parse("2025-02"), 1,
    ...                     Period.parse("2024-02"), 1), "internal", "fr")
    "Alberta : 1 interception en février 2025, autant qu'en février 2024."
    """
    now = _when(c.current, always_in=False, lang=lang)
    before = _when(c.previous, always_in=True, lang=lang)
    # French elides "que" before a vowel: "autant qu'en février", "autant que sur ...".
    than = f"qu'{before}" if before[:1] in "aeiouéAEIOUÉ" else f"que {before}"
    than = f"as {before}" if lang == "en" else than
    words = {"subject": c.subject, "now": now, "before": before, "few": say(lang, "few"),
             "than_before": than}  # fmt: skip
    if kind == "internal":
        cur, prev = c.current_count, c.previous_count
        change = "same" if cur == prev else "up" if cur > prev else "down"
        return say(lang, change, count=number(cur, lang), noun=_noun(c, cur, lang),
                   previous=number(prev, lang), **words)  # fmt: skip
    p_cur, p_prev = published(c.current_count), published(c.previous_count)
    noun = _noun(c, None, lang)
    if p_cur is None and p_prev is None:
        return say(lang, "few_both", noun=noun, **words)
    if p_cur is None:
        return say(lang, "down", count=words["few"], noun=noun, previous=number(p_prev or 0, lang),
                   **words)  # fmt: skip
    if p_prev is None:
        return say(lang, "up", count=number(p_cur, lang), noun=noun, previous=words["few"],
                   **words)  # fmt: skip
    change = "about_same" if p_cur == p_prev else "up" if p_cur > p_prev else "down"
    return say(lang, change, count=number(p_cur, lang), noun=noun,
               previous=number(p_prev, lang), **words)  # fmt: skip


def comparisons(
    counts: Counts,
    period: Period,
    *,
    name: Callable[[GroupKey], str] = lambda key: " / ".join(key) or "All",
    year_kind: YearKind = "calendar",
    noun: str = "interceptions",
    groups: Sequence[GroupKey] | None = None,
) -> list[Comparison]:
    """For each group with any count in ``period``: the period against the same months a year
    earlier; each month against the same month a year earlier (when the period has several);
    and, when the period starts a (calendar or fiscal) year, the year so far against the
    whole previous year. ``counts`` must cover the previous year too."""
    out: list[Comparison] = []
    year_before = period.shifted(-12)
    first_of_year = months_of_year(year_of_month(period.first, year_kind), year_kind)[0]
    for group in groups if groups is not None else counts.groups():
        current = counts.total(group=group, period=period)
        if current == 0:
            continue
        subject = name(group)
        pairs = [(period, year_before)]
        if period.first != period.last:
            pairs += [
                (Period(m, m), Period(m - 12, m - 12))
                for m in period.months
                # A month with nobody either year says nothing worth a sentence.
                if counts.get(group, m) or counts.get(group, m - 12)
            ]
        if period.first == first_of_year:
            previous_year = year_of_month(period.first, year_kind) - 1
            whole_year = (period, Period.year(previous_year, year_kind))
            if whole_year not in pairs:  # a whole year against the year before: said once
                pairs.append(whole_year)
        out.extend(
            Comparison(
                subject,
                now,
                counts.total(group=group, period=now),
                before,
                counts.total(group=group, period=before),
                noun,
            )
            for now, before in pairs
        )
    return out
