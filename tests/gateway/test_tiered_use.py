"""Tiered use through the HTTP API (docs/architecture.md#domain-model, docs/access-and-tiers.md,
docs/reference.md): every cell of the decision matrix kept in decision_matrix.yaml, a leak scan of
every answer, masking, quotas, `policy explain` and the grants administration API."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select
from werkzeug.test import TestResponse

from adapters.protocol import QueryRequest
from gateway import create_app
from gateway.audit.actions import Actor
from gateway.cli.main import main
from gateway.core.settings import load_settings
from gateway.demo import GenerationReport
from gateway.services import Configuration, load_configuration
from gateway.storage import upgrade
from gateway.storage.tables import audit_records
from policies.documents import default_directory as default_policies_directory

from .conftest import SCOPES_BY_TIER

pytestmark = pytest.mark.both_backends

MATRIX: dict[str, Any] = yaml.safe_load(
    Path(__file__).with_name("decision_matrix.yaml").read_text("utf-8")
)
DATASETS: dict[str, dict[str, Any]] = MATRIX["datasets"]
SITUATIONS: dict[str, dict[str, Any]] = MATRIX["situations"]
VIEWS: dict[str, dict[str, dict[str, Any]]] = MATRIX["views"]
TIERS: list[str] = list(MATRIX["quotas"])

ME = "market-entity-registration"
RE = "real-estate-registration"
SI = "social-insurance-payment"

#: Raw strings shorter than this are not looked for: they occur by chance (e.g. 2-character names).
MIN_LEAK_LENGTH = 4

ISSUER = "http://gateway.test"
APPROVER = "京津冀政务数据共享协调小组"
LEGAL_BASIS = "《京津冀政务数据共享协议》第五条"


class Cell(NamedTuple):
    tier: str
    dataset: str
    situation: str
    purpose: str
    rule_id: str
    status: int
    grant: str | None


CELLS = [Cell(*row) for row in MATRIX["cells"]]


def test_the_matrix_covers_every_tier_dataset_and_situation_once() -> None:
    seen = [(c.tier, c.dataset, c.situation) for c in CELLS]
    assert len(seen) == len(set(seen)) == len(TIERS) * len(DATASETS) * len(SITUATIONS) == 216
    for cell in CELLS:
        assert cell.purpose == SITUATIONS[cell.situation]["purpose"]
        assert cell.rule_id in MATRIX["problems"] or cell.status == 200
    # A view lists clear, masked and dropped fields where the tier is allowed the dataset at all,
    # and the fields it may not see in clear where it never is.
    for tier, views in VIEWS.items():
        for dataset, view in views.items():
            allowed = any(c.status == 200 for c in CELLS if (c.tier, c.dataset) == (tier, dataset))
            assert set(view) == ({"clear", "masked", "dropped"} if allowed else {"hidden"})


# -- the gateway under test -----------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    client_id: str
    token: str
    tier: str


def _headers(caller: Caller, purpose: str | None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {caller.token}"}
    if purpose is not None:
        headers["X-Purpose"] = purpose
    return headers


class Gateway:
    """One app on its own instance folder, and what the tests need: clients, grants, raw data."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.services = app.extensions["jjj-gateway"]
        self.http = app.test_client()
        self._raw: dict[tuple[str, str], list[dict[str, Any]]] = {}
        # Clients authenticate with private_key_jwt: no secret to hash, so many clients are cheap.
        self._key = ECKey.generate_key("P-256", parameters={"kid": "tiered-use"}, private=True)

    @property
    def instance_path(self) -> Path:
        return Path(self.services.settings.instance_path)

    def caller(self, tier: str, *, scopes: list[str] | None = None) -> Caller:
        """A new client of the tier, with an access token from /oauth/token."""
        public = self._key.as_dict(private=False) | {"kid": "tiered-use", "use": "sig"}
        client, _ = self.services.clients.create(
            name=f"分级使用测试 {tier}",
            region="110000",
            tier=tier,
            scopes=scopes or SCOPES_BY_TIER[tier],
            auth_method="private_key_jwt",
            jwks={"keys": [public]},
        )
        now = int(time.time())
        assertion = jwt.encode(
            {"alg": "ES256", "kid": "tiered-use"},
            {
                "iss": client.client_id,
                "sub": client.client_id,
                "aud": f"{ISSUER}/oauth/token",
                "iat": now,
                "exp": now + 60,
                "jti": secrets.token_hex(8),
            },
            self._key,
        )
        response = self.http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
        )
        assert response.status_code == 200, response.get_json()
        return Caller(client.client_id, str(response.get_json()["access_token"]), tier)

    def grant(self, caller: Caller, dataset: str, purpose: str, **kwargs: Any) -> str:
        grant = self.services.grant_admin.issue(
            Actor("test"),
            client_id=caller.client_id,
            dataset=dataset,
            purpose=purpose,
            approver=APPROVER,
            legal_basis=LEGAL_BASIS,
            **kwargs,
        )
        return str(grant.id)

    def records(
        self, caller: Caller, dataset: str, purpose: str | None, **params: str
    ) -> TestResponse:
        return self.http.get(
            f"/v1/datasets/{dataset}/records",
            query_string={"limit": "5", **params},
            headers=_headers(caller, purpose),
        )

    def raw(self, dataset: str, region: str) -> list[dict[str, Any]]:
        """The records as the nodes serving the region hold them, unmasked (first 200 a node)."""
        key = (dataset, region)
        if key not in self._raw:
            config = self.services.config
            entry = config.catalog.get(dataset)
            records: list[dict[str, Any]] = []
            for route in config.routing.routes(dataset, config.routing.expand([region])):
                filter_ = {} if route.whole else {entry.region_field: {"in": list(route.regions)}}
                page = self.services.fleet.adapter(route.node).query(
                    QueryRequest(dataset=dataset, filter=filter_, fields=None, limit=200)
                )
                records.extend(page.records)
            self._raw[key] = records
        return self._raw[key]

    def raw_by_key(self, dataset: str, region: str) -> dict[str, dict[str, Any]]:
        key_field = self.services.config.catalog.get(dataset).key_field
        return {r[key_field]: r for r in self.raw(dataset, region)}

    def audit_row(self, exchange_id: str) -> Any:
        with self.services.engine.connect() as conn:
            return conn.execute(
                select(audit_records).where(audit_records.c.exchange_id == exchange_id)
            ).one()

    def admin_actions(self) -> list[dict[str, Any]]:
        with self.services.engine.connect() as conn:
            rows = conn.execute(
                select(audit_records.c.body)
                .where(audit_records.c.kind == "admin")
                .order_by(audit_records.c.seq)
            ).all()
        return [json.loads(row.body) for row in rows]


