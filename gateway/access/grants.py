"""Grants in the database: issued, listed and revoked by administrators, read on every exchange
of a conditional dataset (docs/architecture.md#domain-model, docs/access-and-tiers.md rule 4). Every
change is audited."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from catalog import Catalog
from gateway.audit.actions import Actor, admin_record
from gateway.audit.trail import AuditTrail
from gateway.core.ids import uuid7
from gateway.core.instants import rfc3339, utc, utc_now
from gateway.identity.clients import ClientError, ClientStore
from gateway.storage.bounds import can_hold, overlong
from gateway.storage.tables import grants
from policies import Grant, Policies

#: How long a process trusts what it read: a revoked grant stops applying within this time.
CACHE_SECONDS = 1.0


class GrantError(ValueError):
    """A grant that cannot be issued or changed."""


def _grant(row: Any) -> Grant:
    return Grant(
        id=row.grant_id,
        client_id=row.client_id,
        dataset=row.dataset,
        purpose=row.purpose,
        fields=frozenset(row.fields) if row.fields is not None else None,
        regions=frozenset(row.regions) if row.regions is not None else None,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        approver=row.approver,
        legal_basis=row.legal_basis,
        revoked_at=row.revoked_at,
    )


def grant_json(grant: Grant, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or utc_now()
    return {
        "id": grant.id,
        "clientId": grant.client_id,
        "dataset": grant.dataset,
        "purpose": grant.purpose,
        "fields": sorted(grant.fields) if grant.fields is not None else None,
        "regions": sorted(grant.regions) if grant.regions is not None else None,
        "validFrom": rfc3339(grant.valid_from),
        "validUntil": rfc3339(grant.valid_until),
        "approver": grant.approver,
        "legalBasis": grant.legal_basis,
        "revokedAt": rfc3339(grant.revoked_at),
        "state": grant.state(now),
    }


class GrantStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, tuple[Grant, ...]]] = {}

    def for_client(self, client_id: str, dataset: str) -> tuple[Grant, ...]:
        """The client's grants on a dataset (every state: the decision engine explains them)."""
        key = (client_id, dataset)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(grants)
                .where(grants.c.client_id == client_id, grants.c.dataset == dataset)
                .order_by(grants.c.created_at)
            ).all()
        found = tuple(_grant(r) for r in rows)
        with self._lock:
            self._cache[key] = (now + CACHE_SECONDS, found)
        return found

    def get(self, grant_id: str) -> Grant | None:
        if not can_hold(grants, "grant_id", grant_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(grants).where(grants.c.grant_id == grant_id)).first()
        return _grant(row) if row else None

    def list(self, *, client_id: str | None = None, dataset: str | None = None) -> list[Grant]:
        if (client_id and not can_hold(grants, "client_id", client_id)) or (
            dataset and not can_hold(grants, "dataset", dataset)
        ):
            return []
        query = select(grants).order_by(grants.c.created_at)
        if client_id:
            query = query.where(grants.c.client_id == client_id)
        if dataset:
            query = query.where(grants.c.dataset == dataset)
        with self.engine.connect() as conn:
            return [_grant(r) for r in conn.execute(query).all()]

    def forget(self, client_id: str, dataset: str) -> None:
        with self._lock:
            self._cache.pop((client_id, dataset), None)


