"""The dashboard's files, /docs and the basemap come from the service itself (pages.py):
Swagger UI from the installed front-end packages, no page naming another host; without the
packages the pages say which command installs them and the API still answers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from borderwatch.app.bootstrap import build_service
from borderwatch.app.http import pages
from borderwatch.app.http.api import create_app
from borderwatch.app.runtime.config import ServiceConfig

LINKS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


def client_for(tmp_path: Path, **config: object) -> TestClient:
    # Not entered as a context: the lifespan (tracker, feed) is not needed for these files.
    return TestClient(create_app(build_service(ServiceConfig(db=tmp_path / "s.db", **config))))  # type: ignore[arg-type]


def links(html: str) -> list[str]:
    return [a or b for a, b in LINKS.findall(html)]


needs_vendor = pytest.mark.skipif(
    not pages.vendor_installed(), reason="front-end packages not installed: make web"
)


@needs_vendor
def test_docs_are_served_offline_from_the_installed_swagger_ui(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    page = client.get("/docs")
    assert page.status_code == 200
    found = links(page.text)
    assert "/vendor/swagger-ui/swagger-ui-bundle.js" in found, found
    assert "/vendor/swagger-ui/swagger-ui.css" in found, found
    # Every address on the page is this service's: no scheme, no other host.
    assert not [u for u in found if re.match(r"^(https?:)?//", u)], found
    for url in found:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
    assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN


@needs_vendor
def test_the_dashboard_names_no_other_host_and_its_files_load(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    page = client.get("/")
    assert page.status_code == 200
    found = links(page.text)
    assert "/vendor/leaflet/leaflet.js" in found and "/map.js" in found, found
    assert not [u for u in found if re.match(r"^(https?:)?//", u)], found
    for url in found:
        assert client.get(url).status_code == 200, url
    css = client.get("/vendor/leaflet/leaflet.css").text
    for image in re.findall(r"url\(([^)]+)\)", css):
        if not image.startswith(("data:", "#")):
            assert client.get(f"/vendor/leaflet/{image}").status_code == 200, image


def test_a_path_out_of_the_vendor_folder_is_not_served(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    for path in ("/vendor/%2e%2e/pages.py", "/vendor/..%2fpages.py", "/vendor/.installed"):
        assert client.get(path).status_code == 404, path


def test_without_the_packages_the_pages_say_how_to_install_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "VENDOR", tmp_path / "no-vendor")
    client = client_for(tmp_path)
    page = client.get("/")
    assert page.status_code == 200 and "Borderwatch" in page.text
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 404
    docs = client.get("/docs")
    assert docs.status_code == 200 and pages.INSTALL_HINT in docs.text
    assert client.get("/openapi.json").status_code == 200
    # The dashboard's own script carries the same hint for the map's place.
    assert "make web" in client.get("/map.js").text


def pmtiles_file(path: Path) -> Path:
    # A PMTiles v3 header's magic and version, then filler: the service serves bytes, it
    # does not read tiles (protomaps-leaflet does, in the browser).
    path.write_bytes(b"PMTiles\x03" + bytes(range(256)) * 8)
    return path


def test_the_basemap_is_served_in_byte_ranges(tmp_path: Path) -> None:
    basemap = pmtiles_file(tmp_path / "region.pmtiles")
    client = client_for(tmp_path, basemap=basemap)
    assert client.get("/v1/basemap").json() == {"basemap": "/basemap.pmtiles"}
    # The PMTiles reader asks for the 127-byte header first, then directories and tiles.
    part = client.get("/basemap.pmtiles", headers={"Range": "bytes=0-126"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-126/{basemap.stat().st_size}"
    assert part.content == basemap.read_bytes()[:127]
    later = client.get("/basemap.pmtiles", headers={"Range": "bytes=1000-1009"})
    assert later.status_code == 206 and later.content == basemap.read_bytes()[1000:1010]
    assert client.get("/basemap.pmtiles").content == basemap.read_bytes()


def test_without_a_basemap_there_is_none_to_fetch(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    assert client.get("/v1/basemap").json() == {"basemap": None}
    assert client.get("/basemap.pmtiles").status_code == 404


def test_serve_refuses_a_basemap_that_is_not_pmtiles(tmp_path: Path) -> None:
    wrong = tmp_path / "map.mbtiles"
    wrong.write_bytes(b"SQLite format 3\x00" + bytes(100))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "borderwatch",
            "serve",
            "--db",
            str(tmp_path / "s.db"),
            "--port",
            "0",
            "--allow-undeclared-sensors",
            "--basemap",
            str(wrong),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    said = " ".join((result.stdout + result.stderr).split())
    assert "--basemap" in said and "is not a PMTiles archive" in said, said


@pytest.mark.parametrize("path", ["/field", "/officer", "/notices", "/stats"])
def test_the_peoples_pages_and_their_files_load_from_this_service(
    tmp_path: Path, path: str
) -> None:
    """The field, officer, partner and statistics pages (docs/officers.md): served with
    their scripts, strings and style, nothing from another host."""
    client = client_for(tmp_path)
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    found = links(page.text)
    assert {
        "/i18n.js",
        "/lang/pages.js",
        "/forms.js",
        "/pages.css",
        "/lang/server.js",
        "/pages.js",
        f"{path}.js",
    } <= set(found), found
    # The page's title goes into the shared frame's head (pages.py page_html), once.
    head = page.text.split("</head>")[0]
    assert page.text.startswith("<!doctype html>") and page.text.count("<head>") == 1
    assert re.search(r"<title>Borderwatch — [^<]+</title>", head), head
    assert "<!--" not in page.text
    assert not [u for u in found if re.match(r"^(https?:)?//", u)], found
    for url in found:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
