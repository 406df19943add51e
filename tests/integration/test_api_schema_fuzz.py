"""The HTTP API fuzzed in-process from its own OpenAPI document (schemathesis 4, ASGI).

Every operation but the never-ending live feed, with generated parameters and bodies and
a valid operator key: valid requests must be answered without a server error, with a
status code, content type and body the document declares; invalid ones must be refused
without a server error. The app runs in this process over a temporary SQLite database
(no socket, no Coutts simulation), with a few detections ingested first so the picture
has tracks to answer with. Bounded and derandomized: the same few hundred requests each
run, in well under a minute. ``tests/integration/test_service_fuzz.py`` is the slower
twin over real HTTP with the whole Coutts night.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from borderwatch.app.bootstrap import build_service
from borderwatch.app.http.api import create_app
from borderwatch.app.runtime.config import ServiceConfig
from borderwatch.domain.access import Role
from borderwatch.domain.limits import AccessLimits, Rate
from borderwatch.sources.registry import SensorRegistry

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Generated requests per operation; about 20 operations, so some 600 requests in all.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
NEVER_ENDS = {"/v1/stream"}


def _detections() -> list[dict[str, Any]]:
    """A person walking north across the 49th parallel near Coutts, one camera."""
    t0 = datetime(2025, 2, 3, 13, 0, tzinfo=UTC)
    return [
        {
            "time": (t0 + timedelta(seconds=10 * i)).isoformat(),
            "sensor_id": "cam-1",
            "lat": 48.998 + 0.0002 * i,
            "lon": -111.96,
            "sigma_m": 5.0,
            "kind": "person",
            "count": 1,
            "id": f"d-{i}",
            "simulated": True,
        }
        for i in range(20)
    ]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    # One service per test: schemathesis' pytest plugin ends every ASGI lifespan (so the
    # service closes its database) when a test ends, so a module-wide app would be closed.
    db = tmp_path / "service.db"
    generous = Rate(per_s=1e6, burst=1e6)  # the limiter is tested elsewhere, not here
    service = build_service(
        ServiceConfig(
            db=db,
            idle_flush_s=0.3,
            sensors=SensorRegistry(allow_undeclared=True),
            limits=AccessLimits(failed_keys=generous, per_key=generous),
        )
    )
    key, _ = service.keys.create("RCMP-K", Role("operator"))
    headers = {"X-API-Key": key}
    app = create_app(service)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)  # starts the lifespan
    with asgi.get_client(app) as client:
        answer = client.post("/v1/detections", json=_detections(), headers=headers)
        assert answer.status_code == 200, answer.text
    try:
        yield schema, headers
    finally:
        # Ended here too, in case the plugin is disabled (-p no:schemathesis).
        asgi.shutdown_lifespans()


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], checks: list[Any]) -> None:
    # Drawn from each operation's strategy with Hypothesis directly (schemathesis' pytest
    # plugin relies on lazy fixtures), derandomized: the same requests every run.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=checks, timeout=30)

    run()


@pytest.mark.parametrize(
    "mode",
    [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    ids=["valid-requests", "invalid-requests"],
)
def test_the_api_keeps_to_its_openapi_document(
    api: tuple[Any, dict[str, str]], mode: GenerationMode
) -> None:
    schema, headers = api
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzed = [op for op in operations if op.path not in NEVER_ENDS]
    assert {op.path for op in fuzzed} >= {"/v1/detections", "/v1/tracks", "/v1/alerts"}
    # A refusal is checked for its status class only: its body is not the success schema.
    checks = CHECKS if mode is GenerationMode.POSITIVE else [not_a_server_error]
    failures: list[str] = []
    done = 0
    for operation in fuzzed:
        try:
            _fuzz(operation, mode, headers, checks)
            done += 1
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (no parameter, no body).
            assert mode is GenerationMode.NEGATIVE, operation.path
        except Exception as err:  # every operation's findings are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {err}")
    assert not failures, "\n\n".join(failures)
    assert done >= 8