def _start(
    root: Path,
    configuration: Configuration | None,
    demo_data: GenerationReport,
    *,
    policies_dir: Path | None = None,
) -> Flask:
    overrides: dict[str, Any] = {
        "instance_path": root / "instance",
        "data_dir": demo_data.data_dir,
        "issuer": ISSUER,
        "warm_start": False,
    }
    if policies_dir is not None:
        overrides["policies_dir"] = policies_dir
    settings = load_settings(overrides, environ={})
    settings.instance_path.mkdir(parents=True)
    upgrade(settings.sqlalchemy_url)
    app = create_app(settings, configuration=configuration or load_configuration(settings))
    app.testing = True
    return app


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory,
    configuration: Configuration,
    demo_data: GenerationReport,
) -> Iterator[Gateway]:
    app = _start(tmp_path_factory.mktemp("tiered-use"), configuration, demo_data)
    yield Gateway(app)
    app.extensions["jjj-gateway"].close()


@pytest.fixture(scope="module")
def overridden(
    tmp_path_factory: pytest.TempPathFactory, demo_data: GenerationReport
) -> Iterator[Gateway]:
    """A gateway whose tier document lets partners read level 3 and gives open 7 records a day."""
    root = tmp_path_factory.mktemp("tiered-use-override")
    policies_dir = root / "policies"
    policies_dir.mkdir()
    for document in default_policies_directory().glob("*.yaml"):
        shutil.copy(document, policies_dir)
    tiers = policies_dir / "tiers.yaml"
    text = tiers.read_text("utf-8")
    text = text.replace("maxLevel: 2", "maxLevel: 3", 1).replace(
        "recordsPerDay: 5000\n", "recordsPerDay: 7\n", 1
    )
    assert "maxLevel: 2" not in text and "recordsPerDay: 7\n" in text
    tiers.write_text(text, "utf-8")
    app = _start(root, None, demo_data, policies_dir=policies_dir)
    yield Gateway(app)
    app.extensions["jjj-gateway"].close()


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Matrix:
    callers: dict[tuple[str, str], Caller]
    #: (tier, situation, dataset) → the id of the grant the situation gave on the dataset
    grants: dict[tuple[str, str, str], str]


@pytest.fixture(scope="module")
def matrix(gateway: Gateway) -> Matrix:
    """One client per tier and grant situation, holding that situation's grant on every dataset."""
    callers: dict[tuple[str, str], Caller] = {}
    grants: dict[tuple[str, str, str], str] = {}
    for tier in TIERS:
        for situation, spec in SITUATIONS.items():
            caller = callers[(tier, situation)] = gateway.caller(tier)
            grant = spec["grant"]
            if grant is None:
                continue
            for dataset, where in DATASETS.items():
                if not where.get("grantable", True):
                    continue
                region_key = grant.get("regions")
                grants[(tier, situation, dataset)] = gateway.grant(
                    caller,
                    dataset,
                    grant["purpose"],
                    regions=[where[region_key]] if region_key else None,
                    valid_from=_moment(grant.get("validFrom")),
                    valid_until=_moment(grant.get("validUntil")),
                )
    return Matrix(callers, grants)


# -- the leak scan --------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9_-]{12,}")


