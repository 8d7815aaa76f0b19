"""Data answers as CSV (Accept: text/csv): the same records, masked and audited alike, the
fields in order in the header row, meta in headers; an Accept the gateway cannot meet is 406."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.demo import GenerationReport
from gateway.exchange.csv_records import render
from gateway.storage.tables import audit_records

from .conftest import bearer

pytestmark = pytest.mark.both_backends

ME = "/v1/datasets/market-entity-registration"
CSV = {"Accept": "text/csv"}


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def _audit(app: Flask, exchange_id: str) -> dict[str, Any]:
    with app.extensions["jjj-gateway"].engine.connect() as conn:
        row = conn.execute(
            select(audit_records.c.body).where(audit_records.c.exchange_id == exchange_id)
        ).one()
    record: dict[str, Any] = json.loads(row.body)
    return record


def test_records_are_answered_as_csv_with_the_fields_in_the_order_asked(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = bearer(token_for("partner"))
    url = f"{ME}/records?region=110108&limit=5&fields=name,creditCode,legalRepName"
    as_json = client.get(url, headers=headers).get_json()
    response = client.get(url, headers={**headers, **CSV})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response.get_data().count(b"\r\n") == len(as_json["data"]) + 1
    rows = _rows(response.get_data())
    assert rows[0] == ["name", "creditCode", "legalRepName"]
    # Masked exactly as in the JSON answer (legalRepName is partial for a partner).
    assert rows[1:] == [[r["name"], r["creditCode"], r["legalRepName"]] for r in as_json["data"]]
    assert response.headers["X-Fields-Masked"] == "legalRepName=partial"
    assert response.headers["X-Exchange-Complete"] == "true"
    assert response.headers["X-Exchange-Limit"] == "5"
    assert response.headers["Cache-Control"] == "no-store"


def test_without_fields_the_csv_columns_are_the_visible_fields_in_schema_order(
    client: FlaskClient, token_for: Callable[..., str], configuration: Any
) -> None:
    response = client.get(f"{ME}/records?limit=2", headers={**bearer(token_for("open")), **CSV})
    header = _rows(response.get_data())[0]
    schema_order = list(configuration.catalog.get("market-entity-registration").fields)
    assert header == [f for f in schema_order if f in header]
    assert "legalRepId" not in header  # dropped for the open tier


def test_the_audit_records_the_hash_of_the_csv_that_was_sent(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(f"{ME}/records?limit=3", headers={**bearer(token_for("partner")), **CSV})
    record = _audit(app, response.headers["X-Exchange-Id"])
    assert record["responseHash"] == hashlib.sha256(response.get_data()).hexdigest()
    assert record["recordCount"] == 3 and record["decision"] == "allow"


def test_a_csv_page_links_its_next_page(client: FlaskClient, token_for: Callable[..., str]) -> None:
    headers = {**bearer(token_for("partner")), **CSV}
    first = client.get(f"{ME}/records?region=110000&limit=2&fields=creditCode", headers=headers)
    link = re.fullmatch(r'<([^>]+)>; rel="next"', first.headers["Link"])
    assert link is not None
    second = client.get(link.group(1), headers=headers)
    assert second.status_code == 200
    keys = [r[0] for r in _rows(first.get_data())[1:] + _rows(second.get_data())[1:]]
    assert len(keys) == 4 and len(set(keys)) == 4


def test_a_posted_query_answered_as_csv_gives_its_next_cursor_in_a_header(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = {**bearer(token_for("partner")), **CSV}
    query = {"limit": 2, "fields": ["creditCode", "name"]}
    first = client.post(f"{ME}/query", json=query, headers=headers)
    assert _rows(first.get_data())[0] == ["creditCode", "name"]
    cursor = first.headers["X-Next-Cursor"]
    second = client.post(f"{ME}/query", json=query | {"cursor": cursor}, headers=headers)
    assert second.status_code == 200 and len(_rows(second.get_data())) == 3


def test_a_key_lookup_as_csv_is_one_row(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    key = demo_data.samples["haidian_entity"]
    response = client.get(
        f"{ME}/records/{key}?fields=creditCode,name",
        headers={**bearer(token_for("partner")), **CSV},
    )
    rows = _rows(response.get_data())
    assert rows[0] == ["creditCode", "name"] and len(rows) == 2 and rows[1][0] == key


def test_json_stays_the_default_and_wins_a_tie(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = bearer(token_for("partner"))
    for accept in ("*/*", "application/json, text/csv", "text/*;q=0.5, application/*"):
        response = client.get(f"{ME}/records?limit=1", headers={**headers, "Accept": accept})
        assert response.mimetype == "application/json", accept
    csv_first = client.get(
        f"{ME}/records?limit=1", headers={**headers, "Accept": "text/csv, application/json;q=0.9"}
    )
    assert csv_first.mimetype == "text/csv"


def test_an_accept_the_gateway_cannot_meet_is_a_406_problem_and_audited(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(
        f"{ME}/records?limit=1",
        headers={**bearer(token_for("partner")), "Accept": "application/xml"},
    )
    assert response.status_code == 406
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "/problems/not-acceptable"
    assert "text/csv" in problem["detail"]
    record = _audit(app, response.headers["X-Exchange-Id"])
    assert record["httpStatus"] == 406
    assert record["problemType"] == "/problems/not-acceptable"


def test_a_problem_is_problem_json_even_when_csv_was_asked_for(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.get(
        f"{ME}/records?colour=red", headers={**bearer(token_for("partner")), **CSV}
    )
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_a_text_a_spreadsheet_would_run_as_a_formula_is_defused() -> None:
    body = render(
        [
            {"a": '=HYPERLINK("http://x")', "b": -3, "c": None},
            {"a": "+1", "b": True, "c": ["x", "y"]},
            {"a": "@SUM(A1)", "b": 1.5, "c": "plain, with a comma"},
        ],
        ["a", "b", "c"],
    )
    assert _rows(body) == [
        ["a", "b", "c"],
        ['\'=HYPERLINK("http://x")', "-3", ""],
        ["'+1", "true", '["x","y"]'],
        ["'@SUM(A1)", "1.5", "plain, with a comma"],
    ]
