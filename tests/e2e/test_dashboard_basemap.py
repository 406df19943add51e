"""The operator's offline basemap in a real browser (Debian's Chromium, headless): with
`serve --basemap FILE.pmtiles` the dashboard adds it under the vector layers as a base
layer, and protomaps-leaflet reads it from this service in byte ranges (206), nothing from
elsewhere. The file here is a PMTiles header's magic and filler, not a real map: what is
checked is the wiring and the range requests, not the drawing of tiles."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from tests.cdp import CHROMIUM, NEEDS_CHROMIUM, chromium_page
from tests.serve_process import serving

from borderwatch.adapters.sqlite.keys import KeyStore
from borderwatch.domain.access import Role

pytestmark = NEEDS_CHROMIUM


def test_the_dashboard_reads_the_basemap_in_ranges_from_this_service(tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    basemap = tmp_path / "region.pmtiles"
    basemap.write_bytes(b"PMTiles\x03" + bytes(16384))
    keys = KeyStore(db)
    operator, _ = keys.create("RCMP-K", Role.OPERATOR, "test")
    keys.close()
    assert CHROMIUM is not None
    with serving("--db", str(db), "--basemap", str(basemap)) as link, \
            chromium_page(CHROMIUM) as page:
        base = link.split("/#", 1)[0].rstrip("/")
        page.send("Network.enable")
        page.send("Page.navigate", url=f"{base}/#key={operator}")
        page.wait_for("[...document.querySelectorAll('.leaflet-control-layers-base label')]"
                      ".some((l) => l.textContent.includes('Basemap'))", 20,
                      "the basemap in the layer control")
        page.wait_for("document.querySelector('.leaflet-control-layers-base input:checked')"
                      "?.parentElement.textContent.includes('Basemap')", 5,
                      "the basemap chosen as the base layer")
        page.wait_for("performance.getEntriesByType('resource')"
                      ".some((e) => e.name.endsWith('/basemap.pmtiles'))", 10,
                      "the reader to ask for the basemap")
        asked = [e["params"] for e in page.events
                 if e.get("method") == "Network.requestWillBeSent"
                 and e["params"]["request"]["url"].endswith("/basemap.pmtiles")]
        answered = [e["params"]["response"] for e in page.events
                    if e.get("method") == "Network.responseReceived"
                    and e["params"]["response"]["url"].endswith("/basemap.pmtiles")]
        hosts = {urlsplit(e["params"]["request"]["url"]).hostname for e in page.events
                 if e.get("method") == "Network.requestWillBeSent"}
    assert asked and all("range" in {h.lower() for h in a["request"]["headers"]}
                         for a in asked), asked
    assert answered and all(r["status"] == 206 for r in answered), answered
    assert hosts - {None} == {"127.0.0.1"}, hosts