def _decoded(text: str, depth: int = 3) -> list[str]:
    """Texts carried base64url-encoded inside ``text`` (page cursors and the like), recursively."""
    found: list[str] = []
    if depth == 0:
        return found
    for token in _TOKEN.findall(text):
        try:
            inner = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if inner.isprintable():
            found.append(inner)
            found.extend(_decoded(inner, depth - 1))
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool):
        yield value


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def exposed(response: TestResponse, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    """Everything an answer shows: body, error details, headers — and what they carry encoded."""
    texts = [("body", response.get_data(as_text=True))]
    if response.is_json:
        texts += [("body value", s) for s in _strings(response.get_json())]
    texts += [(f"header {name}", f"{name}: {value}") for name, value in response.headers.items()]
    texts += list(extra)
    texts += [(f"decoded from {where}", inner) for where, text in texts for inner in _decoded(text)]
    return texts


def clear_values(response: TestResponse) -> set[str]:
    """The values the answer shows in clear (a raw value that is also one of them is no leak)."""
    body = response.get_json(silent=True) or {}
    data = body.get("data")
    if not isinstance(data, list):
        return set()
    clear = set(body["meta"]["fields"]["clear"])
    return {
        _as_text(value)
        for record in data
        for name, item in record.items()
        if name in clear
        for value in _leaves(item)
    }


def assert_no_leak(
    texts: list[tuple[str, str]],
    raw_records: Iterable[Mapping[str, Any]],
    hidden_fields: Iterable[str],
    *,
    allowed: Iterable[str] = (),
) -> int:
    """No raw value of a hidden field appears in any of the texts; returns how many were sought.

    Strings shorter than MIN_LEAK_LENGTH and values the answer also shows in clear (``allowed``)
    are not sought; numbers only count where they stand alone, not inside ids or other numbers.
    """
    hidden_fields = list(hidden_fields)
    skip = set(allowed)
    sought: dict[str, tuple[str, re.Pattern[str] | None]] = {}
    for record in raw_records:
        for name in hidden_fields:
            for value in _leaves(record.get(name)):
                text = _as_text(value)
                if len(text) < MIN_LEAK_LENGTH or text in skip or text in sought:
                    continue
                pattern = (
                    None
                    if isinstance(value, str)
                    else re.compile(rf"(?<![\w.-]){re.escape(text)}(?![\w.-])")
                )
                sought[text] = (name, pattern)
    leaks = []
    for value, (name, pattern) in sought.items():
        for where, text in texts:
            if pattern.search(text) if pattern else value in text:
                leaks.append(f"{name}={value!r} in {where}")
                break
    assert not leaks, "hidden values leaked: " + "; ".join(leaks[:10])
    return len(sought)


# -- headers --------------------------------------------------------------------------------------

_RATE_LIMIT = re.compile(r'"requests";r=([0-9]+);t=([0-9]+), "records";r=([0-9]+);t=([0-9]+)')


def assert_quota_headers(response: TestResponse, tier: str) -> tuple[int, int]:
    """The RateLimit-Policy and RateLimit fields; returns (requests, records) remaining."""
    quota = MATRIX["quotas"][tier]
    assert response.headers["RateLimit-Policy"] == (
        f'"requests";q={quota["requests"]};w=60, '
        f'"records";q={quota["records"]};w=86400;qu="records"'
    )
    match = _RATE_LIMIT.fullmatch(response.headers["RateLimit"])
    assert match, response.headers["RateLimit"]
    requests_left, requests_reset, records_left, records_reset = map(int, match.groups())
    assert 0 <= requests_left <= quota["requests"] and 0 <= requests_reset <= 60
    assert 0 <= records_left <= quota["records"] and 0 <= records_reset <= 86400
    return requests_left, records_left


# -- the decision matrix --------------------------------------------------------------------------


def _cell_id(cell: Cell) -> str:
    return f"{cell.tier}/{cell.dataset}/{cell.situation}"


@pytest.mark.parametrize("cell", CELLS, ids=[_cell_id(c) for c in CELLS])
def test_decision_matrix_cell(cell: Cell, gateway: Gateway, matrix: Matrix) -> None:
    caller = matrix.callers[(cell.tier, cell.situation)]
    region = DATASETS[cell.dataset]["region"]
    response = gateway.records(caller, cell.dataset, cell.purpose, region=region)
    body = response.get_json()
    assert response.status_code == cell.status, body
    assert_quota_headers(response, cell.tier)
    exchange_id = response.headers["X-Exchange-Id"]
    view = VIEWS[cell.tier][cell.dataset]

    if cell.status == 200:
        meta = body["meta"]
        assert meta["exchangeId"] == exchange_id
        grant_id = matrix.grants[(cell.tier, cell.situation, cell.dataset)] if cell.grant else None
        assert meta["decision"] == {"ruleId": cell.rule_id, "grantId": grant_id}
        assert meta["dataset"] == cell.dataset and meta["purpose"] == cell.purpose
        fields = meta["fields"]
        assert set(fields["clear"]) == set(view["clear"])
        assert fields["masked"] == view["masked"]
        assert set(fields["dropped"]) == set(view["dropped"])
        assert meta["complete"] is True
        assert 1 <= len(body["data"]) <= 5 and meta["count"] == len(body["data"])
        leaves = gateway.services.config.catalog.regions.leaves(region)
        shown = set(view["clear"]) | set(view["masked"])
        for record in body["data"]:
            assert set(record) <= shown, set(record) - shown
            assert record["regionCode"] in leaves
        hidden = [*view["masked"], *view["dropped"]]
    else:
        assert response.mimetype == "application/problem+json"
        assert body["type"] == MATRIX["problems"][cell.rule_id]
        assert body["status"] == cell.status and body["ruleId"] == cell.rule_id
        assert body["exchangeId"] == exchange_id and body["detail"] and body["reasonZh"]
        assert "data" not in body and "meta" not in body
        hidden = view.get("hidden") or [*view["masked"], *view["dropped"]]

    audit = gateway.audit_row(exchange_id)
    assert (audit.rule_id, audit.http_status) == (cell.rule_id, cell.status)
    assert audit.decision == ("allow" if cell.status == 200 else "deny")
    texts = exposed(response, ("audit record", audit.body))
    assert_no_leak(texts, gateway.raw(cell.dataset, region), hidden, allowed=clear_values(response))


def test_the_leak_scan_finds_a_planted_value(gateway: Gateway, matrix: Matrix) -> None:
    """The scan is not vacuous: it seeks values an answer really hides, and finds them when they
    are there — in clear, inside JSON, or base64url-encoded."""
    caller = matrix.callers[("government", "active")]
    response = gateway.records(caller, SI, "talent-mobility", region="120000")
    assert response.status_code == 200
    raw = gateway.raw(SI, "120000")
    assert assert_no_leak(exposed(response), raw, ["phone", "birthDate"]) > len(raw) > 0
    first = raw[0]
    with pytest.raises(AssertionError, match="residentId="):
        assert_no_leak([("planted", f"... {first['residentId']} ...")], raw, ["residentId"])
    with pytest.raises(AssertionError, match="phone="):
        assert_no_leak([("planted", json.dumps({"p": first["phone"]}))], raw, ["phone"])
    encoded = base64.urlsafe_b64encode(json.dumps([first["residentId"]]).encode()).decode()
    with pytest.raises(AssertionError, match="decoded from planted"):
        assert_no_leak(
            [("planted", encoded), *[("decoded from planted", t) for t in _decoded(encoded)]],
            raw,
            ["residentId"],
        )


# -- masking is not reversible --------------------------------------------------------------------


def test_asking_for_a_masked_field_alone_still_gets_it_masked(
    gateway: Gateway, matrix: Matrix
) -> None:
    caller = matrix.callers[("partner", "none")]
    response = gateway.records(caller, ME, "credit-check", region="110108", fields="legalRepName")
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"]["fields"] == {
        "clear": [],
        "masked": {"legalRepName": "partial"},
        "dropped": [],
    }
    raw = gateway.raw_by_key(ME, "110108")
    names = {r["legalRepName"] for r in raw.values()}
    assert body["data"]
    for record in body["data"]:
        assert list(record) == ["legalRepName"]
        assert "*" in record["legalRepName"] and record["legalRepName"] not in names
    assert_no_leak(exposed(response), raw.values(), ["legalRepName", "legalRepId", "contactPhone"])


