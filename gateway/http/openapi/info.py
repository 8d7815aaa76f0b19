"""What /openapi.json says about the API as a whole: its info, its tags, and how a caller
authenticates (the OAuth 2.0 scopes, the client authentication methods) — read from their one
definitions in gateway/identity (docs/api.md#authentication)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from catalog import Dataset
from gateway.core.problems import DOCUMENTATION_PATH
from gateway.core.version import version
from gateway.identity import auth_methods, scopes
from gateway.identity.auth_methods import AUTH_METHODS

#: An operation's tag key → the tag's name, for people (a client generator names a module after
#: it: "Problem types" → ``problem_types``), its Chinese name and its description.
TAGS: Mapping[str, tuple[str, str, str]] = {
    "catalog": (
        "Catalogue",
        "数据目录",
        "The shared catalogue: search with facets, dataset entries, regions, DCAT-AP.",
    ),
    "data": (
        "Records",
        "数据记录",
        "Dataset records through the exchange pipeline (any dataset, by id).",
    ),
    "oauth": (
        "Authorisation",
        "统一授权",
        "Unified authorisation: OAuth 2.0 client credentials, RFC 8414, 7662, 7009.",
    ),
    "audit": ("Audit", "审计", "The tamper-evident audit trail: search, verification, export."),
    "admin": ("Administration", "管理", "Clients and grants; every change is audited."),
    "problems": ("Problem types", "问题类型", "Documentation of the RFC 9457 problem types."),
    "health": ("Health", "运行状态", "Liveness, readiness and metrics for operators."),
    "docs": ("Reference", "接口文档", "This description and its reference page."),
    "pages": ("Pages", "目录网页", "The catalogue's web pages for people (HTML)."),
}


def tag_name(key: str) -> str:
    """The tag of an operation as people read it (a dataset's tag is its title already)."""
    known = TAGS.get(key)
    return known[0] if known else key


def tags() -> list[dict[str, str]]:
    """The tags of the gateway's own operations; x-name-zh: the tag's Chinese name, for the
    reference page in Chinese."""
    return [
        {"name": name, "description": text, "x-name-zh": zh} for name, zh, text in TAGS.values()
    ]


def either(words: Iterable[str]) -> str:
    """``a, b or c``."""
    *rest, last = words
    return f"{', '.join(rest)} or {last}" if rest else last


def info(base_url: str) -> dict[str, Any]:
    return {
        "title": "JJJ Data Gateway API",
        "version": version(),
        "summary": "Beijing-Tianjin-Hebei public data sharing: unified authorisation, tiered "
        "use, centralised management.",
        "description": (
            "京津冀公共数据共享网关。Partners fetch public data held in another region through "
            "one OAuth-secured gateway.\n\n"
            "1. Get an access token from `POST /oauth/token` with the client credentials grant "
            f"({either(AUTH_METHODS)}).\n"
            "2. Call a data endpoint with `Authorization: Bearer <token>` and "
            "`X-Purpose: <purpose>` (the purpose vocabulary is listed on each dataset's "
            "catalogue entry).\n"
            "3. Read `data` and `meta`: which nodes answered, which fields are in clear, masked "
            "or dropped, and whether the answer is complete.\n\n"
            "Errors are RFC 9457 problems (`application/problem+json`) whose `type` is "
            f"documented at `{DOCUMENTATION_PATH}/<slug>`; the `/oauth/*` endpoints keep the "
            "RFC 6749 error format. The catalogue is public: search it at `/v1/catalog/datasets`, "
            f"harvest it as DCAT-AP at `{base_url.rstrip('/')}/v1/catalog/dcat`.\n\n"
            f"{DATASET_DOCUMENTS_TEXT}"
        ),
    }


#: Where each dataset's typed operations are: this document reaches every dataset by id, and
#: stays the same size however large the catalogue grows.
DATASET_DOCUMENT_PATH = "/v1/datasets/{dataset_id}/openapi.json"
DATASET_PAGE_PATH = "/docs/datasets/{dataset_id}"
DATASET_DOCUMENTS_TEXT = (
    "Each dataset's typed operations (its filters as parameters, its query body, its key "
    "lookup) and the schema of its records are in a document of their own, "
    f"`GET {DATASET_DOCUMENT_PATH}`, from which a client generator makes a typed client for "
    f"that dataset; its reference page is `{DATASET_PAGE_PATH}`. The catalogue entry of a "
    "dataset links both (`links.openapi`, `links.docs`)."
)


def dataset_documents(base_url: str) -> dict[str, str]:
    """x-dataset-documents: the address of every dataset's own document, as a URI template
    (RFC 6570), and of its reference page."""
    return {
        "description": DATASET_DOCUMENTS_TEXT,
        "href": f"{base_url}{DATASET_DOCUMENT_PATH}",
        "docs": f"{base_url}{DATASET_PAGE_PATH}",
    }


def dataset_info(dataset: Dataset, base_url: str) -> dict[str, Any]:
    """The info of one dataset's own document: what the dataset is, and how to call it."""
    access = (
        "It is shared on conditions: a request needs an active grant for the client, the "
        "dataset and the purpose it states."
        if dataset.share_type == "conditional"
        else "It is not shared: the gateway never serves its records; its record schema is "
        "here for reference."
        if dataset.share_type == "none"
        else "Any client of a tier that may read its data level may query it, with no grant."
    )
    return {
        "title": f"JJJ Data Gateway API: {dataset.title.en}",
        "version": version(),
        "summary": f"{dataset.title.en} ({dataset.title.zh}): its typed operations and schemas.",
        "description": (
            f"{dataset.title.zh}。{dataset.description.zh}\n\n"
            f"{dataset.description.en}\n\n"
            f"{access} Get an access token with the `data:read` scope from "
            f"`POST {base_url}/oauth/token` (client credentials) and state the purpose in "
            "`X-Purpose`. Errors are RFC 9457 problems whose `type` is documented at "
            f"`{DOCUMENTATION_PATH}/<slug>`. The gateway's other operations (tokens, the "
            f"catalogue, any dataset by id) are described in `{base_url}/openapi.json`."
        ),
    }


#: RFC 6749 §2.3 / RFC 7523: how a client authenticates at the token, introspection and
#: revocation endpoints, by its registered method (the client's ``authMethod``).
CLIENT_AUTHENTICATION: Mapping[str, Mapping[str, Any]] = {
    method.id: (
        {"bodyFields": list(method.body_fields)}
        if method.body_fields
        else {"securityScheme": "clientSecretBasic"}
    )
    for method in auth_methods.METHODS
}
CLIENT_AUTHENTICATION_TEXT = (
    "Client authentication, by the method the client was registered with (`authMethod`): "
    + "; ".join(
        f"`{method.id}` — {method.description}"
        + ("" if method.body_fields else " (security scheme `clientSecretBasic`)")
        for method in auth_methods.METHODS
    )
    + "."
)


def security_schemes(base_url: str) -> dict[str, Any]:
    return {
        "oauth2": {
            "type": "oauth2",
            "description": "OAuth 2.0 client credentials; access tokens are RFC 9068 "
            "JWTs carrying the client's scopes, region and tier.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": f"{base_url}/oauth/token",
                    "scopes": {scope.id: scope.description for scope in scopes.SCOPES},
                }
            },
        },
        "clientSecretBasic": {
            "type": "http",
            "scheme": "basic",
            "description": "client_secret_basic (RFC 6749 §2.3.1): the client id and "
            "secret as HTTP Basic credentials. A client registered for "
            "client_secret_post sends the same two values as the form fields "
            "client_id and client_secret instead (see the token request body).",
        },
    }
