"""Readiness includes the ability to append to the audit trail: a gateway that cannot write
audit records fails every exchange closed, so it must not be sent traffic."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from .conftest import bearer

pytestmark = pytest.mark.both_backends

_SQLITE_REFUSE = (
    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_records "
    "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
)
_POSTGRES_REFUSE = (
    "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the disk is full'; END $$",
    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_records "
    "FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
)


def test_a_gateway_that_cannot_append_to_the_audit_trail_is_not_ready(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    partner = bearer(token_for("partner"), "statistics")
    records = "/v1/datasets/patent-grants/records?limit=1"
    assert client.get(records, headers=partner).status_code == 200
    engine = app.extensions["jjj-gateway"].engine
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM audit_records")).scalar_one()
    for _ in range(3):
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.get_json()["checks"]["audit"]["status"] == "ok"
    with engine.connect() as conn:  # probing wrote nothing into the chain
        assert conn.execute(text("SELECT count(*) FROM audit_records")).scalar_one() == count
    # The database refuses new audit rows, as a full disk or a read-only instance folder would.
    with engine.begin() as conn:
        for statement in (
            _POSTGRES_REFUSE if engine.dialect.name == "postgresql" else (_SQLITE_REFUSE,)
        ):
            conn.execute(text(statement))
    assert client.get(records, headers=partner).status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "unavailable"
    assert ready.get_json()["checks"]["audit"]["status"] == "unavailable"