def test_asking_for_a_dropped_field_alone_gets_nothing_of_it(
    gateway: Gateway, matrix: Matrix
) -> None:
    caller = matrix.callers[("open", "none")]
    response = gateway.records(caller, ME, "credit-check", region="110108", fields="legalRepId")
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"]["fields"] == {"clear": [], "masked": {}, "dropped": ["legalRepId"]}
    assert all("legalRepId" not in record for record in body["data"])
    assert_no_leak(exposed(response), gateway.raw(ME, "110108"), ["legalRepId"])


def test_a_filter_on_a_masked_field_is_refused(gateway: Gateway, matrix: Matrix) -> None:
    caller = matrix.callers[("government", "active")]
    owner = gateway.raw(RE, "110108")[0]["ownerId"]
    response = gateway.records(caller, RE, "talent-mobility", region="110108", ownerId=owner)
    assert response.status_code == 403
    body = response.get_json()
    assert body["type"] == "/problems/filter-not-permitted" and "ownerId" in body["detail"]
    assert "data" not in body and owner not in response.get_data(as_text=True)
    posted = gateway.http.post(
        f"/v1/datasets/{RE}/query",
        json={"filter": {"ownerId": {"eq": owner}}, "regions": ["110108"]},
        headers=_headers(caller, "talent-mobility"),
    )
    assert posted.status_code == 403
    assert posted.get_json()["type"] == "/problems/filter-not-permitted"
    resident = gateway.raw(SI, "120000")[0]["residentId"]
    by_id = gateway.records(caller, SI, "talent-mobility", region="120000", residentId=resident)
    assert by_id.status_code == 403
    assert by_id.get_json()["type"] == "/problems/filter-not-permitted"


