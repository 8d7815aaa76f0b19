"""The `jjj-gateway` command: serve, demo, administer, check."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from gateway.core.settings import Settings, load_settings
from gateway.identity.auth_methods import AUTH_METHODS, DEFAULT_AUTH_METHOD
from gateway.observability.logs import configure as configure_logging

#: Long exports and verifications report every this many records (on standard error).
PROGRESS_EVERY = 10_000


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


def _engine(settings: Settings) -> Any:
    """The database engine of this command, disposed when the command ends (no connection is
    left to the garbage collector)."""
    from gateway.storage import create_db_engine

    engine = create_db_engine(settings.sqlalchemy_url)
    click.get_current_context().call_on_close(engine.dispose)
    return engine


class InstantType(click.ParamType):
    """A time on the command line: RFC 3339 with an offset, or without one (and a bare date, a
    whole day) in the deployment's zone, GATEWAY_TIMEZONE. Ending a range, a date includes it."""

    name = "date-time"

    def __init__(self, *, end: bool = False) -> None:
        self.end = end

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from gateway.core.instants import InstantError, parse_instant

        if isinstance(value, dt.datetime):
            return value
        root = ctx.find_root() if ctx is not None else None
        settings = _settings(root) if root is not None and root.obj else load_settings()
        try:
            return parse_instant(value, settings.zone, end=self.end)
        except InstantError as exc:
            self.fail(str(exc), param, ctx)


#: Every command that shows something prints it for people (a table with a header, or
#: "name: value" lines) and, with --json, as JSON for programs: the API's shapes.
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (for programs).")


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _echo_table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns as wide as their widest cell; the last column (names, free text) is not padded."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())


def _echo_fields(values: dict[str, Any]) -> None:
    """One "name: value" line per field, for one object."""
    width = max(len(k) for k in values) + 1
    for key, value in values.items():
        shown = (
            " ".join(map(str, value))
            if isinstance(value, list)
            else "-"
            if value is None
            else str(value)
        )
        click.echo(f"{key + ':':{width}} {shown}")


def _parse_bind(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise click.BadParameter("expected host:port, e.g. 127.0.0.1:8080", param_hint="--bind")
    return host.strip("[]"), int(port)


class _Commands(click.Group):
    """The command group. What the environment gets wrong (an instance folder that is a file, a
    database that is down or misnamed, an unreadable or damaged key file) ends a command with
    one line naming it and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            from sqlalchemy.exc import SQLAlchemyError

            if not isinstance(exc, SQLAlchemyError):
                raise
            cause = getattr(exc, "orig", None) or exc
            first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
            raise click.ClickException(
                f"the database cannot be used ({type(cause).__name__}): {first}"
            ) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--instance",
    type=click.Path(path_type=Path),
    default=None,
    help="Instance folder (default: ./instance or GATEWAY_INSTANCE_PATH).",
)
@click.pass_context
def main(ctx: click.Context, instance: Path | None) -> None:
    """JJJ Data Gateway — cross-regional public-data sharing for Beijing, Tianjin and Hebei."""
    overrides: dict[str, Any] = {"instance_path": instance} if instance else {}
    try:
        settings = load_settings(overrides)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(settings.log_level, settings.log_format)
    ctx.obj = {"settings": settings}


# -- demo and serving --------------------------------------------------------------------------


@main.command()
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="host:port to listen on.")
@click.option("--no-serve", is_flag=True, help="Prepare the instance folder and exit.")
@click.pass_context
def demo(ctx: click.Context, bind: str, no_serve: bool) -> None:
    """Prepare the embedded demo (database, keys, data, clients) and serve it."""
    from gateway.demo.run import run_demo

    if "GATEWAY_LOG_FORMAT" not in os.environ:
        # A person reads the demo's console: plain lines, unless JSON is asked for.
        configure_logging(_settings(ctx).log_level, "text")

    host, port = _parse_bind(bind)
    run_demo(_settings(ctx), host=host, port=port, serve=not no_serve)


@main.command("serve")
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="host:port to listen on.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    envvar="GATEWAY_WORKERS",
    default=2,
    show_default=True,
    help="Worker processes (GATEWAY_WORKERS).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    envvar="GATEWAY_THREADS",
    default=8,
    show_default=True,
    help="Threads per worker (GATEWAY_THREADS).",
)
@click.option(
    "--migrate/--no-migrate",
    default=True,
    show_default=True,
    help="Run the database migrations before serving.",
)
@click.pass_context
def serve_command(ctx: click.Context, bind: str, workers: int, threads: int, migrate: bool) -> None:
    """Serve the gateway with gunicorn (the production web server)."""
    from gateway.identity.signing_keys import prepare_instance
    from gateway.serving import serve

    settings = _settings(ctx)
    host, port = _parse_bind(bind)
    prepare_instance(settings, migrate=migrate)
    if settings.nodes_dir is None and settings.data_dir is None:
        # With no configuration, serve exactly what `jjj-gateway demo` serves: the demo nodes
        # need their data (clients stay as they are; `demo` registers the demo clients).
        from gateway.demo.run import ensure_demo_data
        from gateway.services import load_configuration

        ensure_demo_data(settings, load_configuration(settings))
    serve(settings, host=host, port=port, workers=workers, threads=threads)


# -- database ----------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Run the Alembic migrations up to the newest revision (safe to run from several replicas)."""
    from gateway.storage import upgrade

    settings = _settings(ctx)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)
    click.echo("database is at the newest revision")


