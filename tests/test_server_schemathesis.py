"""Schemathesis over our own OpenAPI description: no 5xx, answers match their schemas."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from deescalate.server import Settings, create_app

app = create_app(Settings(store="memory://", access_log=False))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)

# A few examples per operation keep the run within CI's few minutes.
EXAMPLES = 25


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_description(case: schemathesis.Case) -> None:
    """Every generated request gets a documented, schema-valid answer and never a 5xx."""
    case.call_and_validate(
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )
