"""One API contract: the body schema a view checks a request against is the object /openapi.json
publishes for it, so what the document says and what the gateway refuses cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.http.api.data_contract import QUERY
from gateway.http.contract import JSON, Body, schema_issues
from gateway.http.openapi.document import declared_operations

from .conftest import bearer

ME = "market-entity-registration"


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/openapi.json").get_json()
    return body


def json_bodies(app: Flask) -> list[tuple[str, str, str, Body]]:
    """(rule, method, endpoint, body) of every declared route that takes a JSON body."""
    operations = declared_operations(app)
    out = []
    for rule in app.url_map.iter_rules():
        operation = operations.get(rule.endpoint)
        if operation is None or operation.body is None or operation.body.media_type != JSON:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method, rule.endpoint, operation.body))
    return out


def test_every_json_body_the_document_lists_is_a_declared_one(
    app: Flask, document: dict[str, Any]
) -> None:
    declared = {body.schema.name for *_, body in json_bodies(app)}
    assert len(declared) >= 7
    published = set()
    for methods in document["paths"].values():
        for operation in methods.values():
            content = operation.get("requestBody", {}).get("content", {})
            if JSON in content:
                published.add(content[JSON]["schema"]["$ref"].rsplit("/", 1)[-1])
    # Besides the declared bodies, the catalogue's typed query body of each served dataset.
    assert declared <= published
    assert {name for name in published - declared if not name.endswith("Query")} == set()


def test_each_declared_body_is_published_as_the_object_the_view_checks(
    app: Flask, document: dict[str, Any]
) -> None:
    schemas = document["components"]["schemas"]
    for _rule, _method, endpoint, body in json_bodies(app):
        published = schemas[body.schema.name]
        if body.schema is QUERY:
            # The document adds the largest page of any tier as the maximum of limit: a larger
            # limit is cut down to the caller's tier, not refused.
            limit = published["properties"]["limit"]
            assert limit.pop("maximum") >= 1
        assert published == body.schema.value, endpoint


def _url(rule: str, client_id: str) -> str:
    return (
        rule.replace("<dataset_id>", ME)
        .replace("<client_id>", client_id)
        .replace("<grant_id>", "no-such-grant")
    )


@pytest.mark.parametrize(
    "hostile",
    [{"__unknown__": 1}, {"name": 7, "fields": "x", "limit": 0, "reason": [], "jti": ""}],
    ids=["unknown member", "wrong types"],
)
def test_an_invalid_body_is_refused_by_the_published_schema(
    app: Flask,
    client: FlaskClient,
    document: dict[str, Any],
    register: Callable[..., tuple[str, str]],
    token_for: Callable[..., str],
    hostile: dict[str, Any],
) -> None:
    """The 400 names exactly what the published schema finds wrong (in the API's words)."""
    target, _ = register("partner")
    headers = bearer(token_for("regulator", scopes=["data:read", "admin"]))
    schemas = document["components"]["schemas"]
    for rule, method, endpoint, body in json_bodies(app):
        published = schemas[body.schema.name]
        validator = jsonschema.Draft202012Validator(
            {**published, "components": document["components"]}
        )
        assert not validator.is_valid(hostile), endpoint
        answer = client.open(_url(rule, target), method=method, json=hostile, headers=headers)
        problem = answer.get_json()
        assert answer.status_code == 400, (endpoint, problem)
        assert problem["type"] == "/problems/validation-failed", endpoint
        expected = [
            {"path": issue.path, "message": issue.message}
            for issue in schema_issues(published, hostile, body.messages)
        ]
        assert problem["errors"] == expected, endpoint
