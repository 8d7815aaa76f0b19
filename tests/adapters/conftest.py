"""Fixtures for the adapter tests: sample data in every kind of store, loopback servers, keys."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from werkzeug.serving import BaseWSGIServer, make_server

from adapters import (
    Adapter,
    FileAdapter,
    NodeConfig,
    NodeDataset,
    SqlAdapter,
    TokenVerifier,
    create_adapter_app,
)

DATASET = "market-entity-registration"
NODE_ID = "test-node"
ISSUER = "http://gateway.test"

#: catalogue name → the node's local name (the rest keep their catalogue names)
FIELD_MAP = {
    "creditCode": "tyshxydm",
    "name": "qymc",
    "registeredCapital": "zczb",
    "establishedDate": "clrq",
}

#: The sample records in catalogue names, in file order (deliberately not in key order).
RECORDS: list[dict[str, Any]] = [
    {
        "creditCode": "91110105MA00000003",
        "name": "北京朝阳商贸有限公司",
        "registeredCapital": 50,
        "establishedDate": "2020-01-01",
        "status": "注销",
        "regionCode": "110105",
        "listed": False,
        "employees": 3,
        "tags": ["trade"],
    },
    {
        "creditCode": "91110108MA00000001",
        "name": "北京海淀科技有限公司",
        "registeredCapital": 500.5,
        "establishedDate": "2015-03-01",
        "status": "存续",
        "regionCode": "110108",
        "listed": True,
        "employees": 120,
        "tags": ["tech", "ai"],
    },
    {
        "creditCode": "91131000MA00000008",
        "name": "廊坊物流有限公司",
        "registeredCapital": 80,
        "establishedDate": "2021-06-30",
        "status": "在业",
        "regionCode": "131000",
        "listed": False,
        "tags": [],
    },
    {
        "creditCode": "91110108MA00000002",
        "name": "北京海淀软件有限公司",
        "registeredCapital": 1000,
        "establishedDate": "2018-07-15",
        "status": "在业",
        "regionCode": "110108",
        "listed": False,
        "employees": 45,
        "tags": [],
    },
    {
        "creditCode": "91120116MA00000005",
        "name": "100%XHoldings",
        "registeredCapital": 10,
        "establishedDate": "2012-05-05",
        "status": "存续",
        "regionCode": "120116",
        "listed": False,
        "employees": 9,
        "tags": [],
    },
    {
        "creditCode": "91120116MA00000004",
        "name": "100%_Holdings",
        "registeredCapital": 0,
        "establishedDate": "2010-12-31",
        "status": "存续",
        "regionCode": "120116",
        "listed": True,
        "employees": 1,
        "tags": [],
    },
    {
        "creditCode": "91130100MA00000007",
        "name": "C:\\co_path",
        "registeredCapital": 7.25,
        "establishedDate": "2019-09-09",
        "status": "吊销",
        "regionCode": "130100",
        "listed": False,
        "employees": 7,
        "tags": [],
    },
    {
        "creditCode": "91130100MA00000006",
        "name": "100a_Holdings",
        "registeredCapital": 60,
        "establishedDate": "2016-02-29",
        "status": "存续",
        "regionCode": "130100",
        "listed": False,
        "employees": 60,
        "tags": [],
    },
]


def to_local(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record in the node's local field names."""
    return {FIELD_MAP.get(name, name): value for name, value in record.items()}


def keys_of(records: Iterable[Mapping[str, Any]]) -> list[str]:
    return [record["creditCode"] for record in records]