def test_a_filter_on_a_dropped_field_is_refused(gateway: Gateway) -> None:
    caller = gateway.caller("government")
    gateway.grant(caller, SI, "talent-mobility", fields=["regionCode", "status", "monthsPaid"])
    listed = gateway.records(caller, SI, "talent-mobility", region="120000")
    assert listed.status_code == 200
    fields = listed.get_json()["meta"]["fields"]
    assert set(fields["clear"]) == {"regionCode", "status", "monthsPaid"}
    assert "residentId" in fields["dropped"] and fields["masked"] == {}
    resident = gateway.raw(SI, "120000")[0]["residentId"]
    response = gateway.records(caller, SI, "talent-mobility", region="120000", residentId=resident)
    assert response.status_code == 403
    assert response.get_json()["type"] == "/problems/filter-not-permitted"
    assert resident not in response.get_data(as_text=True)


def test_a_filter_on_a_field_no_one_may_filter_is_refused(gateway: Gateway, matrix: Matrix) -> None:
    """legalRepName is not in the query schema, for any tier: the filter is refused as invalid
    before any decision, and the value asked for is not echoed."""
    caller = matrix.callers[("partner", "none")]
    name = next(r["legalRepName"] for r in gateway.raw(ME, "110108") if len(r["legalRepName"]) > 2)
    response = gateway.records(caller, ME, "credit-check", region="110108", legalRepName=name)
    assert response.status_code == 400
    body = response.get_json()
    assert body["type"] == "/problems/validation-failed" and "data" not in body
    assert [e["path"] for e in body["errors"]] == ["$.filter.legalRepName"]
    assert name not in response.get_data(as_text=True)


def test_a_filter_on_a_clear_field_works_with_a_narrower_field_list(
    gateway: Gateway, matrix: Matrix
) -> None:
    """Filtering on a field the caller sees in clear is allowed even when `fields` leaves it out."""
    caller = matrix.callers[("open", "none")]
    response = gateway.records(
        caller, ME, "credit-check", region="110108", status="存续", fields="creditCode,name"
    )
    assert response.status_code == 200, response.get_json()
    raw = gateway.raw_by_key(ME, "110108")
    assert all(raw[r["creditCode"]]["status"] == "存续" for r in response.get_json()["data"])


def test_pseudonyms_are_stable_for_one_client_and_differ_between_clients(
    gateway: Gateway, matrix: Matrix
) -> None:
    one = matrix.callers[("government", "none")]
    other = matrix.callers[("government", "active")]

    def pseudonyms(caller: Caller) -> dict[str, str]:
        response = gateway.records(caller, ME, "credit-check", region="110108")
        assert response.status_code == 200
        return {r["creditCode"]: r["legalRepId"] for r in response.get_json()["data"]}

    first, again, theirs = pseudonyms(one), pseudonyms(one), pseudonyms(other)
    assert first and first == again
    raw = gateway.raw_by_key(ME, "110108")
    for code, pseudonym in first.items():
        assert re.fullmatch(r"p:[0-9a-f]{16}", pseudonym)
        assert pseudonym != raw[code]["legalRepId"]
        assert theirs[code] != pseudonym
        # The same resident ID through another request (a key lookup) gets the same pseudonym.
        single = gateway.http.get(
            f"/v1/datasets/{ME}/records/{code}", headers=_headers(one, "credit-check")
        )
        assert single.status_code == 200
        assert single.get_json()["data"]["legalRepId"] == pseudonym


def test_page_cursors_do_not_carry_hidden_values(gateway: Gateway, matrix: Matrix) -> None:
    """A cursor is opaque to the caller: it must not carry the raw key of the last record read
    (social insurance is keyed by the resident ID, which the government tier sees as a pseudonym).
    """
    caller = matrix.callers[("government", "active")]
    response = gateway.records(caller, SI, "talent-mobility", region="120000")
    assert response.status_code == 200
    cursor = response.get_json()["meta"]["nextCursor"]
    assert cursor
    decoded = _decoded(cursor)
    residents = {r["residentId"] for r in gateway.raw(SI, "120000")}
    carried = sorted(r for r in residents if any(r in text for text in decoded))
    assert not carried, f"the cursor carries raw resident IDs {carried}: {decoded}"


# -- masking golden cases (docs/reference.md)
# ------------------------------------------------------------


def test_phone_and_name_are_partially_masked(gateway: Gateway, matrix: Matrix) -> None:
    caller = matrix.callers[("partner", "none")]
    response = gateway.records(caller, ME, "credit-check", region="110108")
    assert response.status_code == 200
    raw = gateway.raw_by_key(ME, "110108")
    records = response.get_json()["data"]
    assert records
    for record in records:
        original = raw[record["creditCode"]]
        phone, name = record["contactPhone"], record["legalRepName"]
        assert re.fullmatch(r"1[3-9][0-9]\*{4}[0-9]{4}", phone), phone  # 138****1234
        assert phone == original["contactPhone"][:3] + "****" + original["contactPhone"][7:]
        surname = original["legalRepName"][0]
        assert name == surname + "*" * (len(original["legalRepName"]) - 1)  # 张*
        assert "legalRepId" not in record


