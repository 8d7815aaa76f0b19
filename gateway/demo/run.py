"""`jjj-gateway demo`: the embedded default a newcomer sees after `make run`
(docs/architecture.md#the-demo)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import os
import shlex
import time
from typing import Any
from urllib.parse import urlencode

import click

from gateway.core.settings import Settings, remember_issuer
from gateway.identity.scopes import ADMIN, AUDIT_READ, CATALOG_READ, DATA_READ

# The demo's partner systems: one per tier, plus an auditor and an administrator.
DEMO_CLIENTS: tuple[dict[str, Any], ...] = (
    {
        "client_id": "demo-open",
        "name": "公众服务门户（演示） / Public service portal (demo)",
        "region": "110000",
        "tier": "open",
        "scopes": [DATA_READ, CATALOG_READ],
    },
    {
        "client_id": "demo-partner",
        "name": "天津某征信机构（演示） / Tianjin credit bureau (demo)",
        "region": "120000",
        "tier": "partner",
        "scopes": [DATA_READ, CATALOG_READ],
    },
    {
        "client_id": "demo-government",
        "name": "河北省人社厅（演示） / Hebei Human Resources and Social Security (demo)",
        "region": "130000",
        "tier": "government",
        "scopes": [DATA_READ, CATALOG_READ],
    },
    {
        "client_id": "demo-regulator",
        "name": "京津冀数据监管办公室（演示） / JJJ data supervision office (demo)",
        "region": "110000",
        "tier": "regulator",
        "scopes": [DATA_READ, CATALOG_READ, AUDIT_READ],
    },
    {
        "client_id": "demo-admin",
        "name": "网关运维（演示） / Gateway operations (demo)",
        "region": "110000",
        "tier": "open",
        "scopes": [ADMIN, CATALOG_READ],
    },
)
DATA_MARKER = ".demo-data.json"
DEMO_SEED = 2026


def ensure_demo_data(settings: Settings, config: Any) -> dict[str, Any]:
    """The demo data of the configured nodes, generated unless the data folder already holds
    this generator's output for them; returns the marker (with samples for the banner)."""
    from adapters.nodes import load_nodes
    from gateway.demo.generate import GENERATOR_VERSION, generate

    data_dir = settings.resolved_data_dir
    marker = data_dir / DATA_MARKER
    wanted = {"version": GENERATOR_VERSION, "seed": DEMO_SEED, "nodes": sorted(config.nodes)}
    current = json.loads(marker.read_text("utf-8")) if marker.exists() else None
    if current is None or {k: current.get(k) for k in wanted} != wanted:
        report = generate(data_dir, load_nodes(settings.nodes_dir), config.catalog, seed=DEMO_SEED)
        current = wanted | {
            "samples": report.samples,
            "total": report.total,
            "seconds": round(report.seconds, 2),
        }
        marker.write_text(json.dumps(current, ensure_ascii=False, indent=2), "utf-8")
    return dict(current)


def prepare_instance(settings: Settings) -> dict[str, Any]:
    """Database, keys, demo data and demo clients; returns what the banner needs."""
    from gateway.access.grants import GrantAdmin, GrantStore
    from gateway.audit.actions import Actor
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.client_admin import ClientAdmin
    from gateway.identity.clients import ClientStore
    from gateway.identity.signing_keys import prepare_instance
    from gateway.services import load_configuration
    from gateway.storage import create_db_engine

    prepare_instance(settings)
    config = load_configuration(settings)

    current = ensure_demo_data(settings, config)

    engine = create_db_engine(settings.sqlalchemy_url)
    store = ClientStore(engine)
    admin = ClientAdmin(
        store, open_audit_trail(engine, settings), None, config.catalog, config.policies
    )
    actor = Actor("demo-setup")
    credentials = []
    for spec in DEMO_CLIENTS:
        existing = store.get(spec["client_id"])
        if existing is None:
            client, secret = admin.create(
                actor,
                client_id=spec["client_id"],
                name=spec["name"],
                region=spec["region"],
                tier=spec["tier"],
                scopes=spec["scopes"],
            )
        else:
            # Fresh secrets on every start: an old demo secret never keeps working.
            if not existing.active:
                admin.set_status(actor, spec["client_id"], "active")
            client, secret = admin.rotate_secret(actor, spec["client_id"])
        credentials.append(
            {
                "client_id": client.client_id,
                "client_secret": secret,
                "tier": client.tier,
                "scopes": sorted(client.scopes),
            }
        )
    _ensure_demo_grant(
        GrantStore(engine),
        GrantAdmin(
            GrantStore(engine),
            store,
            open_audit_trail(engine, settings),
            config.catalog,
            config.policies,
        ),
        actor,
    )
    engine.dispose()
    path = settings.instance_path / "demo-clients.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(credentials, fh, ensure_ascii=False, indent=2)
    return {
        "clients": credentials,
        "samples": current["samples"],
        "clients_file": path,
        # The checked documents, for the app: read once, not once more when it starts.
        "configuration": config,
    }