def node_config(
    adapter: Mapping[str, Any],
    *,
    node_id: str = NODE_ID,
    datasets: Mapping[str, NodeDataset] | None = None,
) -> NodeConfig:
    return NodeConfig(
        id=node_id,
        name_zh="测试节点",
        name_en="Test node",
        level="district",
        region="110108",
        adapter=dict(adapter),
        datasets=datasets
        if datasets is not None
        else {DATASET: NodeDataset(regions=("110108",), source="entities", fields=FIELD_MAP)},
    )


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(to_local(r), ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot_node() -> NodeConfig:
    """The test node as a file node reading ``snapshots/entities.jsonl``."""
    return node_config(
        {"kind": "file", "path": "snapshots"},
        datasets={
            DATASET: NodeDataset(regions=("110108",), source="entities.jsonl", fields=FIELD_MAP)
        },
    )


def file_node(data_dir: Path, records: Iterable[Mapping[str, Any]] = RECORDS) -> NodeConfig:
    """The file node over a JSONL snapshot of ``records`` written under ``data_dir``."""
    write_jsonl(data_dir / "snapshots" / "entities.jsonl", records)
    return snapshot_node()


def entity_table(metadata: sa.MetaData, name: str) -> sa.Table:
    """The sample table in local column names; the key column is the primary key."""
    return sa.Table(
        name,
        metadata,
        sa.Column("tyshxydm", sa.String(18), primary_key=True),
        sa.Column("qymc", sa.String(100), nullable=False),
        sa.Column("zczb", sa.Numeric(14, 2)),
        sa.Column("clrq", sa.Date),
        sa.Column("status", sa.String(10)),
        sa.Column("regionCode", sa.String(6)),
        sa.Column("listed", sa.Boolean),
        sa.Column("employees", sa.Integer),
        sa.Column("tags", sa.JSON),
    )


def fill_table(url: str | sa.URL, table_name: str, records: Iterable[Mapping[str, Any]]) -> None:
    """Create the sample table and insert the records (through a writable engine of its own)."""
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        table = entity_table(metadata, table_name)
        metadata.create_all(engine)
        rows = []
        for record in records:
            row: dict[str, Any] = {column.name: None for column in table.columns}
            row.update(to_local(record))
            row["clrq"] = dt.date.fromisoformat(row["clrq"])
            rows.append(row)
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
    finally:
        engine.dispose()


def drop_table(url: str, table_name: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table_name}"'))
    finally:
        engine.dispose()


def sql_node(url: str, table_name: str) -> NodeConfig:
    return node_config(
        {"kind": "sql", "url": url},
        datasets={DATASET: NodeDataset(regions=("110108",), source=table_name, fields=FIELD_MAP)},
    )


@pytest.fixture
def postgres_table(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A uniquely named sample table in the test PostgreSQL, dropped afterwards."""
    name = f"t_adapters_{uuid.uuid4().hex[:12]}"
    fill_table(postgres_url, name, RECORDS)
    try:
        yield postgres_url, name
    finally:
        drop_table(postgres_url, name)


@pytest.fixture(params=["file", "sqlite", "postgresql"])
def sample_adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Adapter]:
    """An adapter of each in-process kind over the same sample records."""
    adapter: Adapter
    if request.param == "file":
        adapter = FileAdapter(file_node(tmp_path), data_dir=tmp_path)
    elif request.param == "sqlite":
        fill_table(f"sqlite:///{tmp_path}/node.sqlite", "entities", RECORDS)
        adapter = SqlAdapter(
            sql_node("sqlite:///{data}/node.sqlite", "entities"), data_dir=tmp_path
        )
    else:
        url, name = request.getfixturevalue("postgres_table")
        adapter = SqlAdapter(sql_node(url, name), data_dir=tmp_path)
    try:
        yield adapter
    finally:
        adapter.close()


# --- loopback HTTP servers ----------------------------------------------------------------------

WSGIApp = Callable[..., Any]


@pytest.fixture
def serve_wsgi() -> Iterator[Callable[[WSGIApp], str]]:
    """Start WSGI apps on loopback (port 0, own thread); their base URLs; stopped afterwards."""
    running: list[tuple[BaseWSGIServer, threading.Thread]] = []

    def start(app: WSGIApp) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def json_app(document: Callable[[], Any], *, counter: list[int] | None = None) -> WSGIApp:
    """A WSGI app answering every request with a JSON document (for JWKS endpoints)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if counter is not None:
            counter.append(1)
        body = json.dumps(document()).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


# --- the gateway's signing keys and tokens -----------------------------------------------------


@pytest.fixture(scope="session")
def gateway_key() -> ECKey:
    return ECKey.generate_key("P-256", {"kid": "gateway-1", "alg": "ES256", "use": "sig"})


@pytest.fixture(scope="session")
def other_key() -> ECKey:
    """A key the gateway never published (same kid, so only the signature tells it apart)."""
    return ECKey.generate_key("P-256", {"kid": "gateway-1", "alg": "ES256", "use": "sig"})


@pytest.fixture(scope="session")
def ed_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519", {"kid": "gateway-ed", "alg": "EdDSA", "use": "sig"})


def public_jwks(*keys: ECKey | OKPKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def claims_for(**overrides: Any) -> dict[str, Any]:
    """Adapter-token claims as the gateway issues them; ``None`` removes a claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": NODE_ID,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        "sub": "jjj-gateway",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(key: ECKey | OKPKey, claims: Mapping[str, Any], **header: Any) -> str:
    """A compact JWT signed by ``key``; header defaults to the gateway's (alg, typ JWT, kid)."""
    alg = "ES256" if isinstance(key, ECKey) else "EdDSA"
    fields = {"alg": alg, "typ": "JWT", "kid": key.kid, **header}
    fields = {name: value for name, value in fields.items() if value is not None}
    with warnings.catch_warnings():
        # joserfc flags the EdDSA name (RFC 9864) when signing; the gateway may still use it.
        warnings.simplefilter("ignore")
        return jwt.encode(fields, dict(claims), key, algorithms=[fields["alg"]], default_type=None)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture
def gateway_token(gateway_key: ECKey) -> Callable[..., str]:
    """``gateway_token(**claim_overrides)``: a token the gateway would sign for the test node."""

    def issue(**overrides: Any) -> str:
        return sign(gateway_key, claims_for(**overrides))

    return issue


# --- the test node behind a real adapter server ------------------------------------------


@pytest.fixture
def jwks_url(serve_wsgi: Callable[..., str], gateway_key: ECKey, ed_key: OKPKey) -> str:
    return serve_wsgi(json_app(lambda: public_jwks(gateway_key, ed_key)))


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """A tracer provider of its own for the node's server spans, and what it recorded."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


@pytest.fixture
def start_node(
    serve_wsgi: Callable[..., str],
    jwks_url: str,
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> Callable[[Adapter], str]:
    """Serve an adapter as the test node; its base URL."""

    def start(adapter: Adapter) -> str:
        app = create_adapter_app(
            snapshot_node(),
            adapter,
            verifier=TokenVerifier(ISSUER, jwks_url=jwks_url),
            tracer_provider=spans[0],
        )
        return serve_wsgi(app)

    return start
