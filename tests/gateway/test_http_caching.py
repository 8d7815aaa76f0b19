"""Public answers are cacheable and conditional (RFC 9110 §13, RFC 9111), compressed when the
caller accepts gzip, and lists link their other pages (RFC 8288); data answers stay no-store."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from .conftest import bearer

pytestmark = pytest.mark.both_backends

PUBLIC = (
    "/v1/catalog/datasets",
    "/v1/catalog/datasets/market-entity-registration",
    "/v1/catalog/regions",
    "/v1/catalog/dcat",
    "/openapi.json",
    "/v1/datasets/market-entity-registration/openapi.json",
    "/docs",
    "/docs/datasets",
    "/docs/datasets/market-entity-registration",
)


def _links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]*)>; rel="([a-z]+)"', header)}


@pytest.mark.parametrize("path", PUBLIC)
def test_a_public_answer_has_a_validator_and_a_public_cache_policy(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert "Accept-Encoding" in response.headers["Vary"]


@pytest.mark.parametrize("path", PUBLIC)
def test_if_none_match_with_the_etag_is_answered_304(client: FlaskClient, path: str) -> None:
    etag = client.get(path).headers["ETag"]
    again = client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    changed = client.get(path, headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200 and changed.get_data()


def test_if_modified_since_the_last_modification_is_answered_304(client: FlaskClient) -> None:
    first = client.get("/v1/catalog/dcat")
    since = first.headers["Last-Modified"]
    assert client.get("/v1/catalog/dcat", headers={"If-Modified-Since": since}).status_code == 304
    older = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get("/v1/catalog/dcat", headers={"If-Modified-Since": older}).status_code == 200
    # RFC 9110 §13.2.2: with If-None-Match, If-Modified-Since is not looked at.
    both = client.get(
        "/v1/catalog/dcat", headers={"If-Modified-Since": since, "If-None-Match": '"other"'}
    )
    assert both.status_code == 200


@pytest.mark.parametrize("path", ["/v1/catalog/dcat", "/openapi.json", "/docs"])
def test_gzip_is_sent_to_a_caller_that_accepts_it(client: FlaskClient, path: str) -> None:
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "br;q=1, gzip;q=0.8"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) * 3 < len(plain.get_data())
    assert packed.headers["ETag"] != plain.headers["ETag"]
    assert "Content-Encoding" not in plain.headers
    refused = client.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    etag = packed.headers["ETag"]
    assert (
        client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": etag}).status_code
        == 304
    )


def test_a_problem_from_the_catalogue_is_not_cached(client: FlaskClient) -> None:
    response = client.get("/v1/catalog/datasets/no-such-dataset")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_data_answers_stay_no_store(client: FlaskClient, token_for: Callable[..., str]) -> None:
    response = client.get(
        "/v1/datasets/market-entity-registration/records?limit=2",
        headers={**bearer(token_for("partner")), "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers and "Content-Encoding" not in response.headers


def test_the_catalogue_search_links_its_first_prev_next_and_last_pages(
    client: FlaskClient,
) -> None:
    response = client.get("/v1/catalog/datasets?perPage=2&page=2&sort=title")
    total = response.get_json()["meta"]["total"]
    last = -(-total // 2)
    assert last > 2
    links = _links(response.headers["Link"])
    assert links == {
        "first": "/v1/catalog/datasets?perPage=2&sort=title&page=1",
        "prev": "/v1/catalog/datasets?perPage=2&sort=title&page=1",
        "next": "/v1/catalog/datasets?perPage=2&sort=title&page=3",
        "last": f"/v1/catalog/datasets?perPage=2&sort=title&page={last}",
    }
    final = _links(client.get(links["last"]).headers["Link"])
    assert "next" not in final and final["prev"].endswith(f"page={last - 1}")


def test_the_audit_search_links_its_next_page(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    token = token_for("regulator")
    for _ in range(3):
        client.get("/v1/datasets/market-entity-registration/records?limit=1", headers=bearer(token))
    response = client.get("/v1/audit/exchanges?limit=2", headers=bearer(token))
    assert response.status_code == 200
    cursor = response.get_json()["meta"]["nextCursor"]
    links = _links(response.headers["Link"])
    assert links == {
        "first": "/v1/audit/exchanges?limit=2",
        "next": f"/v1/audit/exchanges?limit=2&cursor={cursor}",
    }
    following = client.get(links["next"], headers=bearer(token))
    assert following.status_code == 200 and following.get_json()["data"]