class GrantAdmin:
    """Issue and revoke grants; each change commits with its audit record."""

    def __init__(
        self,
        store: GrantStore,
        clients: ClientStore,
        audit: AuditTrail,
        catalog: Catalog,
        policies: Policies,
    ) -> None:
        self.store = store
        self.clients = clients
        self.audit = audit
        self.catalog = catalog
        self.policies = policies

    def issue(
        self,
        actor: Actor,
        *,
        client_id: str,
        dataset: str,
        purpose: str,
        approver: str,
        legal_basis: str,
        fields: Iterable[str] | None = None,
        regions: Iterable[str] | None = None,
        valid_from: dt.datetime | None = None,
        valid_until: dt.datetime | None = None,
    ) -> Grant:
        entry = self.catalog.get(dataset)
        if entry is None:
            raise GrantError(f"no dataset {dataset!r} in the catalogue")
        if entry.share_type == "none":
            raise GrantError(f"{dataset} is not shared (share type none): no grant can open it")
        if purpose not in self.policies.purposes:
            raise GrantError(
                f"unknown purpose {purpose!r}; known: {', '.join(sorted(self.policies.purposes))}"
            )
        if "#" not in client_id and self.clients.get(client_id) is None:
            raise GrantError(f"no client {client_id!r}")
        field_list = sorted(set(fields)) if fields is not None else None
        unknown = sorted(set(field_list or ()) - set(entry.fields))
        if unknown:
            raise GrantError(f"{dataset} has no field(s) {', '.join(unknown)}")
        region_list = sorted(set(regions)) if regions is not None else None
        bad = [r for r in region_list or () if not self.catalog.regions.is_known(r)]
        if bad:
            raise GrantError(f"unknown region(s) {', '.join(bad)}")
        if not approver.strip() or not legal_basis.strip():
            raise GrantError("a grant names its approver and its legal basis")
        # A value longer than its column is the caller's mistake, not a database failure.
        too_long = overlong(
            grants,
            {
                "clientId": client_id,
                "approver": approver.strip(),
                "legalBasis": legal_basis.strip(),
                "createdBy": actor.id,
            },
        )
        if too_long:
            raise GrantError("; ".join(too_long))
        try:
            start = utc(valid_from) if valid_from is not None else utc_now()
            end = utc(valid_until) if valid_until is not None else None
        except ValueError as exc:
            raise GrantError(f"validity: {exc}") from None
        if end is not None and end <= start:
            raise GrantError("validUntil must be later than validFrom")
        grant_id = uuid7()
        try:
            grant = Grant(
                id=grant_id,
                client_id=client_id,
                dataset=dataset,
                purpose=purpose,
                fields=frozenset(field_list) if field_list is not None else None,
                regions=frozenset(region_list) if region_list is not None else None,
                valid_from=start,
                valid_until=end,
                approver=approver.strip(),
                legal_basis=legal_basis.strip(),
            )
        except ValueError as exc:
            raise GrantError(str(exc)) from None

        def change(conn: Connection) -> None:
            conn.execute(
                insert(grants).values(
                    grant_id=grant_id,
                    client_id=client_id,
                    dataset=dataset,
                    purpose=purpose,
                    fields=field_list,
                    regions=region_list,
                    valid_from=start,
                    valid_until=end,
                    approver=grant.approver,
                    legal_basis=grant.legal_basis,
                    created_at=utc_now(),
                    created_by=actor.id,
                )
            )

        self.audit.append(
            admin_record(
                actor,
                "grant.issue",
                target=grant_id,
                details={
                    "clientId": client_id,
                    "dataset": dataset,
                    "purpose": purpose,
                    "fields": field_list,
                    "regions": region_list,
                    "validFrom": rfc3339(start),
                    "validUntil": rfc3339(end),
                    "approver": grant.approver,
                    "legalBasis": grant.legal_basis,
                },
            ),
            alongside=change,
        )
        self.store.forget(client_id, dataset)
        return grant

    def never_applies(self, grant: Grant, now: dt.datetime | None = None) -> list[str]:
        """Why an issued grant cannot do what it seems to (the issuer is warned, not refused):
        the client's tier may not read the dataset, the dataset needs no grant, the window is
        over, or a field it names is above what the tier reads."""
        now = now or utc_now()
        entry = self.catalog.get(grant.dataset)
        warnings: list[str] = []
        client = self.clients.get(grant.client_id) if "#" not in grant.client_id else None
        tier = self.policies.tier(client.tier) if client is not None else None
        if entry is not None and tier is not None:
            if entry.level > tier.max_level:
                warnings.append(
                    f"never applies: {grant.dataset} is level {entry.level} and client "
                    f"{grant.client_id} is of the {tier.id} tier, which reads up to level "
                    f"{tier.max_level} (rule level-exceeds-tier)"
                )
            above = sorted(
                name
                for name in grant.fields or ()
                if name in entry.fields and entry.fields[name].level > tier.max_level
            )
            if above and entry.level <= tier.max_level:
                warnings.append(
                    f"field(s) {', '.join(above)} are above level {tier.max_level}, the highest "
                    f"the {tier.id} tier reads: they stay dropped"
                )
        if entry is not None and entry.share_type == "unconditional" and grant.fields is None:
            warnings.append(
                f"changes nothing: {grant.dataset} is shared unconditionally, without a grant; "
                "a grant on it only un-masks the fields it names, and this one names none"
            )
        if grant.valid_until is not None and grant.valid_until <= now:
            warnings.append(
                f"never applies: its window ended at {rfc3339(grant.valid_until)}, before it "
                "was issued"
            )
        if client is not None and not client.active:
            warnings.append(f"client {grant.client_id} is {client.status}: it gets no tokens")
        return warnings

    def revoke(self, actor: Actor, grant_id: str, *, reason: str = "") -> Grant:
        existing = self.store.get(grant_id)
        if existing is None:
            raise GrantError(f"no grant {grant_id!r}")
        if existing.revoked_at is not None:
            return existing  # revoking twice changes nothing

        def change(conn: Connection) -> None:
            conn.execute(
                update(grants)
                .where(grants.c.grant_id == grant_id)
                .values(revoked_at=utc_now(), revoked_by=actor.id)
            )

        self.audit.append(
            admin_record(actor, "grant.revoke", target=grant_id, details={"reason": reason}),
            alongside=change,
        )
        self.store.forget(existing.client_id, existing.dataset)
        revoked = self.store.get(grant_id)
        assert revoked is not None
        return revoked


__all__ = ["ClientError", "GrantAdmin", "GrantError", "GrantStore", "grant_json"]
