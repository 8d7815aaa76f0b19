"""`jjj-gateway audit`: the tamper-evident audit trail, verified, exported as bundles, and its
checkpoint key published and rotated (docs/auditors-guide.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from gateway.cli.context import open_engine, operator, settings_of
from gateway.cli.options import InstantType
from gateway.cli.output import PROGRESS_OPTION, progress_report
from gateway.core.settings import Settings


@click.group()
def audit() -> None:
    """The tamper-evident audit trail."""


def _reader_and_trail(settings: Settings) -> tuple[Any, Any]:
    from gateway.audit.reader import AuditReader
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.signing_keys import prepare_instance

    prepare_instance(settings)
    engine = open_engine(settings)
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
    from gateway.audit.bundle import verify_bundle

    if bundle is not None:
        pinned = _pinned_keys(public_key) if public_key is not None else None
        try:
            text = bundle.read_text("utf-8")
            result, header = verify_bundle(
                text, pinned, progress=progress_report(progress, "verified", None)
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
        reader, trail = _reader_and_trail(settings_of(ctx))
        keys = trail.signer.public_keys() if trail.signer else {}
        result = reader.verify(
            keys,
            from_checkpoint=start == "checkpoint",
            progress=progress_report(progress, "verified", None),
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
    from gateway.audit.bundle import bundle_lines, export_range
    from gateway.core.instants import rfc3339

    if since is not None and until is not None and since >= until:
        raise click.BadParameter(
            f"--from {rfc3339(since)} is not before --to {rfc3339(until)}: "
            "no record lies between them",
            param_hint="--from/--to",
        )
    settings = settings_of(ctx)
    reader, trail = _reader_and_trail(settings)
    trail.append(
        admin_record(
            operator(),
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
        progress=progress_report(progress, "exported", last - first + 1),
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
    _, trail = _reader_and_trail(settings_of(ctx))
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

    settings = settings_of(ctx)
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
        admin_record(operator(), "audit-key.rotate", target=kid, details={"previous": retired})
    )
    trail.checkpoint()
    click.echo(
        f"new checkpoint key {kid}; {retired} is retired and still verifies the checkpoints it "
        "signed. Publish the key set again: jjj-gateway audit key"
    )
