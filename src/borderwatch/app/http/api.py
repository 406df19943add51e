"""The HTTP API, the live feed and the dashboard (FastAPI). Only ``app/http/`` imports the
web framework; the rules of who sees what are in ``roles.py`` and ``views.py``.

Every request to ``/v1`` carries an API key in ``X-API-Key`` (``/metrics`` too, or as
``Authorization: Bearer``); a wrong or missing key is 401, an action the key's role does
not allow is 403, a record that is not the key's agency's to read is 404 like a missing
one, and no error body says anything about the data asked for. Too many wrong keys from
one address, or too many requests on one key, are 429 with Retry-After (domain/limits.py).
"""

# No `from __future__ import annotations` here: FastAPI reads the parameter annotations
# (dependencies defined inside create_app) at run time.
import asyncio
import math
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Security
from fastapi.responses import (
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from borderwatch.alerts import LifecycleError
from borderwatch.app.http.evidence import evidence_routes
from borderwatch.app.http.export import export_routes
from borderwatch.app.http.history import history_routes
from borderwatch.app.http.hub import feed_stream
from borderwatch.app.http.ingest import BodyTooLarge, ingest_batch, read_body
from borderwatch.app.http.layers import map_layers, monthly_stats
from borderwatch.app.http.metrics import render_metrics
from borderwatch.app.http.officers import may_read_case, officer_routes
from borderwatch.app.http.pages import page_routes
from borderwatch.app.http.protocol import BoundedHeadProtocol
from borderwatch.app.http.respond import responder_routes
from borderwatch.app.http.roles import owns
from borderwatch.app.http.sensors import PAGE_MAX, sensor_health_page, sensor_page
from borderwatch.app.http.views import GEOJSON_MEDIA_TYPE, Filters, collection, parse_bbox
from borderwatch.app.runtime.service import Service
from borderwatch.cases import CaseNotFound, case_to_json
from borderwatch.domain import Case, InputError
from borderwatch.domain.access import Action, Principal, Role
from borderwatch.domain.detection import MAX_COUNT
from borderwatch.domain.limits import Limiter
from borderwatch.domain.time import format_time, parse_time
from borderwatch.screening import result_to_json, screen

API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key from "
                       "`borderwatch keys create`; bound to an agency and a role.")
BEARER = HTTPBearer(auto_error=False, description="The same API key as `Authorization: "
                    "Bearer <key>`, for /metrics only (what a Prometheus scrape sends).")


def _json(data: Any, status: int = 200, media_type: str = "application/json") -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=media_type)


