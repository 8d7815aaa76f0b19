"""Schemathesis against the gateway's own descriptions, /openapi.json and each dataset's
document: generated requests (valid and broken) to every operation find no 5xx and no response
that breaks the document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from gateway.demo import GenerationReport
from gateway.services import Configuration

from .conftest import app_settings, new_token, running_app


@pytest.fixture(scope="module")
def fuzzed_app(
    tmp_path_factory: pytest.TempPathFactory,
    demo_data: GenerationReport,
    configuration: Configuration,
) -> Iterator[tuple[Flask, str]]:
    overrides = app_settings(tmp_path_factory.mktemp("fuzz") / "instance", demo_data)
    with running_app(overrides, configuration) as app:
        yield app, new_token(app, "regulator")


@pytest.fixture(scope="module")
def api_schemas(fuzzed_app: tuple[Flask, str], configuration: Configuration) -> list[Any]:
    app, _ = fuzzed_app
    own = [f"/v1/datasets/{dataset.id}/openapi.json" for dataset in configuration.catalog]
    return [schemathesis.openapi.from_wsgi(url, app) for url in ["/openapi.json", *own]]


def test_no_generated_request_breaks_the_gateway_or_its_documents(
    api_schemas: list[Any], fuzzed_app: tuple[Flask, str]
) -> None:
    _, token = fuzzed_app
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Purpose": "regulatory-supervision",
        # Schemathesis's WSGI transport asks for gzip but does not inflate what it gets; the
        # compressed answers are tested in test_http_caching.
        "Accept-Encoding": "identity",
    }
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    failures: list[str] = []
    operations = 0
    for result in (found for schema in api_schemas for found in schema.get_all_operations()):
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # every operation reports, then all fail
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert operations >= 20 + 3 * 8  # and each served dataset's three typed operations
    assert not failures, "\n\n".join(failures)
