"""Property-based fuzzing of the running service against its own OpenAPI document
(schemathesis): every operation, with generated parameters and bodies and a valid operator
key, must answer without a server error and with a response that conforms to the
document (status codes, content types, schemas). The live feed is left out: it never
ends. Real HTTP on 127.0.0.1, a port the system chooses; the Coutts night is ingested
first so the picture has tracks, incidents and alerts to answer with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.service_helpers import Running, coutts_wire, post_all, running_service

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, dict[str, str]]]:
    db = tmp_path_factory.mktemp("svc2_fuzz") / "service.db"
    with running_service(db) as svc:
        operator = svc.key("RCMP-K", "operator")
        with httpx.Client(base_url=svc.url, timeout=30) as client:
            post_all(client, coutts_wire(), operator)
        svc.wait_idle()
        yield svc, operator


# Generated test cases per operation and mode; ~16 operations, so a few hundred requests.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str],
          checks: list[Any]) -> None:
    # schemathesis' own pytest decorators (lazy fixtures) do not work with pytest 9, so the
    # cases are drawn from each operation's strategy with Hypothesis directly.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=checks, timeout=30)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid-requests", "invalid-requests"])
def test_no_server_error_and_no_schema_violation(
    served: tuple[Running, dict[str, str]], mode: GenerationMode
) -> None:
    svc, operator = served
    schema = schemathesis.openapi.from_url(svc.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzed = [op for op in operations if op.path != "/v1/stream"]  # never ends
    assert {op.path for op in fuzzed} >= {"/v1/detections", "/v1/tracks", "/v1/alerts"}
    # Invalid requests must be refused with a 4xx that the document declares, never a 5xx;
    # the response schema of a refusal is not the success schema.
    checks = CHECKS if mode is GenerationMode.POSITIVE else [not_a_server_error]
    done = 0
    for operation in fuzzed:
        try:
            _fuzz(operation, mode, operator, checks)
            done += 1
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (no parameter, no body).
            assert mode is GenerationMode.NEGATIVE, operation.path
        except Exception as err:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {err}") from err
    assert done >= 8
    assert svc.service.live.failures == 0, svc.service.live.last_failure
