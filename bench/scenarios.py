"""The scenarios of the benchmark: what one request of each is, and how to tell a good answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from .deployment import (
    DATASET,
    FAN_OUT_NODES,
    IN_PROCESS_KEY,
    REMOTE_KEY,
    REMOTE_LOOKUP_NODE,
    Deployment,
)

#: Records the fan-out query asks for (and must get).
FAN_OUT_LIMIT = 50
#: The catalogue search of scenario (f).
SEARCH_QUERY = "企业"
#: An adapter token lives 60 s; a longer load would send expired tokens (401s).
ADAPTER_TOKEN_SECONDS = 50


@dataclass(frozen=True, slots=True)
class Request:
    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None

    def send(self, timeout: float = 30.0) -> httpx.Response:
        return httpx.request(
            self.method,
            self.url,
            headers=dict(self.headers),
            content=self.body.encode("utf-8") if self.body is not None else None,
            timeout=timeout,
        )


#: A check of one answer: None when it is what the scenario expects, else why not.
Check = Callable[[httpx.Response], str | None]


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    title: str
    build: Callable[[Deployment], Request]
    check: Check
    #: Adapter servers whose CPU the scenario spends (reported beside the gateway's).
    adapter_nodes: tuple[str, ...] = ()
    #: The longest load this scenario's credentials survive (None: the access token's 10 min).
    max_seconds: float | None = None
    #: Whether it goes through the gateway (CPU and memory are measured there).
    through_gateway: bool = True
    #: wrk's per-request timeout (a timed-out request is an error, not a latency).
    timeout: float = 10.0


def _json_body(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None


def _status(answer: httpx.Response, expected: int = 200) -> str | None:
    if answer.status_code != expected:
        return f"HTTP {answer.status_code}: {answer.text[:300]}"
    return None


def _data_headers(deployment: Deployment, purpose: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {deployment.access_token()}", "X-Purpose": purpose}


# -- (a) ---------------------------------------------------------------------------------------


def _healthz(deployment: Deployment) -> Request:
    return Request(f"{deployment.base_url}/healthz")


def _healthz_check(answer: httpx.Response) -> str | None:
    return _status(answer)


# -- (b) ---------------------------------------------------------------------------------------


def _adapter_query(deployment: Deployment) -> Request:
    key = deployment.fixtures.samples[REMOTE_KEY]
    body = {
        "dataset": DATASET,
        "filter": {"creditCode": {"eq": key}},
        "fields": list(deployment.fixtures.fields),
        "limit": 1,
    }
    return Request(
        f"{deployment.adapter_urls[REMOTE_LOOKUP_NODE]}/query",
        "POST",
        {
            "Authorization": f"Bearer {deployment.adapter_token(REMOTE_LOOKUP_NODE)}",
            "Content-Type": "application/json",
        },
        json.dumps(body, ensure_ascii=False),
    )


def _adapter_query_check(answer: httpx.Response) -> str | None:
    problem = _status(answer)
    if problem:
        return problem
    records = (_json_body(answer) or {}).get("records")
    if not isinstance(records, list) or len(records) != 1:
        return f"expected one record, got {answer.text[:200]}"
    return None


# -- (c), (d) ----------------------------------------------------------------------------------


def _lookup(sample: str) -> Callable[[Deployment], Request]:
    def build(deployment: Deployment) -> Request:
        key = deployment.fixtures.samples[sample]
        return Request(
            f"{deployment.base_url}/v1/datasets/{DATASET}/records/{key}",
            headers=_data_headers(deployment, "credit-check"),
        )

    return build


def _lookup_check(answer: httpx.Response) -> str | None:
    problem = _status(answer)
    if problem:
        return problem
    body = _json_body(answer) or {}
    record, meta = body.get("data"), body.get("meta", {})
    if not isinstance(record, dict) or not record.get("creditCode"):
        return f"expected one record, got {answer.text[:200]}"
    if not meta.get("complete"):
        return f"incomplete answer: {meta.get('sources')}"
    return None


# -- (e) ---------------------------------------------------------------------------------------


def _fan_out(deployment: Deployment) -> Request:
    headers = _data_headers(deployment, "statistics") | {"Content-Type": "application/json"}
    body = {"regions": list(deployment.fixtures.fan_out_regions), "limit": FAN_OUT_LIMIT}
    return Request(
        f"{deployment.base_url}/v1/datasets/{DATASET}/query",
        "POST",
        headers,
        json.dumps(body),
    )


def _fan_out_check(answer: httpx.Response) -> str | None:
    problem = _status(answer)
    if problem:
        return problem
    body = _json_body(answer) or {}
    records, meta = body.get("data"), body.get("meta", {})
    sources = meta.get("sources", [])
    nodes = sorted(s.get("node") for s in sources)
    if nodes != sorted(FAN_OUT_NODES) or any(s.get("status") != "ok" for s in sources):
        return f"expected ok answers from {', '.join(FAN_OUT_NODES)}, got {sources}"
    if not isinstance(records, list) or len(records) != FAN_OUT_LIMIT:
        return f"expected {FAN_OUT_LIMIT} records, got {len(records or [])}"
    return None


# -- (f) ---------------------------------------------------------------------------------------


def _search(deployment: Deployment) -> Request:
    return Request(f"{deployment.base_url}/v1/catalog/datasets?q={quote(SEARCH_QUERY)}")


def _search_check(answer: httpx.Response) -> str | None:
    problem = _status(answer)
    if problem:
        return problem
    if not (_json_body(answer) or {}).get("data"):
        return f"the search found nothing: {answer.text[:200]}"
    return None


# -- (g) ---------------------------------------------------------------------------------------


def _token(deployment: Deployment) -> Request:
    form = "&".join(f"{k}={quote(v, safe='')}" for k, v in deployment.token_form().items())
    return Request(
        f"{deployment.base_url}/oauth/token",
        "POST",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form,
    )


def _token_check(answer: httpx.Response) -> str | None:
    problem = _status(answer)
    if problem:
        return problem
    if not (_json_body(answer) or {}).get("access_token"):
        return f"no access token: {answer.text[:200]}"
    return None


SCENARIOS: dict[str, Scenario] = {
    s.key: s
    for s in (
        Scenario("a", "GET /healthz (web stack floor)", _healthz, _healthz_check),
        Scenario(
            "b",
            "adapter server POST /query, one record (upstream alone)",
            _adapter_query,
            _adapter_query_check,
            adapter_nodes=(REMOTE_LOOKUP_NODE,),
            max_seconds=ADAPTER_TOKEN_SECONDS,
            through_gateway=False,
        ),
        Scenario("c", "key lookup, in-process adapter", _lookup(IN_PROCESS_KEY), _lookup_check),
        Scenario(
            "d",
            "key lookup, remote adapter server",
            _lookup(REMOTE_KEY),
            _lookup_check,
            adapter_nodes=(REMOTE_LOOKUP_NODE,),
        ),
        Scenario(
            "e",
            f"fan-out query, 3 provinces, {FAN_OUT_LIMIT} records, remote",
            _fan_out,
            _fan_out_check,
            adapter_nodes=FAN_OUT_NODES,
        ),
        Scenario("f", f"catalogue search q={SEARCH_QUERY}", _search, _search_check),
        # Each token costs one argon2id verification of the client secret (64 MiB, 3 passes):
        # with 32 connections an answer can take seconds, and it is still an answer.
        Scenario("g", "token issuance POST /oauth/token", _token, _token_check, timeout=60.0),
    )
}