# -- configuration -----------------------------------------------------------------------------


@main.group()
def catalog() -> None:
    """The shared catalogue and the configuration around it."""


@catalog.command("check")
@click.pass_context
def catalog_check(ctx: click.Context) -> None:
    """Validate the catalogue, node configs and policy documents together.

    Recommended DCAT-AP properties an entry lacks are warnings: they do not fail the check."""
    from gateway.cli.catalog_check import check_configuration

    result = check_configuration(_settings(ctx))
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in result.problems:
        click.echo(line, err=True)
    if result.problems:
        raise SystemExit(f"{len(result.problems)} problem(s) found")
    click.echo(result.summary)


# -- clients -----------------------------------------------------------------------------------


@main.group()
def clients() -> None:
    """Registered partner systems."""


def _client_store(settings: Settings) -> Any:
    from gateway.identity.clients import ClientStore
    from gateway.identity.signing_keys import prepare_instance

    prepare_instance(settings)
    return ClientStore(_engine(settings))


def _admin(settings: Settings) -> Any:
    """Client administration for the CLI: changes are audited with the operator as actor."""
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.client_admin import ClientAdmin
    from gateway.services import load_configuration

    store = _client_store(settings)
    config = load_configuration(settings)
    return ClientAdmin(
        store, open_audit_trail(store.engine, settings), None, config.catalog, config.policies
    )


def _operator() -> Any:
    from gateway.audit.actions import Actor

    return Actor(f"cli:{getpass.getuser()}")


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def _check_request(
    schema: dict[str, Any], body: dict[str, Any], options: dict[str, str] | None = None
) -> None:
    """Check the options as the admin API checks the same body (gateway.http.api.admin_schemas), and
    name the option at fault."""
    from gateway.http.api.admin_schemas import problems

    issues = problems(schema, {k: v for k, v in body.items() if v is not None})
    if issues:
        raise click.ClickException(
            "; ".join(f"{_option(i.path, options or {})}: {i.message}" for i in issues)
        )


def _option(path: str, options: dict[str, str]) -> str:
    """``$.legalBasis[0]`` → ``--legal-basis`` (or what ``options`` calls that property)."""
    name = path.removeprefix("$.").split(".")[0].split("[")[0]
    return options.get(name) or "--" + "".join(f"-{c.lower()}" if c.isupper() else c for c in name)


@clients.command("add")
@click.option("--name", required=True, help="Organisation and system name.")
@click.option("--region", required=True, help="Home region code (GB/T 2260), e.g. 110000.")
@click.option("--tier", required=True, help="Tier: open, partner, government, regulator.")
@click.option(
    "--scopes",
    required=True,
    help="Space- or comma-separated scopes, as the admin API takes them (one it does not know "
    "is refused, naming those it knows).",
)
@click.option(
    "--auth-method",
    default=DEFAULT_AUTH_METHOD,
    show_default=True,
    type=click.Choice(AUTH_METHODS),
)
@click.option("--client-id", default=None, help="Choose the client id (default: generated).")
@click.option(
    "--jwks-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Public JWKS of a private_key_jwt client.",
)
@click.option("--jwks-uri", default=None, help="JWKS URL of a private_key_jwt client.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def clients_add(
    ctx: click.Context,
    name: str,
    region: str,
    tier: str,
    scopes: str,
    auth_method: str,
    client_id: str | None,
    jwks_file: Path | None,
    jwks_uri: str | None,
    as_json: bool,
) -> None:
    """Register a client; its secret is printed once and stored only as a hash."""
    from gateway.http.api.admin_schemas import CLIENT_REGISTRATION
    from gateway.identity.clients import ClientError

    try:
        jwks = json.loads(jwks_file.read_text("utf-8")) if jwks_file else None
        scope_list = scopes.replace(",", " ").split()
        _check_request(
            CLIENT_REGISTRATION,
            {
                "name": name,
                "region": region,
                "tier": tier,
                "scopes": scope_list,
                "authMethod": auth_method,
                "clientId": client_id,
                "jwks": jwks,
                "jwksUri": jwks_uri,
            },
            {"jwks": "--jwks-file"},
        )
        client, secret = _admin(_settings(ctx)).create(
            _operator(),
            name=name,
            region=region,
            tier=tier,
            scopes=scope_list,
            auth_method=auth_method,
            client_id=client_id,
            jwks=jwks,
            jwks_uri=jwks_uri,
        )
    except (ClientError, ValueError) as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "client_id": client.client_id,
                    "client_secret": secret,
                    "tier": client.tier,
                    "scopes": sorted(client.scopes),
                }
            )
        )
        return
    click.echo(f"client_id:     {client.client_id}")
    if secret:
        click.echo(f"client_secret: {secret}")
        click.echo("The secret is shown this once; the gateway keeps only its hash.")