def test_address_is_generalised_to_the_district_and_birth_date_to_the_year(
    gateway: Gateway, matrix: Matrix
) -> None:
    caller = matrix.callers[("government", "active")]
    estate = gateway.records(caller, RE, "talent-mobility", region="110108")
    assert estate.status_code == 200
    raw_estate = gateway.raw_by_key(RE, "110108")
    for record in estate.get_json()["data"]:
        assert record["location"] == "北京市海淀区"
        assert raw_estate[record["unitNumber"]]["location"].startswith("北京市海淀区")
        assert raw_estate[record["unitNumber"]]["location"] != "北京市海淀区"
    insured = gateway.records(caller, SI, "talent-mobility", region="120000")
    assert insured.status_code == 200
    clear = insured.get_json()["meta"]["fields"]["clear"]
    raw_insured = gateway.raw(SI, "120000")
    births = [r["birthDate"] for r in insured.get_json()["data"] if r.get("birthDate")]
    assert births and all(re.fullmatch(r"(19|20)[0-9]{2}", b) for b in births)
    for record in insured.get_json()["data"]:
        originals = [o for o in raw_insured if all(o.get(f) == record.get(f) for f in clear)]
        assert originals
        for original in originals:
            expected = original["birthDate"][:4] if original.get("birthDate") else None
            assert record.get("birthDate") == expected


def test_resident_id_keeps_the_first_6_and_last_4_for_a_partner(overridden: Gateway) -> None:
    """With partners allowed level 3 (a tier document override), a real-estate grant that names
    no fields shows the owner's resident ID as 110105********002X (the partner profile)."""
    caller = overridden.caller("partner")
    grant_id = overridden.grant(caller, RE, "property-transaction")
    response = overridden.records(caller, RE, "property-transaction", region="110105")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["meta"]["decision"] == {"ruleId": "allow-grant", "grantId": grant_id}
    assert body["meta"]["fields"]["masked"] == {
        "ownerName": "partial",
        "ownerId": "partial",
        "location": "generalise",
    }
    raw = overridden.raw_by_key(RE, "110105")
    assert body["data"]
    for record in body["data"]:
        original = raw[record["unitNumber"]]["ownerId"]
        assert re.fullmatch(r"[0-9]{6}\*{8}[0-9]{3}[0-9X]", record["ownerId"]), record["ownerId"]
        assert record["ownerId"] == original[:6] + "********" + original[14:]
        assert record["location"] == "北京市朝阳区"
    assert_no_leak(exposed(response), raw.values(), ["ownerId", "ownerName", "location"])


# -- quotas ---------------------------------------------------------------------------------------


def test_the_61st_request_in_a_minute_is_refused(gateway: Gateway) -> None:
    caller = gateway.caller("open")
    left = []
    for _ in range(60):
        response = gateway.records(
            caller, "medical-institutions", "cross-region-healthcare", region="130100", limit="1"
        )
        assert response.status_code == 200
        left.append(assert_quota_headers(response, "open")[0])
    assert left == list(range(59, -1, -1))
    refused = gateway.records(
        caller, "medical-institutions", "cross-region-healthcare", region="130100", limit="1"
    )
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["type"] == "/problems/quota-exceeded" and body["ruleId"] == "quota-requests"
    assert "data" not in body
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert assert_quota_headers(refused, "open")[0] == 0
    audit = gateway.audit_row(refused.headers["X-Exchange-Id"])
    assert (audit.rule_id, audit.http_status, audit.decision) == ("quota-requests", 429, "deny")


def test_records_per_day_count_records_not_requests(gateway: Gateway) -> None:
    caller = gateway.caller("partner")
    first = gateway.records(caller, "tax-credit-rating", "credit-check", region="120000")
    assert first.status_code == 200
    count = first.get_json()["meta"]["count"]
    assert count == 5
    requests_left, records_left = assert_quota_headers(first, "partner")
    assert records_left == 50000 - count
    denied = gateway.records(caller, RE, "credit-check", region="110108")
    assert denied.status_code == 403
    assert assert_quota_headers(denied, "partner")[1] == records_left
    second = gateway.records(
        caller, "tax-credit-rating", "credit-check", region="120000", limit="3"
    )
    assert second.status_code == 200 and second.get_json()["meta"]["count"] == 3
    requests_after, records_after = assert_quota_headers(second, "partner")
    assert records_after == records_left - 3
    assert requests_after == requests_left - 1


