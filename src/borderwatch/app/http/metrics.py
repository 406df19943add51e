"""``GET /metrics`` in the Prometheus text exposition format (version 0.0.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from borderwatch.app.runtime.service import Service


def render_metrics(service: Service) -> str:
    """The service's counters and gauges as Prometheus text: ingest counts (accepted,
    rejected, duplicate, late, unplaceable, throttled), detections pending, active tracks,
    incidents, alerts, and the alert latency summary over the last 10,000 alerts."""
    live = service.live
    c = live.counters
    latency = np.array(c.alert_latency_s[-10_000:] or [0.0])
    lines = [
        "# HELP borderwatch_detections_accepted_total Detections stored and queued.",
        "# TYPE borderwatch_detections_accepted_total counter",
        f"borderwatch_detections_accepted_total {c.accepted}",
        "# HELP borderwatch_detections_rejected_total Items refused for a bad field.",
        "# TYPE borderwatch_detections_rejected_total counter",
        f"borderwatch_detections_rejected_total {c.rejected}",
        "# HELP borderwatch_detections_duplicate_total Items whose id was already stored.",
        "# TYPE borderwatch_detections_duplicate_total counter",
        f"borderwatch_detections_duplicate_total {c.duplicates}",
        "# HELP borderwatch_ingest_throttled_total Requests refused before storing "
        "anything: 429 (back-pressure) or 503 (the tracker stopped).",
        "# TYPE borderwatch_ingest_throttled_total counter",
        f"borderwatch_ingest_throttled_total {c.throttled}",
        "# HELP borderwatch_detections_processed_total Detections through the pipeline.",
        "# TYPE borderwatch_detections_processed_total counter",
        f"borderwatch_detections_processed_total {c.processed}",
        "# HELP borderwatch_detections_late_total Detections older than the reorder window "
        "allows (counted, never merged into tracks that moved on).",
        "# TYPE borderwatch_detections_late_total counter",
        f"borderwatch_detections_late_total {live.late}",
        "# HELP borderwatch_detections_unplaceable_total Detections the map frame cannot "
        "place (kept out of the tracker).",
        "# TYPE borderwatch_detections_unplaceable_total counter",
        f"borderwatch_detections_unplaceable_total {live.unplaceable}",
        "# HELP borderwatch_pipeline_failures_total Time windows or alert-stage steps the "
        "pipeline failed on (the last reason is in /healthz).",
        "# TYPE borderwatch_pipeline_failures_total counter",
        f"borderwatch_pipeline_failures_total {live.failures}",
        "# HELP borderwatch_pending_detections Accepted detections not yet tracked.",
        "# TYPE borderwatch_pending_detections gauge",
        f"borderwatch_pending_detections {live.pending}",
        "# HELP borderwatch_tracks_active Confirmed tracks on the picture.",
        "# TYPE borderwatch_tracks_active gauge",
        f"borderwatch_tracks_active {live.track_count}",
        "# HELP borderwatch_incidents_total Incidents raised.",
        "# TYPE borderwatch_incidents_total counter",
        f"borderwatch_incidents_total {c.incidents}",
        "# HELP borderwatch_alerts_notified_total Alerts notified (new or repeated).",
        "# TYPE borderwatch_alerts_notified_total counter",
        f"borderwatch_alerts_notified_total {c.alerts_notified}",
        "# HELP borderwatch_alert_latency_seconds Receipt of the raising batch to the alert "
        "stored and handed to its channels (last 10,000 alerts).",
        "# TYPE borderwatch_alert_latency_seconds summary",
        f'borderwatch_alert_latency_seconds{{quantile="0.5"}} {np.quantile(latency, 0.5):.6f}',
        f'borderwatch_alert_latency_seconds{{quantile="0.99"}} {np.quantile(latency, 0.99):.6f}',
        f"borderwatch_alert_latency_seconds_sum {sum(c.alert_latency_s):.6f}",
        f"borderwatch_alert_latency_seconds_count {len(c.alert_latency_s)}",
        "# HELP borderwatch_stream_subscribers Open live-feed connections.",
        "# TYPE borderwatch_stream_subscribers gauge",
        f"borderwatch_stream_subscribers {len(service.hub.subscribers)}",
    ]
    tak = service.extras.get("tak")
    if tak is not None:  # `serve --tak-port` (app/runtime/tak.py)
        t = tak.server.counters
        lines += [
            "# HELP borderwatch_tak_connections_total TAK devices connected (certificate "
            "accepted).",
            "# TYPE borderwatch_tak_connections_total counter",
            f"borderwatch_tak_connections_total {t.connections}",
            "# HELP borderwatch_tak_refused_connections_total TAK connections whose "
            "certificate names no agency or role, or is revoked.",
            "# TYPE borderwatch_tak_refused_connections_total counter",
            f"borderwatch_tak_refused_connections_total {t.refused_connections}",
            "# HELP borderwatch_tak_events_received_total CoT events TAK devices sent.",
            "# TYPE borderwatch_tak_events_received_total counter",
            f"borderwatch_tak_events_received_total {t.events_in}",
            "# HELP borderwatch_tak_events_refused_total CoT events refused: malformed or "
            "hostile XML, or a field missing or wrong.",
            "# TYPE borderwatch_tak_events_refused_total counter",
            f"borderwatch_tak_events_refused_total {t.refused_events}",
            "# HELP borderwatch_tak_dropped_revoked_total TAK connections closed because "
            "their certificate was revoked while connected.",
            "# TYPE borderwatch_tak_dropped_revoked_total counter",
            f"borderwatch_tak_dropped_revoked_total {t.dropped_revoked}",
        ]
    return "\n".join(lines) + "\n"