@clients.command("list")
@json_option
@click.pass_context
def clients_list(ctx: click.Context, as_json: bool) -> None:
    """List registered clients (never their secrets)."""
    every = [c.public() for c in _client_store(_settings(ctx)).list()]
    if as_json:
        _echo_json({"data": every, "meta": {"total": len(every)}})
        return
    _echo_table(
        ["CLIENT ID", "STATUS", "TIER", "REGION", "AUTH METHOD", "SCOPES", "CREATED", "NAME"],
        [
            [
                c["clientId"],
                c["status"],
                c["tier"],
                c["region"],
                c["authMethod"],
                ",".join(c["scopes"]),
                c["createdAt"] or "-",
                c["name"],
            ]
            for c in every
        ],
    )


def _echo_client(client: Any, as_json: bool, **extra: Any) -> None:
    shown = client.public() | extra
    if as_json:
        _echo_json({"data": shown})
    else:
        _echo_fields(shown)


@clients.command("show")
@click.argument("client_id")
@json_option
@click.pass_context
def clients_show(ctx: click.Context, client_id: str, as_json: bool) -> None:
    """Show one client (never its secret)."""
    client = _client_store(_settings(ctx)).get(client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id!r}")
    _echo_client(client, as_json)


def _set_status(ctx: click.Context, client_id: str, status: str, as_json: bool) -> None:
    from gateway.identity.clients import ClientError

    try:
        client = _admin(_settings(ctx)).set_status(_operator(), client_id, status)
    except ClientError as exc:
        raise _fail(exc) from None
    if as_json:
        _echo_client(client, as_json)
    else:
        click.echo(f"{client_id} {'enabled' if status == 'active' else status}")


@clients.command("disable")
@click.argument("client_id")
@json_option
@click.pass_context
def clients_disable(ctx: click.Context, client_id: str, as_json: bool) -> None:
    """Disable a client: no new tokens, and its live tokens stop working within a second — for
    good: enabling it again does not bring back tokens issued before."""
    _set_status(ctx, client_id, "disabled", as_json)


@clients.command("enable")
@click.argument("client_id")
@json_option
@click.pass_context
def clients_enable(ctx: click.Context, client_id: str, as_json: bool) -> None:
    """Enable a disabled client again (with new tokens only: those issued before it was
    disabled stay refused)."""
    _set_status(ctx, client_id, "active", as_json)


_REVOKE_TOKENS = click.option(
    "--revoke-tokens",
    is_flag=True,
    help="Also refuse the access tokens issued so far (default: they live out their lifetime).",
)


@clients.command("rotate-secret")
@click.argument("client_id")
@_REVOKE_TOKENS
@json_option
@click.pass_context
def clients_rotate_secret(
    ctx: click.Context, client_id: str, revoke_tokens: bool, as_json: bool
) -> None:
    """Give a client a new secret (printed once); the old one stops working at once."""
    from gateway.identity.clients import ClientError

    try:
        client, secret = _admin(_settings(ctx)).rotate_secret(
            _operator(), client_id, revoke_tokens=revoke_tokens
        )
    except ClientError as exc:
        raise _fail(exc) from None
    if as_json:
        _echo_client(client, as_json, clientSecret=secret)
    else:
        click.echo(f"client_secret: {secret}")


