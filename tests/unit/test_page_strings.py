"""The people's pages speak English and French: every English string of
static/lang/pages.js has its French, and every key the pages use exists. The string
file is read simply (flat "key": "text" pairs and prefixed groups of constant objects),
so its shape stays that simple."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "src/borderwatch/app/http/static"
STRINGS = STATIC / "lang" / "pages.js"
PAGES = ("field", "officer", "notices", "stats")


def _block(source: str, opening: str) -> str:
    """The text of the object literal that starts at ``opening`` up to its ``};``."""
    start = source.index(opening) + len(opening)
    return source[start:source.index("\n  };", start)]


def _keys(source: str, lang: str) -> set[str]:
    groups = {name: set(re.findall(r"(?:^|[{,])\s*(\w+):", _block(source, f"const {name} = {{"),
                                   re.M))
              for name in re.findall(r"const (\w+_(?:EN|FR)) = \{", source)}
    body = _block(source, f"const {lang} = {{")
    keys = set(re.findall(r'"([\w.]+)":', body))
    for prefix, group in re.findall(r'\.\.\.prefixed\("(\w+)", (\w+)\)', body):
        keys |= {f"{prefix}.{k}" for k in groups[group]}
    return keys


def test_every_english_string_has_its_french() -> None:
    source = STRINGS.read_text("utf-8")
    english, french = _keys(source, "en"), _keys(source, "fr")
    assert len(english) > 150
    assert english - french == set()
    assert french - english == set()


def test_every_key_the_pages_use_is_a_string() -> None:
    english = _keys(STRINGS.read_text("utf-8"), "en")
    used: set[str] = set()
    for page in PAGES:
        used |= set(re.findall(r'data-i18n="([\w.]+)"',
                               (STATIC / f"{page}.html").read_text("utf-8")))
        used |= set(re.findall(r'T\("([\w.]+\w)"', (STATIC / f"{page}.js").read_text("utf-8")))
    used |= set(re.findall(r'T\("([\w.]+\w)"', (STATIC / "forms.js").read_text("utf-8")))
    assert used, "no key found: the pattern no longer matches the pages"
    assert used - english == set()
