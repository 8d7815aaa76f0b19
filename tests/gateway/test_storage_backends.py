"""Every store on both backends: SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from gateway import create_app
from gateway.audit.actions import Actor
from gateway.audit.reader import SearchFilters
from gateway.core.settings import load_settings
from gateway.demo import GenerationReport
from gateway.services import Configuration
from gateway.storage import create_db_engine, upgrade
from gateway.storage.driver_insert import DriverInsert
from gateway.storage.tables import audit_records

from .conftest import basic, bearer


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    yield request.getfixturevalue("postgres_database")


@pytest.fixture
def backend_app(
    database_url: str, settings_overrides: dict[str, Any], configuration: Configuration
) -> Iterator[Flask]:
    settings = load_settings(settings_overrides | {"database_url": database_url}, environ={})
    settings.instance_path.mkdir(parents=True)
    upgrade(settings.sqlalchemy_url)
    upgrade(settings.sqlalchemy_url)  # migrations are idempotent
    app = create_app(settings, configuration=configuration)
    yield app
    app.extensions["jjj-gateway"].close()


def test_clients_grants_and_their_audit_records(backend_app: Flask) -> None:
    svc = backend_app.extensions["jjj-gateway"]
    actor = Actor("operator")
    client, secret = svc.admin.create(
        actor, name="某市人社局", region="130000", tier="government", scopes=["data:read"]
    )
    assert svc.clients.get(client.client_id).check_secret(secret)
    svc.admin.set_status(actor, client.client_id, "disabled")
    assert not svc.clients.get(client.client_id).active
    grant = svc.grant_admin.issue(
        actor,
        client_id=client.client_id,
        dataset="social-insurance-payment",
        purpose="talent-mobility",
        approver="专班",
        legal_basis="协议",
        fields=["residentId"],
        valid_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
    )
    assert svc.grants.for_client(client.client_id, "social-insurance-payment")[0].id == grant.id
    revoked = svc.grant_admin.revoke(actor, grant.id, reason="ended")
    assert revoked.revoked_at is not None
    page, _ = svc.audit_reader.search(SearchFilters(kind="admin"), limit=10, before_seq=None)
    actions = [r["action"] for r in page]
    assert actions == ["grant.revoke", "grant.issue", "client.disable", "client.create"]
    keys = {svc.audit.signer.kid: svc.audit.signer.jwk}
    assert svc.audit_reader.verify(keys).valid


def test_tokens_revocation_and_replay(backend_app: Flask) -> None:
    svc = backend_app.extensions["jjj-gateway"]
    client, secret = svc.clients.create(
        name="x", region="110000", tier="partner", scopes=["data:read"]
    )
    http = backend_app.test_client()
    token = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(client.client_id, secret),
    ).get_json()["access_token"]
    assert (
        http.post(
            "/oauth/revoke", data={"token": token}, headers=basic(client.client_id, secret)
        ).status_code
        == 200
    )
    assert svc.revocations.is_revoked(svc.verifier.decode(token)["jti"])
    assert svc.replay.first_use(client.client_id, "a1", 2_000_000_000)
    assert not svc.replay.first_use(client.client_id, "a1", 2_000_000_000)


def test_concurrent_exchanges_keep_one_gapless_chain(
    backend_app: Flask, demo_data: GenerationReport
) -> None:
    svc = backend_app.extensions["jjj-gateway"]
    client, secret = svc.clients.create(
        name="x", region="110000", tier="government", scopes=["data:read"]
    )
    http = backend_app.test_client()
    token = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(client.client_id, secret),
    ).get_json()["access_token"]
    key = demo_data.samples["haidian_entity"]

    def lookup(_: int) -> int:
        with backend_app.test_client() as c:
            return c.get(
                f"/v1/datasets/market-entity-registration/records/{key}", headers=bearer(token)
            ).status_code

    with cf.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lookup, range(40)))
    assert statuses == [200] * 40
    with svc.engine.connect() as conn:
        seqs = [r[0] for r in conn.execute(sa.text("SELECT seq FROM audit_records ORDER BY seq"))]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == 40
    assert svc.audit_reader.verify({svc.audit.signer.kid: svc.audit.signer.jwk}).valid


def test_replicas_may_migrate_at_once(postgres_url: str, tmp_path: Path) -> None:
    name = f"jjj_migrate_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        jjj = str(Path(sys.executable).parent / "jjj-gateway")
        env = {**os.environ, "GATEWAY_DATABASE_URL": url, "GATEWAY_INSTANCE_PATH": str(tmp_path)}
        runs = [
            subprocess.Popen(
                [jjj, "db", "upgrade"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            for _ in range(3)
        ]
        for run in runs:
            output, _ = run.communicate(timeout=120)
            assert run.returncode == 0, output.decode()
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        engine.dispose()
        assert len(versions) == 1
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_row_inserted_by_the_driver_statement_reads_back_as_one_sqlalchemy_inserted(
    database_url: str,
) -> None:
    upgrade(database_url)
    engine = create_db_engine(database_url)
    statement = DriverInsert(audit_records, engine.dialect)
    beijing = dt.timezone(dt.timedelta(hours=8))
    row: dict[str, Any] = {
        "kind": "exchange",
        "recorded_at": dt.datetime(2026, 3, 1, 8, 30, 15, 250, tzinfo=beijing),
        "decision": "allow",
        "http_status": 200,
        "regions": " 110108 ",
        "body": "{}",
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
    }
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(audit_records).values(row | {"seq": 1, "exchange_id": "by-sa"}))
            driver_row = row | {"seq": 2, "exchange_id": "by-driver"}
            conn.exec_driver_sql(statement.sql, statement.parameters(driver_row))
        with engine.connect() as conn:
            stored = conn.execute(sa.select(audit_records).order_by(audit_records.c.seq)).all()
            as_stored = conn.exec_driver_sql("SELECT recorded_at FROM audit_records").scalars()
            assert len(set(as_stored)) == 1  # the same text (SQLite) or instant (PostgreSQL)
    finally:
        engine.dispose()
    first, second = (r._asdict() for r in stored)
    assert second | {"seq": 1, "exchange_id": "by-sa"} == first
    assert first["recorded_at"] == dt.datetime(2026, 3, 1, 0, 30, 15, 250, tzinfo=dt.UTC)
