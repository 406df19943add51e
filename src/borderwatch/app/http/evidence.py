"""Evidence endpoints: what the sensors saw around an incident, and each crop as a PNG.

An operator looks before sending a team (issue 20): ``GET /v1/incidents/{id}/evidence``
lists the frame crops kept near the incident's place and time (sensor, time, where,
band, the PNG's address), nearest in time first; ``GET /v1/evidence/{detection_id}.png``
is one crop. Both are for the keys of the agency that owns the incident or the picture
(views.Viewer): a partner agency's key gets none, as it gets no track. Simulated crops
say so (``simulated`` in the list, ``X-Simulated: true`` on the image).
"""

# No `from __future__ import annotations`: FastAPI reads the annotations at run time.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from borderwatch.app.runtime.service import Service
from borderwatch.domain.access import Principal
from borderwatch.domain.evidence import AFTER, BEFORE, LIMIT, RADIUS_M, nearest
from borderwatch.domain.time import format_time, parse_time


def evidence_routes(service: Service, reader: Any) -> APIRouter:
    router = APIRouter(tags=["evidence"])
    Reader = Annotated[Principal, Depends(reader)]

    def store() -> Any:
        if service.evidence is None:
            raise HTTPException(404, "this service keeps no evidence")
        return service.evidence

    @router.get("/v1/incidents/{incident_id}/evidence")
    def incident_evidence(incident_id: str, who: Reader) -> dict[str, Any]:
        """The frame crops kept within 600 m of the incident, from 3 minutes before it to
        1 minute after, nearest in time first (at most 6): ``detection_id``,
        ``sensor_id``, ``time``, ``lat``, ``lon``, ``band``, ``image`` (its address)."""
        found = next((i for i in service.live.snapshot_incidents()
                      if i["incident_id"] == incident_id), None)
        if found is None or not service.viewer.owns_incident(who, found):
            raise HTTPException(404, "no such incident")
        when: datetime = parse_time(str(found["time"]))
        kept = store().between(when - BEFORE, when + AFTER)
        chosen = nearest(kept, float(found["lat"]), float(found["lon"]), when,
                         radius_m=RADIUS_M, limit=LIMIT)
        items = [{"detection_id": s.detection_id, "sensor_id": s.sensor_id,
                  "time": format_time(s.time), "lat": round(s.lat, 7),
                  "lon": round(s.lon, 7), "band": s.band, "simulated": s.simulated,
                  "image": f"/v1/evidence/{s.detection_id}.png"} for s in chosen]
        return {"incident_id": incident_id, "evidence": items,
                "simulated": bool(found.get("simulated")) or any(s.simulated for s in chosen)}

    @router.get("/v1/evidence/{detection_id}.png", response_class=Response,
                responses={200: {"content": {"image/png": {}}}})
    def evidence_image(detection_id: str, who: Reader) -> Response:
        """One frame crop (PNG, white hot)."""
        if service.viewer.restricted(who):
            raise HTTPException(404, "no such evidence")
        snapshot = store().get(detection_id)
        if snapshot is None:
            raise HTTPException(404, "no such evidence")
        return Response(snapshot.png, media_type="image/png", headers={
            "Cache-Control": "private, max-age=3600",
            "X-Simulated": "true" if snapshot.simulated else "false"})

    return router