# The demo's grant: Hebei's human-resources department may read social-insurance records for
# talent mobility, with the fields it needs named (so they are in clear) and nothing else.
DEMO_GRANT = {
    "client_id": "demo-government",
    "dataset": "social-insurance-payment",
    "purpose": "talent-mobility",
    "fields": [
        "residentId",
        "name",
        "insuranceTypes",
        "regionCode",
        "employerCreditCode",
        "employerName",
        "paymentBase",
        "monthsPaid",
        "lastPaidMonth",
        "status",
    ],
    "approver": "京津冀数据共享工作专班（演示） / JJJ data-sharing task force (demo)",
    "legal_basis": "京津冀社会保险关系转移接续合作协议（演示） / "
    "JJJ agreement on transferring social insurance (demo)",
}


def _ensure_demo_grant(store: Any, admin: Any, actor: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    existing = store.for_client(DEMO_GRANT["client_id"], DEMO_GRANT["dataset"])
    if any(g.purpose == DEMO_GRANT["purpose"] and g.state(now) == "active" for g in existing):
        return
    admin.issue(actor, **DEMO_GRANT)


def tier_comparison(app: Any, prepared: dict[str, Any]) -> str:
    """The same market entity as three tiers see it: tiered use at a glance."""
    creds = {c["client_id"]: c for c in prepared["clients"]}
    key = prepared["samples"]["haidian_entity"]
    client = app.test_client()
    columns = {}
    for client_id in ("demo-open", "demo-partner", "demo-government"):
        auth = base64.b64encode(
            f"{client_id}:{creds[client_id]['client_secret']}".encode()
        ).decode()
        token = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {auth}"},
        ).get_json()["access_token"]
        answer = client.get(
            f"/v1/datasets/market-entity-registration/records/{key}",
            headers={"Authorization": f"Bearer {token}", "X-Purpose": "credit-check"},
        ).get_json()
        columns[creds[client_id]["tier"]] = answer
    fields = ["name", "legalRepName", "legalRepId", "contactPhone"]
    lines = [
        f"The same Haidian company ({key}) as three tiers see it:",
        f"  {'field':<14}" + "".join(f"{tier:<26}" for tier in columns),
    ]
    for name in fields:
        cells = []
        for answer in columns.values():
            meta = answer["meta"]["fields"]
            if name in meta["dropped"]:
                cells.append("— (dropped)")
            elif name in meta["masked"]:
                cells.append(f"{answer['data'].get(name)} ({meta['masked'][name]})")
            else:
                cells.append(str(answer["data"].get(name)))
        lines.append(f"  {name:<14}" + "".join(_pad(cell, 26) for cell in cells))
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    # Chinese characters take two columns in a terminal.
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(1, width - shown)