@clients.command("set-jwks")
@click.argument("client_id")
@click.option(
    "--jwks-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The client's public JWKS.",
)
@click.option("--jwks-uri", default=None, help="Where the client publishes its JWKS.")
@_REVOKE_TOKENS
@json_option
@click.pass_context
def clients_set_jwks(
    ctx: click.Context,
    client_id: str,
    jwks_file: Path | None,
    jwks_uri: str | None,
    revoke_tokens: bool,
    as_json: bool,
) -> None:
    """Register a client's public keys; it then authenticates with private_key_jwt."""
    from gateway.http.api.admin_schemas import CLIENT_KEYS
    from gateway.identity.clients import ClientError

    try:
        jwks = json.loads(jwks_file.read_text("utf-8")) if jwks_file else None
        _check_request(CLIENT_KEYS, {"jwks": jwks, "jwksUri": jwks_uri}, {"jwks": "--jwks-file"})
        client = _admin(_settings(ctx)).set_jwks(
            _operator(), client_id, jwks=jwks, jwks_uri=jwks_uri, revoke_tokens=revoke_tokens
        )
    except (ClientError, ValueError) as exc:
        raise _fail(exc) from None
    if as_json:
        _echo_client(client, as_json)
    else:
        click.echo(f"{client_id} authenticates with private_key_jwt")


# -- grants ------------------------------------------------------------------------------------


@main.group()
def grants() -> None:
    """Grants that open conditional datasets to a client for a purpose."""


def _grant_admin(settings: Settings) -> Any:
    from gateway.access.grants import GrantAdmin, GrantStore
    from gateway.audit.trail import open_audit_trail
    from gateway.services import load_configuration

    store = _client_store(settings)
    config = load_configuration(settings)
    return GrantAdmin(
        GrantStore(store.engine),
        store,
        open_audit_trail(store.engine, settings),
        config.catalog,
        config.policies,
    )


def _names(text: str | None) -> list[str] | None:
    return [n for n in text.replace(",", " ").split() if n] if text else None


@grants.command("add")
@click.option("--client", "client_id", required=True, help="Client id.")
@click.option("--dataset", required=True, help="Dataset id.")
@click.option("--purpose", required=True, help="Purpose id (policies/purposes.yaml).")
@click.option("--approver", required=True, help="Who approved the grant (person and office).")
@click.option("--legal-basis", required=True, help="The law, regulation or agreement it rests on.")
@click.option("--fields", default=None, help="Fields the grant names (comma-separated).")
@click.option("--regions", default=None, help="Region codes it covers (comma-separated).")
@click.option(
    "--valid-from",
    type=InstantType(),
    default=None,
    help="Start: RFC 3339, or without offset in GATEWAY_TIMEZONE; a date starts at its "
    "midnight there (default: now).",
)
@click.option(
    "--valid-until",
    type=InstantType(end=True),
    default=None,
    help="End (exclusive): as --valid-from; a date is included whole, to its end in "
    "GATEWAY_TIMEZONE (default: open-ended).",
)
@json_option
@click.pass_context
def grants_add(
    ctx: click.Context,
    client_id: str,
    dataset: str,
    purpose: str,
    approver: str,
    legal_basis: str,
    fields: str | None,
    regions: str | None,
    valid_from: dt.datetime | None,
    valid_until: dt.datetime | None,
    as_json: bool,
) -> None:
    """Issue a grant (audited); warns when it can never apply."""
    from gateway.access.grants import GrantError, grant_json
    from gateway.http.api.admin_schemas import GRANT_REQUEST

    _check_request(
        GRANT_REQUEST,
        {
            "clientId": client_id,
            "dataset": dataset,
            "purpose": purpose,
            "approver": approver,
            "legalBasis": legal_basis,
            "fields": _names(fields),
            "regions": _names(regions),
        },
        {"clientId": "--client"},
    )
    admin = _grant_admin(_settings(ctx))
    try:
        grant = admin.issue(
            _operator(),
            client_id=client_id,
            dataset=dataset,
            purpose=purpose,
            approver=approver,
            legal_basis=legal_basis,
            fields=_names(fields),
            regions=_names(regions),
            valid_from=valid_from,
            valid_until=valid_until,
        )
    except GrantError as exc:
        raise _fail(exc) from None
    warnings = admin.never_applies(grant)
    if as_json:
        _echo_json({"data": grant_json(grant), "warnings": warnings})
        return
    _echo_fields(grant_json(grant))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@grants.command("list")
