"""Charts for the report, drawn with matplotlib and returned as inline SVG text.

Figures are built with matplotlib's object API (``Figure``), not ``pyplot``: no GUI backend,
no global state, safe in a server. The SVG carries no creation date and a fixed id salt, so
the same data gives the same bytes. A publishable chart plots published values only: a
suppressed value is drawn as an empty hatched bar labelled ``--``, never as its true height.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from borderwatch.domain.lang import Lang
from borderwatch.stats.i18n import number, say
from borderwatch.stats.publication import SUPPRESSED, published

_BLUE: Final = "#2b6cb0"
_GREY: Final = "#a0aec0"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "borderwatch", "svg.fonttype": "path"}):
        # No date (same data, same bytes) and no RDF block naming a web address.
        metadata = dict.fromkeys(("Date", "Creator", "Format", "Type"))
        figure.savefig(buffer, format="svg", metadata=metadata, bbox_inches="tight")
    text = buffer.getvalue()
    # Inline in HTML: drop the XML prolog and DOCTYPE, keep the <svg> element.
    return text[text.index("<svg") :]


def _shown(
    values: Sequence[int], publishable: bool, lang: Lang = "en"
) -> tuple[list[float], list[str]]:
    heights: list[float] = []
    labels: list[str] = []
    for v in values:
        p = published(v) if publishable else v
        heights.append(0.0 if p is None else float(p))
        labels.append(SUPPRESSED if p is None else number(p, lang))
    return heights, labels


def _mark(figure: Figure, simulated: bool, publishable: bool, lang: Lang) -> None:
    notes = []
    if simulated:
        notes.append(say(lang, "chart_simulated"))
    notes.append(say(lang, "chart_publishable" if publishable else "chart_exact"))
    # Below the tick labels (the saved area grows to hold it), so nothing overlaps.
    figure.text(0.5, -0.04, " · ".join(notes), ha="center", va="top", fontsize=7, color="#c53030")


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    publishable: bool,
    simulated: bool,
    compare: Sequence[Bar] | None = None,
    compare_label: str | None = None,
    current_label: str = "",
    lang: Lang = "en",
) -> str:
    """Vertical bars (optionally beside a comparison series) as SVG text, its words and
    numbers in ``lang`` (the caller gives the title and bar labels already in it)."""
    compare_label = say(lang, "chart_year_before") if compare_label is None else compare_label
    figure = Figure(figsize=(7.0, 3.2), dpi=100)
    axes = figure.add_subplot()
    n = len(bars)
    positions = list(range(n))
    width = 0.4 if compare else 0.7
    heights, labels = _shown([b.value for b in bars], publishable, lang)
    offset = width / 2 if compare else 0.0
    drawn = axes.bar(
        [p + offset for p in positions],
        heights,
        width,
        color=_BLUE,
        label=current_label or None,
    )
    _hatch_suppressed(drawn, labels)
    axes.bar_label(drawn, labels=labels, fontsize=8, padding=2)
    if compare:
        old_heights, old_labels = _shown([b.value for b in compare], publishable, lang)
        old = axes.bar(
            [p - offset for p in positions], old_heights, width, color=_GREY, label=compare_label
        )
        _hatch_suppressed(old, old_labels)
        axes.bar_label(old, labels=old_labels, fontsize=8, padding=2)
        # Handles of their own: the first bar may be a hatched, suppressed one.
        handles = [
            Patch(facecolor=_BLUE, label=current_label or say(lang, "chart_this_period")),
            Patch(facecolor=_GREY, label=compare_label),
        ]
        axes.legend(handles=handles, fontsize=8, frameon=False)
    axes.set_xticks(positions, [b.label for b in bars], fontsize=8, rotation=0 if n < 8 else 45)
    axes.set_ylabel(say(lang, "chart_people"), fontsize=8)
    axes.set_title(title, fontsize=10)
    top = max(
        [0.0, *heights, *(_shown([b.value for b in compare], publishable)[0] if compare else [])]
    )
    axes.set_ylim(0, max(top * 1.25, 10.0))
    axes.spines[["top", "right"]].set_visible(False)
    _mark(figure, simulated, publishable, lang)
    return _svg(figure)


def _hatch_suppressed(bars: object, labels: Sequence[str]) -> None:
    for patch, label in zip(getattr(bars, "patches", []), labels, strict=False):
        if label == SUPPRESSED:
            # An empty outlined bar: present, but of no height that could be read.
            patch.set_height(0.0)
            patch.set_hatch("///")
            patch.set_edgecolor(_GREY)
