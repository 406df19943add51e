"""The dashboard for a user who skipped `make web`, in a real browser (Debian's Chromium,
headless): the vendor files are blocked, as if never installed; the page says which
command installs the map, the rest of it works, and no script fails."""

from __future__ import annotations

from pathlib import Path

from tests.cdp import CHROMIUM, NEEDS_CHROMIUM, chromium_page
from tests.serve_process import serving

from borderwatch.adapters.sqlite.keys import KeyStore
from borderwatch.domain.access import Role

pytestmark = NEEDS_CHROMIUM


def test_without_the_packages_the_page_says_how_to_install_the_map(tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    keys = KeyStore(db)
    operator, _ = keys.create("RCMP-K", Role.OPERATOR, "test")
    keys.close()
    assert CHROMIUM is not None
    with serving("--db", str(db)) as link, chromium_page(CHROMIUM) as page:
        base = link.split("/#", 1)[0].rstrip("/")
        page.send("Network.enable")
        page.send("Network.setBlockedURLs", urls=["*/vendor/*"])
        page.send("Page.navigate", url=f"{base}/#key={operator}")
        page.wait_for("document.querySelector('#who')?.textContent.includes('operator')",
                      20, "the dashboard to log in with the operator key")
        text = page.wait_for("document.querySelector('#map.map-missing')?.textContent", 10,
                             "the map's place to say it is not installed")
        assert "The map is not installed" in text and "make web" in text, text
        page.wait_for("document.querySelector('#feed').textContent === 'feed: live'", 10,
                      "the live feed without the map")
        assert page.evaluate("typeof window.L") == "undefined"  # the block did hold
        assert page.exceptions() == []