@click.option("--client", "client_id", default=None, help="Only this client's grants.")
@click.option("--dataset", default=None, help="Only grants on this dataset.")
@json_option
@click.pass_context
def grants_list(
    ctx: click.Context, client_id: str | None, dataset: str | None, as_json: bool
) -> None:
    """List grants with their state (active, pending, expired, revoked)."""
    from gateway.access.grants import GrantStore, grant_json

    store = GrantStore(_client_store(_settings(ctx)).engine)
    every = [grant_json(g) for g in store.list(client_id=client_id, dataset=dataset)]
    if as_json:
        _echo_json({"data": every, "meta": {"total": len(every)}})
        return
    _echo_table(
        ["GRANT ID", "STATE", "CLIENT", "DATASET", "PURPOSE", "VALID FROM", "VALID UNTIL"],
        [
            [
                g["id"],
                g["state"],
                g["clientId"],
                g["dataset"],
                g["purpose"],
                g["validFrom"],
                g["validUntil"] or "-",
            ]
            for g in every
        ],
    )


@grants.command("show")
@click.argument("grant_id")
@json_option
@click.pass_context
def grants_show(ctx: click.Context, grant_id: str, as_json: bool) -> None:
    """Show one grant with its state."""
    from gateway.access.grants import GrantStore, grant_json

    grant = GrantStore(_client_store(_settings(ctx)).engine).get(grant_id)
    if grant is None:
        raise click.ClickException(f"no grant {grant_id!r}")
    if as_json:
        _echo_json({"data": grant_json(grant)})
    else:
        _echo_fields(grant_json(grant))


@grants.command("revoke")
@click.argument("grant_id")
@click.option("--reason", default="", help="Why (kept in the audit record).")
@json_option
@click.pass_context
def grants_revoke(ctx: click.Context, grant_id: str, reason: str, as_json: bool) -> None:
    """Revoke a grant: it stops applying on every replica within a second."""
    from gateway.access.grants import GrantError, grant_json
    from gateway.http.api.admin_schemas import GRANT_REVOCATION

    _check_request(GRANT_REVOCATION, {"reason": reason})

    try:
        grant = _grant_admin(_settings(ctx)).revoke(_operator(), grant_id, reason=reason)
    except GrantError as exc:
        raise _fail(exc) from None
    if as_json:
        _echo_json({"data": grant_json(grant)})
    else:
        click.echo(f"{grant_id} revoked")


# -- policy ------------------------------------------------------------------------------------


@main.group()
def policy() -> None:
    """Tiered use: tiers, purposes, grants and the decisions they make."""


@policy.command("explain")
@click.option("--client", "client_id", required=True, help="Client id.")
@click.option("--dataset", required=True, help="Dataset id.")
@click.option("--purpose", required=True, help="Purpose id.")
@click.option("--region", "regions", multiple=True, help="Region code asked for (repeatable).")
@click.option("--json", "as_json_output", is_flag=True, help="Print the decision as JSON.")
@click.pass_context
def policy_explain(
    ctx: click.Context,
    client_id: str,
    dataset: str,
    purpose: str,
    regions: tuple[str, ...],
    as_json_output: bool,
) -> None:
    """Print the decision the gateway would make for this client, rule by rule."""
    from gateway.access.explain import ExplainError, as_json, as_text, explain
    from gateway.access.grants import GrantStore
    from gateway.services import load_configuration

    settings = _settings(ctx)
    store = _client_store(settings)
    config = load_configuration(settings)
    try:
        decision = explain(
            config.catalog,
            config.policies,
            store,
            GrantStore(store.engine),
            client_id=client_id,
            dataset_id=dataset,
            purpose=purpose,
            regions=list(regions) or None,
        )
    except ExplainError as exc:
        raise _fail(exc) from None
    if as_json_output:
        click.echo(json.dumps(as_json(decision), ensure_ascii=False, indent=2))
    else:
        click.echo(as_text(decision, client_id=client_id, dataset_id=dataset, purpose=purpose))


# -- audit -------------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The tamper-evident audit trail."""


def _reader_and_trail(settings: Settings) -> tuple[Any, Any]:
    from gateway.audit.reader import AuditReader
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.signing_keys import prepare_instance

    prepare_instance(settings)
    engine = _engine(settings)
    return AuditReader(engine), open_audit_trail(engine, settings)


