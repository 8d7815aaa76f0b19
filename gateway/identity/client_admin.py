"""Client administration, shared by the admin API and the CLI; every change is audited in the
same hash chain as the exchanges (docs/auditors-guide.md: admin actions are part of the compliance
trace)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection

from catalog import Catalog
from gateway.audit.actions import Actor, admin_record
from gateway.audit.trail import AuditTrail
from gateway.identity.clients import (
    AUTH_METHODS,
    Client,
    ClientError,
    ClientStatusCache,
    ClientStore,
)
from gateway.identity.oauth.jwks import public_key_set
from gateway.identity.oauth.revocation import RevocationList
from gateway.storage.bounds import overlong
from gateway.storage.tables import clients
from policies import Policies


class ClientAdmin:
    def __init__(
        self,
        store: ClientStore,
        audit: AuditTrail,
        status: ClientStatusCache | None,
        catalog: Catalog,
        policies: Policies,
    ) -> None:
        self.store = store
        self.audit = audit
        self.status = status
        self.catalog = catalog
        self.policies = policies

    def _check(self, *, region: str, tier: str) -> None:
        if not self.catalog.regions.is_known(region):
            raise ClientError(f"unknown region {region!r}")
        if tier not in self.policies.tiers:
            raise ClientError(f"unknown tier {tier!r}; known: {', '.join(self.policies.tiers)}")

    @staticmethod
    def _fits(values: dict[str, str | None]) -> None:
        """A value longer than its column is the caller's mistake, not a database failure."""
        messages = overlong(clients, values)
        if messages:
            raise ClientError("; ".join(messages))

    @staticmethod
    def _jwks(jwks: Any) -> dict[str, Any] | None:
        if jwks is None:
            return None
        try:
            public_key_set(jwks)
        except ValueError as exc:
            raise ClientError(str(exc)) from None
        return dict(jwks)

    def create(
        self,
        actor: Actor,
        *,
        name: str,
        region: str,
        tier: str,
        scopes: Iterable[str],
        auth_method: str = "client_secret_basic",
        client_id: str | None = None,
        jwks: Any = None,
        jwks_uri: str | None = None,
    ) -> tuple[Client, str | None]:
        self._check(region=region, tier=tier)
        self._fits({"name": name, "jwksUri": jwks_uri})
        if jwks_uri is not None and not jwks_uri.startswith(("https://", "http://")):
            raise ClientError("jwksUri must be an http(s) URL")
        keys = self._jwks(jwks)
        made: dict[str, Any] = {}

        def change(conn: Connection) -> str:
            made["client"], made["secret"] = self.store.create(
                name=name,
                region=region,
                tier=tier,
                scopes=scopes,
                auth_method=auth_method,
                client_id=client_id,
                jwks=keys,
                jwks_uri=jwks_uri,
                conn=conn,
            )
            return str(made["client"].client_id)

        self._record(
            actor,
            "client.create",
            change,
            {
                "tier": tier,
                "region": region,
                "scopes": sorted(set(scopes)),
                "authMethod": auth_method,
            },
        )
        return made["client"], made["secret"]

    def set_status(self, actor: Actor, client_id: str, status: str) -> Client:
        made: dict[str, Client] = {}

        def change(conn: Connection) -> str:
            made["client"] = self.store.set_status(client_id, status, conn=conn)
            return client_id

        self._record(actor, f"client.{'disable' if status == 'disabled' else 'enable'}", change)
        self._forget(client_id)
        return made["client"]

    def _forget(self, client_id: str) -> None:
        if self.status is not None:
            self.status.forget(client_id)  # this replica applies the change at once

    def rotate_secret(
        self, actor: Actor, client_id: str, *, revoke_tokens: bool = False
    ) -> tuple[Client, str]:
        """A new secret; the old one stops working at once, and with ``revoke_tokens`` so do
        the access tokens issued with it (otherwise they live out their lifetime)."""
        existing = self.store.get(client_id)
        if existing is None:
            raise ClientError(f"no client {client_id!r}")
        if existing.auth_method == "private_key_jwt":
            raise ClientError("a private_key_jwt client has no secret; set its JWKS instead")
        made: dict[str, Any] = {}

        def change(conn: Connection) -> str:
            made["client"], made["secret"] = self.store.rotate_secret(
                client_id, revoke_tokens=revoke_tokens, conn=conn
            )
            return client_id

        self._record(actor, "client.rotate-secret", change, {"revokeTokens": revoke_tokens})
        self._forget(client_id)
        return made["client"], made["secret"]

    def set_jwks(
        self,
        actor: Actor,
        client_id: str,
        *,
        jwks: Any = None,
        jwks_uri: str | None = None,
        revoke_tokens: bool = False,
    ) -> Client:
        if (jwks is None) == (jwks_uri is None):
            raise ClientError("give exactly one of jwks and jwksUri")
        self._fits({"jwksUri": jwks_uri})
        if jwks_uri is not None and not jwks_uri.startswith(("https://", "http://")):
            raise ClientError("jwksUri must be an http(s) URL")
        keys = self._jwks(jwks)
        made: dict[str, Client] = {}

        def change(conn: Connection) -> str:
            made["client"] = self.store.set_keys(
                client_id, jwks=keys, jwks_uri=jwks_uri, revoke_tokens=revoke_tokens, conn=conn
            )
            return client_id

        self._record(
            actor, "client.set-jwks", change, {"jwksUri": jwks_uri, "revokeTokens": revoke_tokens}
        )
        self._forget(client_id)
        return made["client"]

    def _record(
        self,
        actor: Actor,
        action: str,
        change: Callable[[Connection], str],
        details: dict[str, Any] | None = None,
    ) -> None:
        """Make the change and its audit record in one transaction."""
        record = admin_record(actor, action, details=details)

        def apply(conn: Connection) -> None:
            record["target"] = change(conn)  # read by append after this returns

        self.audit.append(record, alongside=apply)


def revoke_token(
    audit: AuditTrail,
    revocations: RevocationList,
    actor: Actor,
    *,
    issuer: str,
    jti: str,
    key: str,
    expires_at: int,
) -> None:
    """Put one access token (this gateway's or a trusted issuer's, named by issuer and ``jti``)
    on the deny-list until ``expires_at``; the revocation and its audit record commit together."""
    record = admin_record(actor, "token.revoke", target=jti, details={"issuer": issuer})

    def apply(conn: Connection) -> None:
        if not revocations.is_recorded(conn, key):  # revoking twice is not an error
            revocations.record(conn, key, client_id=None, expires_at=expires_at)

    audit.append(record, alongside=apply)
    revocations.remember(key, expires_at=expires_at)


__all__ = ["AUTH_METHODS", "ClientAdmin", "revoke_token"]