def test_the_first_answer_of_the_day_announces_when_the_records_quota_resets(
    gateway: Gateway,
) -> None:
    """The first records counted open the day's window: RateLimit says it resets in about a day,
    not that it resets now (t=0 while r already dropped)."""
    caller = gateway.caller("partner")
    first = gateway.records(caller, "tax-credit-rating", "credit-check", region="120000")
    assert first.status_code == 200
    match = _RATE_LIMIT.fullmatch(first.headers["RateLimit"])
    assert match
    records_left, records_reset = int(match.group(3)), int(match.group(4))
    assert records_left == 50000 - first.get_json()["meta"]["count"] < 50000
    assert records_reset > 86400 - 60, first.headers["RateLimit"]


def test_the_records_quota_caps_the_page_then_refuses(overridden: Gateway) -> None:
    caller = overridden.caller("open")

    def ask() -> TestResponse:
        return overridden.records(caller, "patent-grants", "statistics", region="110000")

    def records_left(response: TestResponse) -> int:
        assert response.headers["RateLimit-Policy"] == (
            '"requests";q=60;w=60, "records";q=7;w=86400;qu="records"'
        )
        match = _RATE_LIMIT.fullmatch(response.headers["RateLimit"])
        assert match
        return int(match.group(3))

    first = ask()
    assert first.status_code == 200 and first.get_json()["meta"]["count"] == 5
    assert records_left(first) == 2
    second = ask()
    assert second.status_code == 200 and second.get_json()["meta"]["count"] == 2
    assert records_left(second) == 0
    third = ask()
    assert third.status_code == 429
    body = third.get_json()
    assert body["type"] == "/problems/quota-exceeded" and body["ruleId"] == "quota-records"
    assert int(third.headers["Retry-After"]) >= 1 and records_left(third) == 0


# -- purpose --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
def test_a_purpose_outside_the_vocabulary_is_refused_first(
    tier: str, gateway: Gateway, matrix: Matrix
) -> None:
    caller = matrix.callers[(tier, "active")]
    for dataset in (ME, "household-registration"):
        response = gateway.records(caller, dataset, "curiosity", region="110000")
        assert response.status_code == 400
        body = response.get_json()
        assert body["type"] == "/problems/purpose-required" and "data" not in body
        assert [e["path"] for e in body["errors"]] == ["$.headers.X-Purpose"]
    missing = gateway.records(caller, ME, None, region="110000")
    assert missing.status_code == 400
    assert missing.get_json()["type"] == "/problems/purpose-required"


# -- policy explain -------------------------------------------------------------------------------

EXPLAINED = [
    cell
    for cell in CELLS
    if (cell.tier, cell.dataset, cell.situation)
    in {
        ("government", RE, "active"),
        ("regulator", SI, "expired"),
        ("government", SI, "other-region-grant"),
        ("partner", RE, "active"),
        ("regulator", "household-registration", "none"),
    }
]


def test_policy_explain_prints_the_decision_the_api_gives(gateway: Gateway, matrix: Matrix) -> None:
    runner = CliRunner()
    assert len(EXPLAINED) == 5
    for cell in EXPLAINED:
        caller = matrix.callers[(cell.tier, cell.situation)]
        region = DATASETS[cell.dataset]["region"]
        api = gateway.records(caller, cell.dataset, cell.purpose, region=region)
        body = api.get_json()
        api_rule = body["meta"]["decision"]["ruleId"] if api.status_code == 200 else body["ruleId"]
        assert api_rule == cell.rule_id
        args = [
            "--instance", str(gateway.instance_path), "policy", "explain",
            "--client", caller.client_id, "--dataset", cell.dataset, "--purpose", cell.purpose,
            "--region", region,
        ]  # fmt: skip
        if cell.status == 200:  # the text a person reads, for the allowed cell
            text = runner.invoke(main, args, env={})
            assert text.exit_code == 0, text.output
            assert f"=> ALLOW ({api_rule})" in text.output
            assert f"under grant {body['meta']['decision']['grantId']}" in text.output
        as_json = runner.invoke(main, [*args, "--json"], env={})
        assert as_json.exit_code == 0, as_json.output
        explained = json.loads(as_json.output)
        assert explained["ruleId"] == api_rule, _cell_id(cell)
        assert explained["allowed"] is (api.status_code == 200)
        if api.status_code == 200:
            assert explained["grantId"] == body["meta"]["decision"]["grantId"]
            assert explained["fields"] == body["meta"]["fields"]


# -- grants administration ------------------------------------------------------------------------