def _pinned_keys(path: Path) -> dict[str, dict[str, Any]]:
    """The checkpoint keys an auditor pins: a JWK, or a JWK set ``{"keys": [...]}``."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(
            f"{path} is not a readable JSON key ({exc})", param_hint="--public-key"
        ) from None
    found = document.get("keys", [document]) if isinstance(document, dict) else None
    if not isinstance(found, list) or not found:
        raise click.BadParameter(
            f'{path}: expected a JWK or {{"keys": [...]}}', param_hint="--public-key"
        )
    pinned: dict[str, dict[str, Any]] = {}
    for key in found:
        if not isinstance(key, dict) or not isinstance(key.get("kid"), str):
            raise click.BadParameter(
                f'{path}: every key needs a "kid" (the id its checkpoints name)',
                param_hint="--public-key",
            )
        pinned[key["kid"]] = key
    return pinned


class _Progress:
    """Counts records on standard error every ``every`` records (never on standard output,
    which may carry JSON or a bundle)."""

    def __init__(self, verb: str, total: int | None, every: int) -> None:
        self.verb, self.total, self.every = verb, total, every

    def __call__(self, done: int) -> None:
        if done % self.every == 0 or done == self.total:
            of = f" of {self.total}" if self.total is not None else ""
            click.echo(f"{self.verb} {done}{of} records", err=True)


def _progress(wanted: bool | None, verb: str, total: int | None) -> Callable[[int], None] | None:
    """Progress when asked (--progress) or, by default, when standard error is a terminal."""
    shown = wanted if wanted is not None else sys.stderr.isatty()
    return _Progress(verb, total, PROGRESS_EVERY) if shown else None


PROGRESS_OPTION = click.option(
    "--progress/--no-progress",
    default=None,
    help="Report progress on standard error (default: when it is a terminal).",
)


@audit.command("verify")
@click.option(
    "--bundle",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Verify an exported bundle offline instead of the database.",
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Pin the checkpoint key (a JWK or {keys: [...]}) instead of "
    "trusting the key inside the bundle.",
)
@click.option(
    "--from",
    "start",
    type=click.Choice(["start", "checkpoint"]),
    default="start",
    show_default=True,
    help="Database only: verify from the newest signed checkpoint.",
)
@PROGRESS_OPTION
@click.pass_context
def audit_verify(
    ctx: click.Context,
    bundle: Path | None,
    public_key: Path | None,
    start: str,
    progress: bool | None,
) -> None:
    """Check the hash chain and the signed checkpoints; name the first broken seq and why.

    A bundle is valid only when its records run exactly from its header's fromSeq to its toSeq
    and a signed checkpoint covers the last one; the database's answer says how far signed
    checkpoints anchor the chain (anchoredThrough, headAnchored)."""
    from gateway.audit.reader import verify_bundle

    if bundle is not None:
        pinned = _pinned_keys(public_key) if public_key is not None else None
        try:
            text = bundle.read_text("utf-8")
            result, header = verify_bundle(
                text, pinned, progress=_progress(progress, "verified", None)
            )
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"{bundle}: {exc}") from None
        click.echo(
            f"bundle {bundle.name}: seq {header['fromSeq']}..{header['toSeq']} "
            f"from {header.get('issuer')}",
            err=True,
        )
    else:
        if public_key is not None:
            raise click.UsageError("--public-key pins the key of a --bundle")
        reader, trail = _reader_and_trail(_settings(ctx))
        keys = trail.signer.public_keys() if trail.signer else {}
        result = reader.verify(
            keys,
            from_checkpoint=start == "checkpoint",
            progress=_progress(progress, "verified", None),
        )
    click.echo(json.dumps(result.as_json(), ensure_ascii=False))
    if not result.valid:  # standard output holds the JSON only; the verdict goes to stderr
        click.echo(
            result.reason
            if result.status == "unanchored"
            else f"broken at seq {result.first_broken_seq}: {result.reason}",
            err=True,
        )
        ctx.exit(1)


@audit.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--from",
    "since",
    type=InstantType(),
    default=None,
    help="From this time (RFC 3339; without offset, or a date, in GATEWAY_TIMEZONE).",
)
@click.option(
    "--to",
    "until",
    type=InstantType(end=True),
    default=None,
    help="Until this time (exclusive; a date is included whole).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of standard output.",
)
@PROGRESS_OPTION
@click.pass_context
def audit_export(
    ctx: click.Context,
    fmt: str,
    since: dt.datetime | None,
    until: dt.datetime | None,
    output: Path | None,
    progress: bool | None,
) -> None:
    """Export a bundle that `audit verify --bundle` checks offline (an empty range, too)."""
    from gateway.audit.actions import admin_record
    from gateway.audit.reader import bundle_lines, export_range
    from gateway.core.instants import rfc3339

    if since is not None and until is not None and since >= until:
        raise click.BadParameter(
            f"--from {rfc3339(since)} is not before --to {rfc3339(until)}: "
            "no record lies between them",
            param_hint="--from/--to",
        )
    settings = _settings(ctx)
    reader, trail = _reader_and_trail(settings)
    trail.append(
        admin_record(
            _operator(),
            "audit.export",
            kind="audit",
            details={"format": fmt, "from": rfc3339(since), "to": rfc3339(until)},
        )
    )
    first, last = export_range(reader, trail, since, until)
    keys = list(trail.signer.public_keys().values()) if trail.signer else []
    lines = bundle_lines(
        reader,
        keys,
        first=first,
        last=last,
        issuer=settings.issuer,
        fmt=fmt,
        progress=_progress(progress, "exported", last - first + 1),
    )
    if output is None:
        for line in lines:
            sys.stdout.write(line)
        return
    _write_whole(output, lines)
    click.echo(f"wrote seq {first}..{last} ({last - first + 1} records) to {output}", err=True)


def _write_whole(path: Path, lines: Iterable[str]) -> None:
    """Write to a temporary file beside ``path`` and rename it: a failed export leaves no
    partial bundle behind."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line)
        os.replace(partial, path)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)


