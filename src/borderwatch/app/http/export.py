"""Export of the picture as files a GIS or a TAK/Google Earth user opens: tracks and
incidents as GeoJSON (RFC 7946) and KML 2.2 (OGC 07-147r2).

They are the same views as ``/v1/tracks`` and ``/v1/incidents`` (views.Viewer): a key
outside the deployment's agency gets what the sharing policy releases, and no personal
field is ever in them. Simulated data is marked in both formats."""

# No `from __future__ import annotations`: FastAPI reads the annotations at run time.
import xml.etree.ElementTree as ET
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from borderwatch.app.http.views import Filters, collection
from borderwatch.app.runtime.service import Service
from borderwatch.domain.access import Principal

KML_NS = "http://www.opengis.net/kml/2.2"
KML_MEDIA_TYPE = "application/vnd.google-earth.kml+xml"
GEOJSON_MEDIA_TYPE = "application/geo+json"
Layer = Literal["tracks", "incidents"]
Format = Literal["geojson", "kml"]


def export_routes(service: Service, reader: Any, filters: Any) -> APIRouter:
    """``GET /v1/export/{tracks|incidents}.{geojson|kml}`` with the app's reader and
    filter (since, until, bbox) dependencies."""
    router = APIRouter(tags=["picture"])
    Reader = Annotated[Principal, Depends(reader)]
    Filtered = Annotated[Filters, Depends(filters)]

    def features(layer: Layer, who: Principal, where: Filters) -> list[dict[str, Any]]:
        if layer == "tracks":
            return [track_feature(f) for f in service.viewer.track_features(who, [
                t for t in service.live.snapshot_tracks()
                if where.keep(t["lat"], t["lon"], t["time"])])]
        return [service.viewer.incident_feature(who, i)
                for i in service.live.snapshot_incidents()
                if where.keep(i["lat"], i["lon"], i["time"])]

    @router.get("/v1/export/{layer}.{fmt}", response_class=Response, responses={200: {
        "content": {GEOJSON_MEDIA_TYPE: {}, KML_MEDIA_TYPE: {}}}})
    def export(
        who: Reader, where: Filtered,
        layer: Annotated[Layer, Path(description="tracks or incidents")],
        fmt: Annotated[Format, Path(description="geojson or kml")],
    ) -> Response:
        """The tracks (each with its trail) or the incidents as the key sees them, as a
        file to download."""
        found = features(layer, who, where)
        simulated = any(f["properties"].get("simulated") for f in found)
        name = f"borderwatch-{layer}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"',
                   "Cache-Control": "no-store"}
        if fmt == "geojson":
            return Response(orjson.dumps(collection(found, simulated=simulated)),
                            media_type=GEOJSON_MEDIA_TYPE, headers=headers)
        title = f"Borderwatch {layer}" + (" — EXERCISE — SIMULATED" if simulated else "")
        return Response(kml_document(found, title), media_type=KML_MEDIA_TYPE,
                        headers=headers)

    return router


def track_feature(feature: dict[str, Any]) -> dict[str, Any]:
    """A track as one feature: its trail as the geometry when it has one (a LineString,
    oldest position first), else its position; the position stays in ``lat``/``lon``."""
    props = dict(feature["properties"])
    trail = props.pop("trail", None)
    geometry = trail if trail is not None else feature["geometry"]
    out: dict[str, Any] = {"type": "Feature", "geometry": geometry, "properties": props}
    if "id" in feature:
        out["id"] = feature["id"]
    return out


def kml_document(features: list[dict[str, Any]], title: str) -> bytes:
    """A KML document of Placemarks: a Point or a LineString each, coordinates as
    ``lon,lat`` (KML's order, like GeoJSON's), the feature's time as a TimeStamp and its
    properties as ExtendedData. A feature without a released position has no geometry
    and is left out: there is nothing to place.

    >>> doc = kml_document([{"type": "Feature", "id": "T1", "properties": {"time":
    ...     "2025-02-03T13:16:04Z"}, "geometry": {"type": "Point",
    ...     "coordinates": [-111.9, 49.0]}}], "t")
    >>> b"<coordinates>-111.9,49.0</coordinates>" in doc
    True
    """
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    document = ET.SubElement(root, f"{{{KML_NS}}}Document")
    ET.SubElement(document, f"{{{KML_NS}}}name").text = title
    for feature in features:
        geometry = feature.get("geometry")
        if not geometry:
            continue
        props = feature["properties"]
        placemark = ET.SubElement(document, f"{{{KML_NS}}}Placemark")
        ident = feature.get("id") or props.get("incident_id") or props.get("track_id")
        if ident:
            placemark.set("id", str(ident))
        ET.SubElement(placemark, f"{{{KML_NS}}}name").text = _label(props, ident)
        if props.get("time"):
            stamp = ET.SubElement(placemark, f"{{{KML_NS}}}TimeStamp")
            ET.SubElement(stamp, f"{{{KML_NS}}}when").text = str(props["time"])
        data = ET.SubElement(placemark, f"{{{KML_NS}}}ExtendedData")
        for key, value in sorted(props.items()):
            if value is None:
                continue
            item = ET.SubElement(data, f"{{{KML_NS}}}Data", name=key)
            ET.SubElement(item, f"{{{KML_NS}}}value").text = (
                value if isinstance(value, str) else orjson.dumps(value).decode())
        _geometry(placemark, geometry)
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


def _label(props: dict[str, Any], ident: object) -> str:
    count = props.get("group_size")
    low_high = props.get("group_size_range")
    size = (f"{count} ({low_high[0]}–{low_high[1]})"
            if isinstance(low_high, list) and len(low_high) == 2 and low_high[0] != low_high[1]
            else str(count) if count is not None else "")
    what = " ".join(str(props[k]) for k in ("type", "direction") if props.get(k))
    who = " ".join(part for part in (str(props.get("kind") or ""), f"×{size}" if size else "")
                   if part)
    text = " · ".join(part for part in (what, who, str(ident or "")) if part)
    return ("[SIMULATED] " if props.get("simulated") else "") + text


def _geometry(placemark: ET.Element, geometry: dict[str, Any]) -> None:
    kind = geometry["type"]
    if kind == "Point":
        points = [geometry["coordinates"]]
    elif kind == "LineString":
        points = geometry["coordinates"]
    else:
        raise ValueError(f"no KML for a {kind} geometry")
    shape = ET.SubElement(placemark, f"{{{KML_NS}}}{kind}")
    ET.SubElement(shape, f"{{{KML_NS}}}coordinates").text = " ".join(
        f"{lon},{lat}" for lon, lat, *_ in points)