def test_grants_are_granted_listed_shown_and_revoked_through_the_admin_api(
    gateway: Gateway,
) -> None:
    admin = gateway.caller("open", scopes=["admin"])
    holder = gateway.caller("government")
    auth = {"Authorization": f"Bearer {admin.token}"}

    def ask() -> TestResponse:
        return gateway.records(holder, RE, "property-transaction", region="110108")

    before = ask()
    assert before.status_code == 403 and before.get_json()["ruleId"] == "grant-required"

    not_admin = gateway.http.get(
        "/v1/admin/grants", headers={"Authorization": f"Bearer {holder.token}"}
    )
    assert not_admin.status_code == 403
    assert not_admin.get_json()["type"] == "/problems/insufficient-scope"

    created = gateway.http.post(
        "/v1/admin/grants",
        headers=auth,
        json={
            "clientId": holder.client_id,
            "dataset": RE,
            "purpose": "property-transaction",
            "regions": ["110000"],
            "approver": APPROVER,
            "legalBasis": LEGAL_BASIS,
        },
    )
    assert created.status_code == 201, created.get_json()
    grant = created.get_json()["data"]
    assert created.headers["Location"] == f"/v1/admin/grants/{grant['id']}"
    assert grant["state"] == "active" and grant["regions"] == ["110000"]
    assert grant["clientId"] == holder.client_id and grant["fields"] is None

    listing = gateway.http.get(f"/v1/admin/grants?clientId={holder.client_id}", headers=auth)
    assert listing.status_code == 200
    assert [g["id"] for g in listing.get_json()["data"]] == [grant["id"]]
    assert listing.get_json()["meta"]["total"] == 1
    shown = gateway.http.get(f"/v1/admin/grants/{grant['id']}", headers=auth)
    assert shown.status_code == 200 and shown.get_json()["data"] == grant

    # A new grant clears the cached grants of (client, dataset): it applies at once.
    allowed = ask()
    assert allowed.status_code == 200
    assert allowed.get_json()["meta"]["decision"] == {
        "ruleId": "allow-grant",
        "grantId": grant["id"],
    }

    revoked = gateway.http.post(
        f"/v1/admin/grants/{grant['id']}/revoke", headers=auth, json={"reason": "项目结束"}
    )
    assert revoked.status_code == 200
    assert revoked.get_json()["data"]["state"] == "revoked"
    assert revoked.get_json()["data"]["revokedAt"]
    after = ask()
    assert after.status_code == 403
    assert after.get_json()["ruleId"] == "grant-required"
    assert f"grant {grant['id']} was revoked" in after.get_json()["detail"]
    again = gateway.http.post(f"/v1/admin/grants/{grant['id']}/revoke", headers=auth)
    assert again.status_code == 200 and again.get_json()["data"]["state"] == "revoked"
    shown_again = gateway.http.get(f"/v1/admin/grants/{grant['id']}", headers=auth)
    assert shown_again.get_json()["data"]["state"] == "revoked"
    assert gateway.http.get("/v1/admin/grants/no-such-grant", headers=auth).status_code == 404
    assert (
        gateway.http.post("/v1/admin/grants/no-such-grant/revoke", headers=auth).status_code == 404
    )

    actions = [a for a in gateway.admin_actions() if a.get("target") == grant["id"]]
    assert [a["action"] for a in actions] == ["grant.issue", "grant.revoke"]
    assert all(a["kind"] == "admin" and a["clientId"] == admin.client_id for a in actions)
    assert actions[0]["details"]["clientId"] == holder.client_id
    assert actions[0]["details"]["dataset"] == RE
    assert actions[1]["details"] == {"reason": "项目结束"}


def test_grant_validation_errors_name_their_paths(gateway: Gateway) -> None:
    admin = gateway.caller("open", scopes=["admin"])
    auth = {"Authorization": f"Bearer {admin.token}"}

    def post(body: Any) -> dict[str, Any]:
        response = gateway.http.post("/v1/admin/grants", headers=auth, json=body)
        assert response.status_code == 400, response.get_json()
        problem = response.get_json()
        assert problem["type"] == "/problems/validation-failed"
        return problem

    empty = post({})
    assert {e["path"] for e in empty["errors"]} == {
        "$.clientId",
        "$.dataset",
        "$.purpose",
        "$.approver",
        "$.legalBasis",
    }
    complete = {
        "clientId": admin.client_id,
        "dataset": RE,
        "purpose": "property-transaction",
        "approver": APPROVER,
        "legalBasis": LEGAL_BASIS,
    }
    shapes = post(
        {
            **complete,
            "fields": "ownerName",
            "regions": [],
            "validUntil": "next week",
            "scope": "all",
        }
    )
    assert {e["path"] for e in shapes["errors"]} == {
        "$.fields",
        "$.regions",
        "$.validUntil",
        "$.scope",
    }
    not_shared = post({**complete, "dataset": "household-registration"})
    assert not_shared["errors"][0]["path"] == "$" and "not shared" in not_shared["detail"]
    unknown_field = post({**complete, "fields": ["ownerName", "favouriteColour"]})
    assert "favouriteColour" in unknown_field["detail"]
    unknown_purpose = post({**complete, "purpose": "curiosity"})
    assert "curiosity" in unknown_purpose["detail"]
    backwards = post(
        {
            **complete,
            "validFrom": "2026-01-02T00:00:00+08:00",
            "validUntil": "2026-01-01T00:00:00+08:00",
        }
    )
    assert "validUntil" in backwards["detail"]
    # Each refusal is in the chain as the 400 it answered, none as a change to the grants.
    refusals = [a for a in gateway.admin_actions() if a["clientId"] == admin.client_id]
    assert {(a["action"], a["httpStatus"]) for a in refusals} == {("POST /v1/admin/grants", 400)}