@audit.command("key")
@click.pass_context
def audit_key(ctx: click.Context) -> None:
    """Print the public checkpoint keys as a JWK set (publish it to auditors): the one that
    signs now and those retired by rotation, whose checkpoints still verify."""
    _, trail = _reader_and_trail(_settings(ctx))
    keys = list(trail.signer.public_keys().values()) if trail.signer else []
    click.echo(json.dumps({"keys": keys}, indent=2))


@audit.command("rotate-key")
@click.pass_context
def audit_rotate_key(ctx: click.Context) -> None:
    """Replace the checkpoint signing key (e.g. when it may be compromised).

    The head is signed with the old key first; the rotation is recorded in the chain and the
    new key signs a checkpoint at once, so every record stays covered. Gateways running on the
    same keys directory switch to the new key at their next checkpoint.
    """
    from gateway.audit.actions import admin_record
    from gateway.audit.signing_key import rotate

    settings = _settings(ctx)
    _, trail = _reader_and_trail(settings)
    if trail.signer is None:
        raise click.ClickException("this gateway signs no checkpoints")
    trail.checkpoint()
    try:
        retired, kid = rotate(settings.resolved_keys_dir)
    except OSError as exc:
        raise click.ClickException(
            f"cannot write the keys directory {settings.resolved_keys_dir}: {exc.strerror}"
        ) from None
    trail.append(
        admin_record(_operator(), "audit-key.rotate", target=kid, details={"previous": retired})
    )
    trail.checkpoint()
    click.echo(
        f"new checkpoint key {kid}; {retired} is retired and still verifies the checkpoints it "
        "signed. Publish the key set again: jjj-gateway audit key"
    )


# -- keys --------------------------------------------------------------------------------------


@main.group()
def keys() -> None:
    """Token signing keys."""


@keys.command("list")
@json_option
@click.pass_context
def keys_list(ctx: click.Context, as_json: bool) -> None:
    """The key ring: which key signs, which are published in advance, which are retired."""
    from gateway.core.instants import rfc3339
    from gateway.identity.signing_keys import key_ring

    ring = key_ring(_settings(ctx))
    ring.ensure()
    current = ring.current_kid()
    every = [
        {
            "kid": entry.kid,
            "state": "signing"
            if entry.kid == current
            else "pending"
            if entry.pending
            else "retired"
            if entry.retired_at
            else "active",
            "createdAt": rfc3339(entry.created_at),
            "retiredAt": rfc3339(entry.retired_at),
        }
        for entry in ring.entries()
    ]
    if as_json:
        _echo_json({"data": every})
        return
    _echo_table(
        ["KID", "STATE", "CREATED", "RETIRED"],
        [
            [str(k["kid"]), str(k["state"]), k["createdAt"] or "-", k["retiredAt"] or "-"]
            for k in every
        ],
    )


@keys.command("add")
@click.pass_context
def keys_add(ctx: click.Context) -> None:
    """First half of a rotation across replicas: publish a new key without signing with it."""
    from gateway.audit.actions import admin_record
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.signing_keys import key_ring, prepare_instance

    settings = _settings(ctx)
    prepare_instance(settings)
    kid = key_ring(settings).add()
    open_audit_trail(_engine(settings), settings).append(
        admin_record(_operator(), "keys.add", target=kid)
    )
    click.echo(
        f"published key {kid}; once every replica serves it in /oauth/jwks (and clients' "
        f"JWKS caches have expired, 300 s), run: jjj-gateway keys activate {kid}"
    )


