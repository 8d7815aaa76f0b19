"""The OAuth scopes (docs/architecture.md#unified-authorisation): each scope's id and what it
grants, declared once. The client registry, the authorisation server's metadata, the views and
/openapi.json read them here; ``data:read`` is the tiered-use policies' own (their rule 2 asks for
it), so its id comes from there."""

from __future__ import annotations

from dataclasses import dataclass

from policies import DATA_READ


@dataclass(frozen=True, slots=True)
class Scope:
    id: str
    #: What a token with the scope may do, as /openapi.json and the reference pages say it.
    description: str


CATALOG_READ = "catalog:read"
AUDIT_READ = "audit:read"
ADMIN = "admin"

SCOPES: tuple[Scope, ...] = (
    Scope(
        DATA_READ,
        "Read dataset records (GET …/records, POST …/query) under the tiered-use policy.",
    ),
    Scope(CATALOG_READ, "Catalogue access for clients; the catalogue endpoints are also public."),
    Scope(AUDIT_READ, "Read and verify the audit trail, export verifiable bundles."),
    Scope(ADMIN, "Register and manage clients, issue and revoke grants."),
)
#: The scope ids, in the order the metadata (RFC 8414 ``scopes_supported``) lists them.
SCOPE_IDS: tuple[str, ...] = tuple(scope.id for scope in SCOPES)

__all__ = ["ADMIN", "AUDIT_READ", "CATALOG_READ", "DATA_READ", "SCOPES", "SCOPE_IDS", "Scope"]
