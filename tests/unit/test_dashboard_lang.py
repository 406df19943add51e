"""The dashboard in both languages: every English string has a French one, no French string
is left without its English key, and every key the page's scripts and HTML ask for is
there (static/lang/dashboard.js; i18n.js would show a missing key as the key itself)."""

from __future__ import annotations

import re

from borderwatch.app.http.pages import STATIC

LANG = STATIC / "lang" / "dashboard.js"
PAGE_FILES = ("dashboard.html", "dashboard.js", "map.js", "timeline.js")


def strings(lang: str) -> dict[str, str]:
    """The language's strings from every ``BWI18n.add`` block of the file (a feature may
    bring its strings in a block of its own)."""
    text = LANG.read_text("utf-8")
    blocks = re.findall(rf"^  {lang}: \{{\n(.*?)^  \}},$", text, re.S | re.M)
    assert blocks, f"no {lang} block in {LANG.name}"
    found: dict[str, str] = {}
    for block in blocks:
        pairs = re.findall(r'^    "([^"]+)": "((?:[^"\\]|\\.)*)",$', block, re.M)
        lines = [line for line in block.splitlines() if line.strip()]
        assert len(pairs) == len(lines), "a line the test cannot read: one string a line"
        assert not set(found) & {k for k, _ in pairs}, "a key given twice"
        found.update(pairs)
    return found


def test_every_english_string_has_a_french_one() -> None:
    en, fr = strings("en"), strings("fr")
    assert len(en) > 100
    assert sorted(set(en) - set(fr)) == []
    assert sorted(set(fr) - set(en)) == []
    assert [k for k, v in fr.items() if not v.strip()] == []
    # The placeholders match: a French string names the same values as its English one.
    names = re.compile(r"\{(\w+)\}")
    assert [k for k in en if set(names.findall(en[k])) != set(names.findall(fr[k]))] == []


def test_every_key_the_page_asks_for_is_there() -> None:
    en = strings("en")
    asked: set[str] = set()
    for name in PAGE_FILES:
        text = (STATIC / name).read_text("utf-8")
        asked |= set(re.findall(r'\bt\("([\w.]+)"', text))
        asked |= set(re.findall(r'data-i18n(?:-[a-z-]+)?="([^"]+)"', text))
        asked |= set(re.findall(r'feed\("([\w.]+)"', text))
    assert len(asked) > 80
    assert sorted(asked - set(en)) == []