@keys.command("activate")
@click.argument("kid")
@click.pass_context
def keys_activate(ctx: click.Context, kid: str) -> None:
    """Second half of a rotation: the published key signs from now on."""
    from gateway.audit.actions import admin_record
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.signing_keys import key_ring, prepare_instance

    settings = _settings(ctx)
    prepare_instance(settings)
    try:
        previous = key_ring(settings).activate(kid)
    except ValueError as exc:
        raise _fail(exc) from None
    open_audit_trail(_engine(settings), settings).append(
        admin_record(_operator(), "keys.activate", target=kid, details={"previous": previous})
    )
    click.echo(f"{kid} signs from now on; {previous} stays published until its tokens expire")


@keys.command("prune")
@click.pass_context
def keys_prune(ctx: click.Context) -> None:
    """Remove retired keys whose tokens have all expired."""
    from gateway.identity.signing_keys import key_ring

    gone = key_ring(_settings(ctx)).prune()
    click.echo(f"removed {len(gone)} retired key(s): {', '.join(gone) or 'none'}")


@keys.command("rotate")
@click.pass_context
def keys_rotate(ctx: click.Context) -> None:
    """Make a new signing key; the old one stays published until its tokens have expired."""
    from gateway.audit.actions import admin_record
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.signing_keys import key_ring, prepare_instance

    settings = _settings(ctx)
    prepare_instance(settings)
    ring = key_ring(settings)
    kid, previous = ring.rotate()
    open_audit_trail(_engine(settings), settings).append(
        admin_record(_operator(), "keys.rotate", target=kid, details={"previous": previous})
    )
    click.echo(
        f"new signing key {kid}; previous {previous} stays in the JWKS for "
        f"{settings.access_token_lifetime + settings.clock_skew} s"
    )


# -- adapter server ----------------------------------------------------------------------------


@main.group()
def adapter() -> None:
    """Standalone adapter servers (the node side of the adapter protocol)."""


@adapter.command("serve")
@click.option("--node", "node_id", required=True, help="Node id (a file in the nodes directory).")
@click.option("--bind", default="127.0.0.1:9100", show_default=True, help="host:port to listen on.")
@click.option(
    "--jwks-url",
    default=None,
    help="Where the gateway publishes its keys (default: <issuer>/oauth/jwks).",
)
@click.option(
    "--jwks-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Read the gateway's public keys from a file instead.",
)
@click.option(
    "--fault",
    "fault_text",
    default=None,
    metavar="KIND[:PARAM]",
    help="Misbehave on purpose, for resilience tests: slow:SECONDS, status:5XX, reset, "
    "malformed-json, invalid-records, oversized:BYTES, wrong-content-type, flaky:N.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    envvar="GATEWAY_ADAPTER_WORKERS",
    default=1,
    show_default=True,
    help="Worker processes (each holds the data).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    envvar="GATEWAY_ADAPTER_THREADS",
    default=16,
    show_default=True,
    help="Threads per worker.",
)
@click.pass_context
def adapter_serve(
    ctx: click.Context,
    node_id: str,
    bind: str,
    jwks_url: str | None,
    jwks_file: Path | None,
    fault_text: str | None,
    workers: int,
    threads: int,
) -> None:
    """Serve one node's data over the adapter protocol, to gateway-signed requests only."""
    from adapters import create_server_for_node
    from adapters.faults import Fault
    from adapters.nodes import NodeConfigError, default_directory
    from gateway.observability.tracing import adapter_service
    from gateway.serving import serve_adapter

    try:
        fault = Fault.parse(fault_text) if fault_text is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None

    settings = _settings(ctx)
    host, port = _parse_bind(bind)
    if jwks_file is None and jwks_url is None:
        jwks_url = f"{settings.issuer.rstrip('/')}/oauth/jwks"

    def load() -> Any:
        return create_server_for_node(
            node_id,
            nodes_dir=settings.nodes_dir or default_directory(),
            data_dir=settings.resolved_data_dir,
            issuer=settings.issuer,
            jwks_url=jwks_url,
            jwks_file=jwks_file,
            fault=fault,
        )

    try:
        load()  # check the node, its data and its keys now: a mistake fails here, not per worker
    except (NodeConfigError, KeyError, ValueError, OSError) as exc:
        raise click.ClickException(f"cannot serve node {node_id!r}: {exc}") from None
    click.echo(f"adapter server for node {node_id} on http://{host}:{port}", err=True)
    # The node's spans join the gateway's traces (traceparent) under a service name of its own.
    serve_adapter(
        load,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        service_name=adapter_service(node_id),
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
