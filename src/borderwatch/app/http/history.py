"""The dashboard's timeline and the replay's controls: the picture as it was at a past
moment (``GET /v1/picture?at=``, from the tracks' history, runtime/history.py), the span
it covers, and pause, resume and speed of a scenario replay (``serve --replay``)."""

# No `from __future__ import annotations`: FastAPI reads the annotations at run time.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from borderwatch.app.http.views import collection
from borderwatch.app.runtime.replay import SPEEDS, Replay, ReplayError
from borderwatch.app.runtime.service import Service
from borderwatch.domain import InputError
from borderwatch.domain.access import Principal
from borderwatch.domain.time import epoch_to_datetime, format_time, parse_time


def history_routes(service: Service, reader: Any, controller: Any) -> APIRouter:
    """The routes, with the app's dependencies for a reader and for whoever may steer the
    replay (the roles that may feed detections: operator, admin)."""
    router = APIRouter()
    Reader = Annotated[Principal, Depends(reader)]
    Controller = Annotated[Principal, Depends(controller)]

    def span() -> dict[str, str] | None:
        found = service.live.history_span()
        if found is None:
            return None
        return {"start": format_time(epoch_to_datetime(found[0])),
                "end": format_time(epoch_to_datetime(found[1]))}

    @router.get("/v1/picture/span", tags=["picture"])
    def picture_span(who: Reader) -> dict[str, Any]:
        """The data times the timeline covers: the first track state kept (rebuilt from
        the stored detections after a restart) and the latest; null before any."""
        return {"span": span()}

    @router.get("/v1/picture", tags=["picture"])
    def picture_at(
        who: Reader,
        at: Annotated[str, Query(description="RFC 3339 with offset: the data time to show")],
    ) -> dict[str, Any]:
        """The picture as it was at ``at``: the tracks then (each one's state and the trail
        of the two minutes before) and the incidents detected by then, in the key's view
        (as ``/v1/tracks`` and ``/v1/incidents``)."""
        try:
            moment = parse_time(at, "at")
        except InputError as err:
            raise HTTPException(422, [{"loc": ["query", "at"], "msg": str(err),
                                       "type": "value_error"}]) from None
        tracks = service.viewer.track_features(who, service.live.tracks_at(moment.timestamp()))
        incidents = [service.viewer.incident_feature(who, i)
                     for i in service.live.snapshot_incidents()
                     if parse_time(i.get("detected_at") or i["time"]) <= moment]
        features = tracks + incidents
        return {"at": format_time(moment), "span": span(),
                "tracks": collection(tracks, simulated=_simulated(tracks)),
                "incidents": collection(incidents, simulated=_simulated(incidents)),
                "simulated": _simulated(features)}

    def replay() -> Replay:
        found = service.extras.get("replay")
        if not isinstance(found, Replay):
            raise HTTPException(404, "this service is not replaying a scenario")
        return found

    def steer(action: str, speed: float | None = None) -> dict[str, Any]:
        player = replay()
        try:
            if action == "pause":
                player.pause()
            elif action == "resume":
                player.resume()
            else:
                assert speed is not None
                player.set_speed(speed)
        except ReplayError as err:
            raise HTTPException(409, str(err)) from None
        return player.status()

    not_replaying: dict[int | str, dict[str, Any]] = {
        404: {"description": "This service is not replaying a scenario"}}
    finished: dict[int | str, dict[str, Any]] = {
        **not_replaying, 409: {"description": "The replay has finished"}}

    @router.get("/v1/replay", tags=["replay"], responses=not_replaying)
    def replay_status(who: Reader) -> dict[str, Any]:
        """The scenario replay's state (waiting, simulating, playing, paused, done), its
        speed and the exercise's clock; 404 when the service is not replaying."""
        return replay().status()

    @router.post("/v1/replay/pause", tags=["replay"], responses=finished)
    def replay_pause(who: Controller) -> dict[str, Any]:
        """Hold the replay: no detection is fed and the exercise's clock stops."""
        return steer("pause")

    @router.post("/v1/replay/resume", tags=["replay"], responses=finished)
    def replay_resume(who: Controller) -> dict[str, Any]:
        return steer("resume")

    @router.post("/v1/replay/speed", tags=["replay"], responses={
        **not_replaying, 409: {"description": "The replay has finished, or the speed is "
                                              "out of range"}})
    def replay_speed(
        who: Controller,
        x: Annotated[float, Query(ge=SPEEDS[0], le=SPEEDS[1],
                                  description="Times the scenario's own clock (1 to 2000)")],
    ) -> dict[str, Any]:
        """Play on at ``x`` times the scenario's clock, from where it is now."""
        return steer("speed", x)

    return router


def _simulated(features: list[dict[str, Any]]) -> bool:
    return any(f["properties"].get("simulated") for f in features)