def banner(base: str, prepared: dict[str, Any]) -> str:
    creds = {c["client_id"]: c for c in prepared["clients"]}
    samples = prepared["samples"]
    partner = creds["demo-partner"]

    def token_cmd(client: dict[str, Any], var: str) -> str:
        auth = shlex.quote(f"{client['client_id']}:{client['client_secret']}")
        return (
            f"{var}=$(curl -s -u {auth} -d grant_type=client_credentials {base}/oauth/token"
            " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
        )

    def get(path: str, purpose: str | None, var: str = "TOKEN") -> str:
        # Data calls state their purpose; the audit API does not take one.
        stated = f'-H "X-Purpose: {purpose}" ' if purpose else ""
        return (
            f'curl -s -H "Authorization: Bearer ${var}" {stated}'
            f"{shlex.quote(base + path)} | python3 -m json.tool --no-ensure-ascii"
        )

    lines = [
        "",
        "JJJ Data Gateway — embedded demo",
        f"  catalogue:  {base}/",
        f"  API:        {base}/v1/catalog/datasets",
        f"  clients:    {prepared['clients_file']} (secrets of this run)",
        "",
        "1. Get an access token as the partner-tier client demo-partner:",
        "   " + token_cmd(partner, "TOKEN"),
        "",
        "2. Look up a Haidian market entity by its unified social credit code (routed to the",
        "   beijing-haidian node):",
        "   "
        + get(
            f"/v1/datasets/market-entity-registration/records/{samples['haidian_entity']}",
            "credit-check",
        ),
        "",
        "3. Look up a Tianjin one (routed to the tianjin node, an SQL adapter):",
        "   "
        + get(
            f"/v1/datasets/market-entity-registration/records/{samples['tianjin_entity']}",
            "credit-check",
        ),
        "",
        "4. One query across all three provinces (see meta.sources for every node that answered):",
        "   "
        + get(
            "/v1/datasets/market-entity-registration/records?"
            + urlencode({"status": "存续", "limit": 12}),
            "statistics",
        ),
        "",
        "5. Tiered use: social-insurance records are conditional and personal. demo-partner is",
        "   refused (level 3 is above its tier; the problem names the rule):",
        "   "
        + get(
            f"/v1/datasets/social-insurance-payment/records/{samples['hebei_insured_person']}",
            "talent-mobility",
        ),
        "   demo-government reads them under its grant for talent mobility, with the granted",
        "   fields in clear and the rest dropped:",
        "   " + token_cmd(creds["demo-government"], "GOV_TOKEN"),
        "   "
        + get(
            f"/v1/datasets/social-insurance-payment/records/{samples['hebei_insured_person']}",
            "talent-mobility",
            "GOV_TOKEN",
        ),
        "",
        "6. Compliance: the regulator lists the exchanges it just watched others make (who saw",
        "   what, when, why, under which grant) and verifies the whole hash chain:",
        "   " + token_cmd(creds["demo-regulator"], "AUDIT_TOKEN"),
        "   "
        + get(
            "/v1/audit/exchanges?" + urlencode({"kind": "exchange", "limit": 6}),
            None,
            "AUDIT_TOKEN",
        ),
        "   " + get("/v1/audit/verify", None, "AUDIT_TOKEN"),
        "",
    ]
    return "\n".join(lines)


def run_demo(settings: Settings, *, host: str, port: int, serve: bool = True) -> None:
    from werkzeug.serving import make_server

    from gateway.app import create_app

    started = time.perf_counter()
    base = f"http://{host}:{port}"
    if not os.environ.get("GATEWAY_ISSUER"):  # empty means unset, as everywhere in settings
        settings = dataclasses.replace(settings, issuer=base)
    prepared = prepare_instance(settings)
    remember_issuer(settings)  # the CLI on this instance names the same issuer
    app = create_app(settings, configuration=prepared["configuration"])
    click.echo(banner(base, prepared))
    click.echo(tier_comparison(app, prepared))
    click.echo("")
    if not serve:
        return
    server = make_server(host, port, app, threaded=True)
    click.echo(
        f"Serving on {base} (ready in {time.perf_counter() - started:.1f} s; Ctrl-C to stop)"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["jjj-gateway"].close()


__all__ = ["DEMO_CLIENTS", "banner", "prepare_instance", "run_demo"]
