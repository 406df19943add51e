"""The dashboard's files, /docs and the basemap come from the service itself (pages.py):
Swagger UI from the installed front-end packages, no page naming another host; without the
packages the pages say which command installs them and the API still answers."""

from __future__ import annotations

import re
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
    return TestClient(create_app(build_service(ServiceConfig(db=tmp_path / "s.db",
                                                             **config))))  # type: ignore[arg-type]


def links(html: str) -> list[str]:
    return [a or b for a, b in LINKS.findall(html)]


needs_vendor = pytest.mark.skipif(not pages.vendor_installed(),
                                  reason="front-end packages not installed: make web")


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
