"""What the gateway publishes about itself as an OAuth server: authorisation server metadata
(RFC 8414), the protected resource metadata of the data API (RFC 9728), and the scopes and
client authentication methods they list, which the endpoints accept."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from gateway.identity import auth_methods
from gateway.identity.oauth.client_assertion import ASSERTION_ALGORITHMS
from gateway.identity.scopes import SCOPE_IDS

# docs/architecture.md#unified-authorisation: the scopes the gateway knows.
SCOPES_SUPPORTED = list(SCOPE_IDS)
AUTH_METHODS = list(auth_methods.AUTH_METHODS)

#: RFC 9728 §3: the well-known path of protected resource metadata.
RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource"


def resource_metadata_url(issuer: str, resource: str) -> str:
    """Where the metadata of ``resource`` is (RFC 9728 §3.1: the well-known path goes between
    the host and the resource's path); a resource elsewhere than the issuer's origin is
    described at the issuer's own well-known path."""
    base, parsed = urlsplit(issuer), urlsplit(resource)
    origin = f"{base.scheme}://{base.netloc}"
    path = parsed.path.rstrip("/") if (parsed.scheme, parsed.netloc) == base[:2] else ""
    return f"{origin}{RESOURCE_METADATA_PATH}{path}"


def protected_resource_metadata(
    issuer: str, resource: str, trusted_issuers: Iterable[str]
) -> dict[str, Any]:
    """RFC 9728 §2 protected resource metadata of the data API."""
    base = issuer.rstrip("/")
    return {
        "resource": resource,
        # This gateway's tokens and those of the trusted regional issuers are accepted.
        "authorization_servers": [issuer, *sorted(trusted_issuers)],
        "jwks_uri": f"{base}/oauth/jwks",
        "scopes_supported": SCOPES_SUPPORTED,
        # RFC 6750 §2.1 only: no form body or query parameter tokens.
        "bearer_methods_supported": ["header"],
        "resource_signing_alg_values_supported": ["ES256"],
        "resource_name": "JJJ Data Gateway (京津冀公共数据共享网关)",
        "resource_documentation": f"{base}/docs",
    }


def metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414 §2 authorisation server metadata."""
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/oauth/jwks",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "scopes_supported": SCOPES_SUPPORTED,
        # RFC 9068 access tokens are signed with these.
        "access_token_signing_alg_values_supported": ["ES256"],
        "service_documentation": f"{base}/docs",
    }
