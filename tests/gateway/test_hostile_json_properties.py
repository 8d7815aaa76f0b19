"""Hostile JSON for every operation that reads a JSON body, generated from the contract: the
operations of /openapi.json and of each dataset's own document (a new endpoint or dataset is
covered the day it is published): numbers beyond the I-JSON range,
non-finite numbers, lone surrogates in values and keys, deep nesting, duplicate keys, a byte
order mark, bytes that are not UTF-8, huge strings within the size cap and beyond it, cut-off
bodies and media types that are not JSON (docs/api.md#json-bodies); a string longer than any
field allows wherever the contract takes a string; and, for every operation of the API that
reads query parameters, one that is not UTF-8 (docs/api.md#data).

The property: each is a 400 (413, 415 where that is the rule) application/problem+json answer
whose detail names what is wrong, with no stack trace, SQL or file path in it; nothing is stored
or changed, the answer is in the audit chain as the refusal it was, and the chain verifies."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote, quote_from_bytes

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.demo import GenerationReport
from gateway.services import Configuration, Services
from gateway.storage.tables import audit_records, metadata

from .conftest import LEAKS, app_settings, new_client, new_token, running_app
from .contract_operations import Operation, json_operations, query_operations
from .hostile_json import HOSTILITIES, JSON, NOT_UTF8, Hostility, Refusal
from .schema_values import TEXT, placed, string_slots, valid_values

# -- the gateway under test ----------------------------------------------------------------------

#: Values for the header parameters of the operations; the path ones (a client and a grant that
#: exist, so that the answer is about the body) are made by the fixture.
HEADER_VALUES = {"X-Purpose": "credit-check"}
DATASET = "market-entity-registration"
#: Examples per operation and kind of hostile body: 15 operations x 13 kinds x 4 is 780 requests.
EXAMPLES = 4
#: Strings no field takes, for every place the contract takes a string: one longer than any
#: maxLength (16,384) and, as 60,000 bytes of UTF-8, than the LIKE pattern SQLite accepts
#: (50,000 bytes); and one holding NUL, which PostgreSQL text cannot hold.
UNTAKEN_STRINGS = {"longer than any field allows": "京" * 20_000, "holding NUL": "京\x00京"}
ANY_REFUSAL = Refusal(r"\w", problem=None)
NOT_UTF8_REFUSED = Refusal("not UTF-8")
#: Deterministic, without a database of examples; a failing example is reported as found, not
#: shrunk (shrinking bodies of up to 1 MiB takes minutes).
HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Gateway:
    """The app, its contract, and what the operations need to be called for real."""

    app: Flask
    #: /openapi.json, then each dataset's own document.
    documents: list[Mapping[str, Any]]
    operations: list[Operation]  # that read a JSON body
    queries: list[Operation]  # that read query parameters
    path_values: dict[str, str]
    problem_types: frozenset[str]
    tokens: dict[tuple[str, ...], str] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        return cast(Services, self.app.extensions["jjj-gateway"])

    def headers(self, operation: Operation) -> dict[str, str]:
        """A bearer token with the scopes the operation needs, and its header parameters."""
        headers = {}
        if operation.scopes is not None:
            headers["Authorization"] = f"Bearer {self.tokens[operation.scopes]}"
        for parameter in operation.parameters:
            if parameter["in"] == "header" and parameter["name"] in HEADER_VALUES:
                headers[parameter["name"]] = HEADER_VALUES[parameter["name"]]
            elif parameter["in"] == "header":
                assert not parameter.get("required"), f"no value for {parameter['name']}"
        return headers

    def url(self, operation: Operation) -> str:
        url = operation.path
        for name in re.findall(r"{([^}]+)}", operation.path):
            assert name in self.path_values, f"{operation.label}: no value for {{{name}}}"
            url = url.replace(f"{{{name}}}", self.path_values[name])
        return url

    def state(self) -> tuple[dict[str, list[str]], int, dict[str, tuple[int, int]]]:
        """Every stored row but the audit's, how many audit records, each client's quotas."""
        services = self.services
        with services.engine.connect() as conn:
            rows = {
                table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
                for table in metadata.sorted_tables
                if not table.name.startswith("audit_")
            }
            audited = conn.execute(select(func.count()).select_from(audit_records)).scalar_one()
        quotas = {}
        for client in services.clients.list():
            quota = services.quotas.state(
                client.client_id, services.config.policies.tiers[client.tier]
            )
            quotas[client.client_id] = (quota.requests_remaining, quota.records_remaining)
        return rows, audited, quotas

    def audited_status(self, exchange_id: str) -> int | None:
        with self.services.engine.connect() as conn:
            return conn.execute(
                select(audit_records.c.http_status).where(
                    audit_records.c.exchange_id == exchange_id
                )
            ).scalar_one_or_none()

    def chain_verifies(self) -> bool:
        signer = self.services.audit.signer
        assert signer is not None
        return self.services.audit_reader.verify({signer.kid: signer.jwk}).valid


def _granted(app: Flask, admin: dict[str, str], client_id: str, dataset: str) -> str:
    """The id of a grant for the client on the dataset, for the purpose the requests state."""
    body = {
        "clientId": client_id,
        "dataset": dataset,
        "purpose": HEADER_VALUES["X-Purpose"],
        "approver": "Data office",
        "legalBasis": "Hostile input tests",
    }
    response = app.test_client().post("/v1/admin/grants", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["data"]["id"])


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory,
    demo_data: GenerationReport,
    configuration: Configuration,
) -> Iterator[Gateway]:
    """The gateway, a token for each set of scopes the operations need (its client granted every
    dataset, so that no refusal comes before the body is read), and a client and a grant for
    the operations that name one."""
    overrides = app_settings(tmp_path_factory.mktemp("hostile-json") / "instance", demo_data)
    with running_app(overrides, configuration) as app:
        client = app.test_client()
        documents = [client.get("/openapi.json").get_json()]
        for dataset in configuration.catalog:
            response = client.get(f"/v1/datasets/{dataset.id}/openapi.json")
            assert response.status_code == 200, dataset.id
            documents.append(response.get_json())
        operations = [op for document in documents for op in json_operations(document)]
        queries = [op for document in documents for op in query_operations(document)]
        admin = {"Authorization": f"Bearer {new_token(app, 'government', scopes=['admin'])}"}
        tokens = {}
        needed = {op.scopes for op in [*operations, *queries] if op.scopes is not None}
        for n, scopes in enumerate(sorted(needed)):
            client_id = f"hostile-json-{n}"
            tokens[scopes] = new_token(
                app, "government", scopes=list(scopes) or None, client_id=client_id
            )
            for dataset in configuration.catalog:
                if dataset.share_type != "none":  # a dataset no grant can open
                    _granted(app, admin, client_id, dataset.id)
        target, _ = new_client(app, "partner")
        yield Gateway(
            app=app,
            documents=documents,
            operations=operations,
            queries=queries,
            path_values={
                "client_id": target,
                "grant_id": _granted(app, admin, target, DATASET),
                "dataset_id": DATASET,
                "key": "91110000MA00000000",
            },
            problem_types=frozenset(p["type"] for p in client.get("/problems").get_json()["data"]),
            tokens=tokens,
        )


# -- the tests -----------------------------------------------------------------------------------

KNOWN = {
    ("post", "/v1/admin/clients"),
    ("put", "/v1/admin/clients/{client_id}/jwks"),
    ("post", "/v1/admin/clients/{client_id}/secret"),
    ("post", "/v1/admin/grants"),
    ("post", "/v1/admin/grants/{grant_id}/revoke"),
    ("post", "/v1/admin/revocations"),
    ("post", "/v1/datasets/{dataset_id}/query"),
    ("post", f"/v1/datasets/{DATASET}/query"),
    ("post", "/v1/datasets/tax-credit-rating/query"),
}
KNOWN_QUERIES = {
    ("get", "/v1/datasets/{dataset_id}/records"),
    ("get", f"/v1/datasets/{DATASET}/records"),
    ("get", "/v1/datasets/{dataset_id}/records/{key}"),
    ("get", "/v1/audit/exchanges"),
    ("get", "/v1/admin/grants"),
    ("get", "/v1/catalog/datasets"),
}
TYPED = re.compile(r"/v1/datasets/[a-z][a-z0-9-]+/(query|records)")


def test_the_json_operations_are_read_from_the_contract(gateway: Gateway) -> None:
    found = {(op.method, op.path) for op in gateway.operations}
    assert found >= KNOWN, KNOWN - found
    # Each dataset's typed operations: its query wherever its records are published.
    queries = {path for _, path in found if TYPED.fullmatch(path)}
    paths = {path for document in gateway.documents for path in document["paths"]}
    records = {path for path in paths if TYPED.fullmatch(path)} - queries
    assert len(queries) >= 8
    assert queries == {path.replace("/records", "/query") for path in records}


def test_an_operation_added_to_the_contract_is_found() -> None:
    body = {"content": {"application/json": {"schema": {"type": "object"}}}}
    document = {
        "components": {
            "parameters": {"Q": {"name": "q", "in": "query"}},
            "requestBodies": {"Note": {"content": {"application/problem+json": {"schema": {}}}}},
        },
        "paths": {
            "/v1/notes": {
                "parameters": [{"name": "X-Purpose", "in": "header"}],
                "patch": {"requestBody": body, "security": [{"oauth2": ["notes:write"]}]},
                "get": {"parameters": [{"$ref": "#/components/parameters/Q"}]},
            },
            "/v1/notes/{id}": {"put": {"requestBody": {"$ref": "#/components/requestBodies/Note"}}},
            "/v1/forms": {
                "post": {"requestBody": {"content": {"application/x-www-form-urlencoded": {}}}}
            },
        },
    }
    found = json_operations(document)
    assert [(op.label, op.media_type, op.scopes) for op in found] == [
        ("PATCH /v1/notes", "application/json", ("notes:write",)),
        ("PUT /v1/notes/{id}", "application/problem+json", None),
    ]
    assert found[0].parameters == ({"name": "X-Purpose", "in": "header"},)
    (query,) = query_operations(document)
    assert query.label == "GET /v1/notes"
    assert query.parameters == ({"name": "X-Purpose", "in": "header"}, {"name": "q", "in": "query"})


def _refused_cleanly(
    gateway: Gateway,
    operation: Operation,
    refusal: Refusal,
    *,
    body: bytes = b"",
    media: str | None = None,
    query: str = "",
) -> None:
    """The property: a clean problem answer, audited as what it was, and nothing else changed."""
    headers = gateway.headers(operation) | ({"Content-Type": media} if media else {})
    url = gateway.url(operation) + (f"?{query}" if query else "")
    stored, audited, quotas = gateway.state()
    response = gateway.app.test_client().open(
        url, method=operation.method.upper(), data=body, headers=headers
    )
    text = response.get_data(as_text=True)
    assert response.status_code == refusal.status, (response.status_code, text[:300])
    assert response.mimetype == "application/problem+json", response.mimetype
    assert not any(leak in text for leak in LEAKS), text[:300]
    problem = response.get_json()
    assert problem["status"] == response.status_code and problem["title"]
    assert problem["type"] in gateway.problem_types, problem["type"]
    assert refusal.problem in (None, problem["type"]), problem
    assert re.search(refusal.detail, problem.get("detail", "")), problem
    stored_after, audited_after, quotas_after = gateway.state()
    assert stored_after == stored, "a refused request stored or changed something"
    if exchange_id := response.headers.get("X-Exchange-Id"):  # an audited surface
        assert audited_after == audited + 1, "the refusal is not one audit record"
        assert gateway.audited_status(exchange_id) == response.status_code
    else:
        assert audited_after == audited
    requests, records = _taken(quotas, quotas_after)
    assert records == 0 and requests <= COUNTED_REFUSALS.get(problem["type"], 0), "quota used"


#: A cursor is checked once the query it pages is known, after rule 5 has counted the request:
#: that refusal is one request of the minute's quota (never records); no other refusal is either.
COUNTED_REFUSALS = {"/problems/invalid-cursor": 1}


def _taken(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
) -> tuple[int, int]:
    """Requests and records taken from the clients' quotas (the minute's window moves on, so
    what it gives back meanwhile is not counted against anything)."""
    requests = sum(max(0, before[c][0] - after[c][0]) for c in before)
    records = sum(max(0, before[c][1] - after[c][1]) for c in before)
    return requests, records


def _every_example_refused(gateway: Gateway, operation: Operation, kind: Hostility) -> None:
    bodies = valid_values(operation.schema, operation.document)
    cap = gateway.services.settings.max_body_bytes

    @HOSTILE
    @given(data=st.data())
    def refused(data: st.DataObject) -> None:
        body, media = kind.make(data, data.draw(bodies, label="valid body"), cap)
        _refused_cleanly(gateway, operation, kind.refusal, body=body, media=media)

    refused()


def _each_operation(
    gateway: Gateway, check: Callable[[Operation], None], operations: list[Operation]
) -> None:
    """Run the check for every operation, then report every one that failed."""
    assert operations
    failures = []
    for operation in operations:
        try:
            check(operation)
        except Exception as exc:
            notes = "\n".join(getattr(exc, "__notes__", []))
            failures.append(f"{operation.label}: {str(exc)[:800]}\n{notes[:1500]}")
    assert not failures, "\n\n".join(failures)
    assert gateway.chain_verifies()


@pytest.mark.parametrize("kind", HOSTILITIES, ids=lambda kind: kind.name.replace(" ", "-"))
def test_every_json_operation_refuses_hostile_json_cleanly(
    gateway: Gateway, kind: Hostility
) -> None:
    check = functools.partial(_every_example_refused, gateway, kind=kind)
    _each_operation(gateway, check, gateway.operations)


def _every_string_refused(gateway: Gateway, untaken: str, operation: Operation) -> None:
    slots = string_slots(operation.schema, operation.document)

    @settings(HOSTILE, max_examples=1)
    @given(valid_values(operation.schema, operation.document))
    def refused(body: Any) -> None:
        for slot in slots:
            hostile = json.dumps(placed(body, slot, untaken), ensure_ascii=False).encode()
            try:
                _refused_cleanly(gateway, operation, ANY_REFUSAL, body=hostile, media=JSON)
            except AssertionError as exc:
                exc.add_note(f"the string at {slot}")
                raise

    refused()


@pytest.mark.parametrize("kind", UNTAKEN_STRINGS, ids=lambda kind: kind.replace(" ", "-"))
def test_a_string_no_field_takes_is_refused_wherever_the_contract_takes_one(
    gateway: Gateway, kind: str
) -> None:
    """Where a schema bounds the string, the schema refuses it; where it does not (a cursor, a
    region code, a filter value), the gateway must, before the string reaches a node."""
    slots = {op.label: string_slots(op.schema, op.document) for op in gateway.operations}
    assert ("filter", "name", "prefix") in slots[f"POST /v1/datasets/{DATASET}/query"]
    check = functools.partial(_every_string_refused, gateway, UNTAKEN_STRINGS[kind])
    _each_operation(gateway, check, gateway.operations)


def _every_query_refused(gateway: Gateway, operation: Operation) -> None:
    names = sorted(p["name"] for p in operation.parameters if p["in"] == "query")

    @HOSTILE
    @given(data=st.data())
    def refused(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(names), label="parameter")
        value = data.draw(st.text(TEXT, max_size=4)).encode() + data.draw(NOT_UTF8)
        query = f"{quote(name)}={quote_from_bytes(value)}"
        _refused_cleanly(gateway, operation, NOT_UTF8_REFUSED, query=query)

    refused()


def test_a_query_that_is_not_utf8_is_refused_by_every_operation_that_reads_one(
    gateway: Gateway,
) -> None:
    """Lone surrogates and stray bytes in a query (``%ED%A0%80``, ``%FF``) are refused, not read
    as other text: Werkzeug would keep the escape literal or make it U+FFFD."""
    found = {(op.method, op.path) for op in gateway.queries}
    assert found >= KNOWN_QUERIES, KNOWN_QUERIES - found
    _each_operation(gateway, functools.partial(_every_query_refused, gateway), gateway.queries)
