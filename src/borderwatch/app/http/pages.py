"""The dashboard's pages and files, the API's documentation page, and the operator's
basemap: everything from this service, nothing from another host (docs/dashboard.md).

The front-end packages (Leaflet, mgrs, Swagger UI, protomaps-leaflet) are not in the
repository: ``scripts/install-web.sh`` copies them from ``web/node_modules`` into
``static/vendor/``. Without them the dashboard still loads (it says which command installs
the map) and ``/docs`` says the same instead of a blank page."""

# No `from __future__ import annotations`: FastAPI reads the annotations at run time.
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

STATIC = Path(__file__).with_name("static")
VENDOR = STATIC / "vendor"
INSTALL_HINT = "make web (or scripts/install-web.sh)"
"""The command that installs the front-end packages, as the pages name it."""
SCRIPTS = (
    "i18n.js",
    "lang/dashboard.js",
    "dashboard.js",
    "map.js",
    "timeline.js",
    "forms.js",
    "pages.js",
    "field.js",
    "officer.js",
    "notices.js",
    "stats.js",
    "lang/pages.js",
    "lang/server.js",
)
"""The pages' own scripts, served from ``static/`` at the root (the dashboard's strings in
English and French in ``lang/dashboard.js``, the people's pages' in ``lang/pages.js``, what
the server writes in ``lang/server.js``)."""
PAGES = {
    "/field": "field.html",
    "/officer": "officer.html",
    "/notices": "notices.html",
    "/stats": "stats.html",
}
"""The people's pages (docs/officers.md): the field team's report, the screening officer's
desk, the partner's handoff notices, the decision statistics. Each file holds its
``<title>`` line, then its body; ``static/page.html`` is the frame around it (:func:`page_html`)."""
FRAME = "page.html"
SWAGGER = "/vendor/swagger-ui/"


def vendor_installed() -> bool:
    return (VENDOR / "leaflet" / "leaflet.js").is_file()


def page_routes(*, openapi_url: str, title: str, basemap: Path | None) -> APIRouter:
    """The dashboard (``/``, its scripts), ``/vendor/...``, ``/docs`` and, when the operator
    gave one, the basemap at ``/basemap.pmtiles``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def dashboard() -> HTMLResponse:
        return HTMLResponse(
            (STATIC / "dashboard.html").read_text("utf-8"), headers={"Cache-Control": "no-store"}
        )

    for path, name in PAGES.items():
        router.add_api_route(path, _page(name), methods=["GET"])
    for name in SCRIPTS:
        router.add_api_route(f"/{name}", _script(name), methods=["GET"])

    @router.get("/pages.css")
    def pages_css() -> Response:
        return Response(
            (STATIC / "pages.css").read_bytes(),
            media_type="text/css",
            headers={"Cache-Control": "no-store"},
        )

    @router.get("/vendor/{path:path}")
    def vendor(path: str) -> FileResponse:
        base = VENDOR.resolve()
        target = (base / path).resolve()
        # A path that leaves the folder (``..``, a link out) is answered like a missing file.
        if not target.is_relative_to(base) or not target.is_file() or target.name.startswith("."):
            raise HTTPException(404, f"not installed: run {INSTALL_HINT}")
        return FileResponse(target, headers={"Cache-Control": "max-age=3600"})

    @router.get("/docs")
    def docs() -> HTMLResponse:
        if not (VENDOR / "swagger-ui" / "swagger-ui-bundle.js").is_file():
            return HTMLResponse(
                f"<!doctype html><title>{title} — API</title><p>The API documentation page "
                f"needs Swagger UI, which is not installed: run <code>{INSTALL_HINT}</code>. "
                f'The OpenAPI document is at <a href="{openapi_url}">{openapi_url}</a>.</p>'
            )
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — API",
            swagger_js_url=f"{SWAGGER}swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}favicon-32x32.png",
        )

    @router.get("/v1/basemap")
    def basemap_info() -> dict[str, object]:
        """Whether the operator supplied a basemap (the page asks before drawing one)."""
        return {"basemap": "/basemap.pmtiles" if basemap is not None else None}

    if basemap is not None:

        @router.get("/basemap.pmtiles")
        def basemap_file() -> FileResponse:
            # The reader asks for byte ranges (the PMTiles header, then directories and
            # tiles); Starlette's FileResponse answers Range with 206 (docs/gotchas.md).
            return FileResponse(
                basemap,
                media_type="application/vnd.pmtiles",
                headers={"Cache-Control": "max-age=3600"},
            )

    return router


def _script(name: str) -> Callable[[], Response]:
    def serve() -> Response:
        return Response(
            (STATIC / name).read_bytes(),
            media_type="text/javascript",
            headers={"Cache-Control": "no-store"},
        )

    serve.__name__ = f"script_{name.replace('.', '_').replace('/', '_')}"
    return serve


def page_html(name: str) -> str:
    """A people's page: the shared frame (the head, the style, the scripts every page
    loads) around the page's own file, then the page's script (``field.html``:
    ``field.js``)."""
    title, body = (STATIC / name).read_text("utf-8").split("\n", 1)
    if not title.startswith("<title>"):
        raise ValueError(f"static/{name} must open with its <title> line")
    script = f'<script src="/{name.removesuffix(".html")}.js"></script>'
    frame = (STATIC / FRAME).read_text("utf-8")
    return (
        frame.replace("<!--title-->", title)
        .replace("<!--body-->\n", body)
        .replace("<!--script-->", script)
    )


def _page(name: str) -> Callable[[], HTMLResponse]:
    def page() -> HTMLResponse:
        return HTMLResponse(page_html(name), headers={"Cache-Control": "no-store"})

    page.__name__ = f"page_{name.replace('.', '_')}"
    return page