def create_app(service: Service) -> FastAPI:
    """The FastAPI app over ``service``: health and metrics, ``POST /v1/detections``, the
    picture (tracks, incidents, sensors, map, live stream), statistics, alerts and cases,
    and the dashboard. The app's lifespan starts the service and closes it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.hub.bind(asyncio.get_running_loop())
        service.start()
        for starter in service.starters:
            starter()
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="Borderwatch",
        version="0.1.0",
        summary="Detections in; tracks, incidents, alerts and cases out, by role.",
        lifespan=lifespan,
        # pages.py serves /docs from local files; ReDoc would come from a CDN.
        docs_url=None,
        redoc_url=None,
    )

    limits = service.config.limits
    failed_keys = Limiter(limits.failed_keys, clock=time.monotonic,
                          max_clients=limits.max_clients)
    per_key = Limiter(limits.per_key, clock=time.monotonic, max_clients=limits.max_clients)

    def authenticate(request: Request, key: str | None) -> Principal:
        """The key's principal, under the limits: an address that sent too many wrong keys
        is refused whatever key it sends until its bucket refills (else the answers
        would still tell a right key from a wrong one); a key is held to its rate."""
        address = request.client.host if request.client else "unknown"
        wait = failed_keys.wait(address)
        if wait > 0:
            raise _too_many("too many wrong API keys from this address", wait)
        found = service.keys.lookup(key) if key else None
        if found is None:
            if key:  # a wrong key, not a missing one: only guessing is limited
                failed_keys.take(address)
            raise HTTPException(401, "missing or unknown API key",
                                headers={"WWW-Authenticate": "X-API-Key"})
        wait = per_key.take(found.key_id)
        if wait > 0:
            raise _too_many("too many requests on this API key", wait)
        return found

    def principal(
        request: Request, key: Annotated[str | None, Security(API_KEY)] = None
    ) -> Principal:
        return authenticate(request, key)

    def allowed(action: Action) -> Any:
        def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
            if not who.may(action):
                raise HTTPException(403, f"the role {who.role.value} may not do this")
            return who
        return check

    Reader = Annotated[Principal, Depends(allowed(Action.READ))]

    def filters(
        since: Annotated[str | None, Query(description="RFC 3339 with offset")] = None,
        until: Annotated[str | None, Query(description="RFC 3339 with offset")] = None,
        bbox: Annotated[str | None, Query(description="west,south,east,north")] = None,
    ) -> Filters:
        field = "since"
        try:
            start = parse_time(since, "since") if since is not None else None
            field = "until"
            end = parse_time(until, "until") if until is not None else None
            field = "bbox"
            box = parse_bbox(bbox) if bbox is not None else None
        except (InputError, ValueError) as err:
            # The shape FastAPI documents for every 422 (HTTPValidationError).
            raise HTTPException(
                422, [{"loc": ["query", field], "msg": str(err), "type": "value_error"}]
            ) from None
        return Filters(since=start, until=end, bbox=box)

    Filtered = Annotated[Filters, Depends(filters)]

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        # Never echo what failed: it could hold someone's data.
        return JSONResponse({"detail": "internal error"}, status_code=500)

    # -- service ---------------------------------------------------------------------

    @app.get("/healthz", tags=["service"], responses={503: {"description": "The tracker "
             "stopped: nothing is tracked, ingest is refused (or, with strict, "
             "degraded)"}})
    def healthz(strict: Annotated[bool, Query(description="Answer 503 when degraded, "
                                              "for a monitor that reads only the code")]
                = False) -> Response:
        """``ok``, ``recovering``, ``degraded`` (with its ``reasons``: too many refused or
        late detections, the tracker's backlog or stall, a silent declared sensor; 200,
        or 503 with ``strict``) or ``stopped`` (503: the tracker is gone)."""
        live = service.live
        if live.stopped is not None:
            return _json({"status": "stopped", "reason": live.stopped, "pending": live.pending,
                          "started_at": service.started_at}, 503)
        health = service.health()
        status = "recovering" if live.recovering else health.status
        return _json({"status": status, "reasons": list(health.reasons),
                      "pending": live.pending, "started_at": service.started_at},
                     503 if strict and health.reasons else 200)

    def scraper(
        request: Request,
        key: Annotated[str | None, Security(API_KEY)] = None,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
    ) -> Principal:
        who = authenticate(request, key or (bearer.credentials if bearer else None))
        # The counters are the whole deployment's: its own agency's keys only.
        if not who.may(Action.METRICS) or service.viewer.restricted(who):
            raise HTTPException(403, f"the role {who.role.value} of {who.agency} may not "
                                "read the metrics")
        return who

    @app.get("/metrics", tags=["service"], response_class=PlainTextResponse)
    def metrics(who: Annotated[Principal, Depends(scraper)]) -> PlainTextResponse:
        """Prometheus text (0.0.4); a key of the deployment's agency with the role monitor,
        operator or admin, as ``X-API-Key`` or ``Authorization: Bearer``."""
        return PlainTextResponse(render_metrics(service), media_type="text/plain; version=0.0.4")

    @app.get("/v1/whoami", tags=["service"])
    def whoami(who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
        return {"agency": who.agency, "role": who.role.value, "key_id": who.key_id,
                "replay": service.config.replay,
                "replay_state": service.extras.get("replay_state"),
                "simulated": service.live.simulated_seen}

    # -- ingest ----------------------------------------------------------------------

    @app.post(
        "/v1/detections",
        tags=["ingest"],
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Detection"}}}}}},
        responses={429: {"description": "Back-pressure: retry after Retry-After seconds"},
                   413: {"description": "Batch or body too large"}},
    )
    async def post_detections(
        request: Request, who: Annotated[Principal, Depends(allowed(Action.INGEST))]
    ) -> Response:
        try:
            body = await read_body(request, service.config.max_body_bytes)
        except BodyTooLarge as err:  # the rest is not read: the connection is closed
            return Response(orjson.dumps({"detail": str(err)}), status_code=413,
                            media_type="application/json", headers={"Connection": "close"})
        status, result, headers = await asyncio.to_thread(ingest_batch, service, body, who)
        return Response(orjson.dumps(result), status_code=status,
                        media_type="application/json", headers=headers)

    # -- the picture -----------------------------------------------------------------

    @app.get("/v1/tracks", tags=["picture"], response_class=Response,
             responses={200: {"content": {GEOJSON_MEDIA_TYPE: {}}}})
    def tracks(who: Reader, where: Filtered) -> Response:
        features = service.viewer.track_features(who, [
            t for t in service.live.snapshot_tracks()
            if where.keep(t["lat"], t["lon"], t["time"])
        ])
        return _json(collection(features, simulated=_simulated(features)), 200,
                     GEOJSON_MEDIA_TYPE)

    @app.get("/v1/incidents", tags=["picture"], response_class=Response,
             responses={200: {"content": {GEOJSON_MEDIA_TYPE: {}}}})
    def incidents(who: Reader, where: Filtered) -> Response:
        features = [
            service.viewer.incident_feature(who, i)
            for i in service.live.snapshot_incidents()
            if where.keep(i["lat"], i["lon"], i["time"])
        ]
        return _json(collection(features, simulated=_simulated(features)), 200,
                     GEOJSON_MEDIA_TYPE)

    @app.get("/v1/sensors", tags=["picture"], response_class=Response,
             responses={200: {"content": {GEOJSON_MEDIA_TYPE: {}}}})
    def sensors(
        who: Reader, where: Filtered,
        limit: Annotated[int, Query(ge=1, le=PAGE_MAX, description="Sensors per page")]
        = PAGE_MAX,
        cursor: Annotated[str | None, Query(max_length=1000, description="The "
                                            "next_cursor of the page before")] = None,
    ) -> Response:
        """The sensors by id, one page at a time: follow ``next_cursor`` (null on the
        last page)."""
        features, after = sensor_page(service, who, where, limit, cursor)
        body = collection(features, simulated=_simulated(features))
        body["next_cursor"] = after
        return _json(body, 200, GEOJSON_MEDIA_TYPE)

    @app.get("/v1/sensors/health", tags=["picture"])
    def sensors_health(
        who: Reader,
        limit: Annotated[int, Query(ge=1, le=PAGE_MAX, description="Sensors per page")]
        = PAGE_MAX,
        cursor: Annotated[str | None, Query(max_length=1000, description="The "
                                            "next_cursor of the page before")] = None,
    ) -> dict[str, Any]:
        """Each sensor's health, by id, one page at a time: last report, reports taken
        per minute and refused over the recent window (``window_s``), refused in all,
        expected interval and whether it is silent past it."""
        body, after = sensor_health_page(service, who, limit, cursor)
        return {**body, "next_cursor": after}

    @app.get("/v1/map", tags=["picture"], response_class=Response,
             responses={200: {"content": {GEOJSON_MEDIA_TYPE: {}}}})
    def map_data(who: Reader) -> Response:
        """The boundary segments and the ports of entry (public reference data)."""
        return _json(map_layers(service.boundary, service.places), 200, GEOJSON_MEDIA_TYPE)

    @app.get("/v1/stats/monthly", tags=["statistics"])
    def stats_monthly(who: Reader) -> dict[str, Any]:
        """People intercepted per local month, from the case store (exact internal counts
        for the responsible side; a partner gets only the publishable figures)."""
        # Citizenship and demographic come from the officer's facts in force, when the
        # service has an officers' desk (its audit log holds the entries).
        entered = service.officers.entered_all() if service.officers is not None else None
        return monthly_stats(service.cases, publishable=service.viewer.restricted(who),
                             entered=entered)

    # -- alerts ----------------------------------------------------------------------

    @app.get("/v1/alerts", tags=["alerts"])
    def alerts(who: Reader, status: str | None = None) -> dict[str, Any]:
        seen = [service.viewer.alert(who, s) for s in service.live.alert_states()]
        items = [a for a in seen if a is not None and (status is None or a["status"] == status)]
        return {"alerts": items, "simulated": any(a["simulated"] for a in items)}

    def _alert_action(alert_id: str, who: Principal) -> None:
        state = service.live.alert_state(alert_id)
        # An alert the key may not even see is answered as a missing one (no existence
        # leak); one it sees but another unit owns is 403.
        if state is None or service.viewer.alert(who, state) is None:
            raise HTTPException(404, "no such alert")
        if who.role is not Role.ADMIN and not owns(
            who.agency, state["unit"]["unit_id"], state["unit"]["agency"]
        ):
            raise HTTPException(403, "this alert belongs to another agency")

    Acker = Annotated[Principal, Depends(allowed(Action.ACK))]
    # The person's name is theirs to give; the key that authenticated is kept beside it.
    By = Annotated[str, Query(max_length=100, description="The person's name")]
    Note = Annotated[str, Query(max_length=500, description="What they say about it")]

    def _by(who: Principal, name: str) -> str:
        key = f"{who.agency} ({who.key_id})"
        return f"{name.strip()}, {key}" if name.strip() else key

    @app.post("/v1/alerts/{alert_id}/ack", tags=["alerts"])
    def ack(alert_id: str, who: Acker, by: By = "", note: Note = "") -> dict[str, Any]:
        _alert_action(alert_id, who)
        try:
            return service.viewer.alert(who, service.live.acknowledge(
                alert_id, _by(who, by), service.clock(), note.strip())) or {}
        except LifecycleError as err:
            raise HTTPException(409, str(err)) from None

    @app.post("/v1/alerts/{alert_id}/resolve", tags=["alerts"])
    def resolve(alert_id: str, who: Acker, by: By = "", note: Note = "",
                reason: str = "") -> dict[str, Any]:
        _alert_action(alert_id, who)
        try:  # ``reason`` is the older name of ``note``
            return service.viewer.alert(who, service.live.resolve(
                alert_id, _by(who, by), service.clock(), (note or reason[:500]).strip())) or {}
        except LifecycleError as err:
            raise HTTPException(409, str(err)) from None

    # -- cases -----------------------------------------------------------------------

    @app.get("/v1/cases", tags=["cases"])
    def cases(who: Annotated[Principal, Depends(allowed(Action.READ_CASE))]) -> dict[str, Any]:
        mine = [c for c in service.cases.list_cases() if _owner_ok(who, c)]
        return {"cases": mine}

    def _owner_ok(who: Principal, case_id: str) -> bool:
        try:
            return may_read_case(service, who, service.cases.get_case(case_id))
        except CaseNotFound:  # gone since it was listed
            return False

    @app.get("/v1/cases/{case_id}", tags=["cases"])
    def case(
        case_id: str, who: Annotated[Principal, Depends(allowed(Action.READ_CASE))]
    ) -> dict[str, Any]:
        """A case with its people: screening officers of the owning agency only; every
        read is written to the disclosure log."""
        return case_to_json(_read_case(case_id, who, "case_read"))

    @app.get("/v1/cases/{case_id}/screening", tags=["cases"])
    def case_screening(
        case_id: str, who: Annotated[Principal, Depends(allowed(Action.READ_CASE))]
    ) -> dict[str, Any]:
        """Each person of a case screened under the Safe Third Country Agreement with only
        what the case records (``borderwatch screen``): outcome (``eligible_either_way``
        when the rule is open but every open rule ends eligible), the rule and its citation,
        the open branches, the next step and the facts an officer must still establish.
        Decision support, not a decision (IRPA 100(1)); same access and logging as the case
        itself."""
        record = _read_case(case_id, who, "screening_read")
        try:
            # The facts an officer entered, once there are (officers.py's /proposal).
            facts = (case_to_json(record) if service.officers is None
                     else service.officers.facts(case_id))
            return result_to_json(screen(facts))
        except InputError as err:  # a stored case the screening cannot read: say which field
            raise HTTPException(422, f"the case cannot be screened: {err}") from None

    def _read_case(case_id: str, who: Principal, kind: str) -> Case:
        """The case, if ``who`` is of the agency that owns it; the read is logged. Another
        agency's case is answered as a missing one (the same 404, the same body), so the
        answer does not tell that it exists."""
        try:
            record = service.cases.get_case(case_id)
        except CaseNotFound:
            record = None
        if record is None or not may_read_case(service, who, record):
            raise HTTPException(404, "no such case")
        service.alerts.disclosures.record({
            "time": format_time(datetime.now(UTC)), "kind": kind, "case_id": case_id,
            "alert_id": f"{kind.replace('_', '-')}:{case_id}", "recipient": who.agency,
            "agency": who.agency, "key_id": who.key_id, "role": who.role.value,
            "channel": "api", "fields": ["people", "relations"],
            "basis": "screening officer of an agency that owns or screens the case",
            "simulated": record.simulated,
        })
        return record

    # -- responders (respond.py) ------------------------------------------------------

    app.include_router(responder_routes(service, allowed(Action.READ), allowed(Action.ASSIGN)))
    app.include_router(evidence_routes(service, allowed(Action.READ)))
    # The replay is a producer of detections: steered by the roles that may feed them.
    app.include_router(history_routes(service, allowed(Action.READ), allowed(Action.INGEST)))
    app.include_router(officer_routes(service, allowed(Action.READ_CASE), allowed(Action.DECIDE),
                                      allowed(Action.READ)))

    # -- export of tracks and incidents as GeoJSON and KML (export.py) ----------------

    app.include_router(export_routes(service, allowed(Action.READ), filters))

    # -- live feed -------------------------------------------------------------------

    @app.get("/v1/stream", tags=["picture"], response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}}}})
    async def stream(who: Reader, request: Request) -> StreamingResponse:
        """Server-Sent Events: ``tracks`` (GeoJSON features), ``incident``, ``alert``, each
        in the caller's view; a comment line every 15 s keeps proxies from closing it. A
        connection that falls behind is sent ``resync``: reload the picture (hub.py)."""
        hello = {"type": "hello", "role": who.role.value,
                 "simulated": service.live.simulated_seen, "replay": service.config.replay}
        events = feed_stream(service.hub, service.viewer, who, hello, service.feed_disclosures)
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # -- dashboard, its files, /docs and the basemap (pages.py) ------------------------

    app.include_router(page_routes(openapi_url=app.openapi_url or "/openapi.json",
                                   title=app.title, basemap=service.config.basemap))

    _add_schemas(app)
    return app


def _too_many(reason: str, wait_s: float) -> HTTPException:
    # Retry-After in whole seconds, rounded up (RFC 9110 section 10.2.3).
    return HTTPException(429, reason, headers={"Retry-After": str(max(1, math.ceil(wait_s)))})


def _simulated(features: list[dict[str, Any]]) -> bool:
    return any(f["properties"].get("simulated") for f in features)


def _add_schemas(app: FastAPI) -> None:
    """The detection wire format in the OpenAPI document (docs/references.md), so clients and the
    fuzzer know the ingest body; the endpoint validates each item itself to report per-item
    errors instead of refusing the whole batch."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = base()
        schema.setdefault("components", {}).setdefault("schemas", {})["Detection"] = {
            "type": "object",
            "required": ["time", "sensor_id", "lat", "lon"],
            "properties": {
                "time": {"type": "string", "format": "date-time"},
                "sensor_id": {"type": "string", "minLength": 1},
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                "sigma_m": {"type": "number", "exclusiveMinimum": 0},
                "kind": {"type": "string", "enum": ["person", "vehicle", "animal", "unknown"]},
                "count": {"type": "integer", "minimum": 1},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "id": {"type": "string"},
                "simulated": {"type": "boolean"},
                "count_low": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
                "count_high": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
            },
        }
        schemas = schema["components"]["schemas"]
        schemas["Error"] = {
            "type": "object", "required": ["detail"],
            "properties": {"detail": {"type": "string"}},
        }
        schemas["FeatureCollection"] = {
            "type": "object", "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "items": {
                    "type": "object", "required": ["type", "geometry", "properties"],
                    "properties": {"type": {"const": "Feature"},
                                   "geometry": {"type": ["object", "null"]},
                                   "properties": {"type": ["object", "null"]}}}},
                "simulated": {"type": "boolean"},
            },
        }
        schemas["IngestResult"] = {
            "type": "object", "required": ["accepted", "duplicates", "errors", "simulated"],
            "properties": {
                "accepted": {"type": "integer", "minimum": 0},
                "duplicates": {"type": "array", "items": {"type": "integer"}},
                "errors": {"type": "array", "items": {
                    "type": "object", "required": ["index", "field", "reason"],
                    "properties": {"index": {"type": "integer"},
                                   "field": {"type": ["string", "null"]},
                                   "reason": {"type": "string"}}}},
                "simulated": {"type": "boolean"},
            },
        }
        _document_answers(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _ref(name: str, media_type: str = "application/json") -> dict[str, Any]:
    return {"content": {media_type: {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


_ERRORS = {
    "400": "The body is not JSON",
    "401": "Missing or unknown API key",
    "403": "The key's role may not do this",
    "404": "No such record (or not the key's agency's to read: the same answer)",
    "409": "Not possible in the alert's current state",
    "413": "Batch or body too large",
    "422": "The body is not a JSON array of detections, or no item of it was accepted "
           "(the per-item errors are listed)",
    "429": "Too many requests (wrong keys from this address, this key's rate, or "
           "back-pressure: nothing was stored); retry after Retry-After seconds",
    "503": "The tracker stopped: nothing was stored",
}


def _document_answers(schema: dict[str, Any]) -> None:
    """Every answer an operation can give, in the document: the refusals (with the error
    body) and the success bodies FastAPI cannot infer (GeoJSON, the ingest result)."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answers = operation.setdefault("responses", {})
            codes: list[str] = []
            if path.startswith("/v1") or path == "/metrics":
                codes += ["401", "403", "429"]
            if "{" in path:
                codes.append("404")
            if path.startswith("/v1/alerts/") or path.endswith(("/assign", "/times")):
                codes.append("409")
            if path == "/v1/detections" and method == "post":
                codes += ["400", "413", "422", "503"]
                answers["200"] = {"description": "Stored (per-item errors and duplicates "
                                  "listed)", **_ref("IngestResult")}
            for code in codes:
                answers.setdefault(code, {"description": _ERRORS[code]})
                answers[code].update(_ref("Error"))
            if "429" in codes:
                answers["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
            geojson = answers.get("200", {}).get("content", {}).get(GEOJSON_MEDIA_TYPE)
            if geojson is not None:
                geojson["schema"] = {"$ref": "#/components/schemas/FeatureCollection"}


def server_config(app: FastAPI) -> uvicorn.Config:
    """uvicorn's settings for the service."""
    # An open live feed would hold a graceful shutdown for ever (docs/gotchas.md); a
    # request's head is bounded (protocol.py: httptools keeps a header of any length).
    return uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3,
                          http=BoundedHeadProtocol)


def run_server(app: FastAPI, listener: socket.socket) -> None:
    """Serve ``app`` on an already listening socket (uvicorn) until stopped."""
    uvicorn.Server(server_config(app)).run(sockets=[listener])
