"""How a client authenticates at the token, introspection and revocation endpoints (RFC 6749
§2.3, RFC 7523 §2.2), declared once: the client registry, the authorisation server, the CLI and
/openapi.json read the methods here (docs/api.md#authentication). Nothing heavy is imported, so the
CLI can offer the methods as choices and still start quickly."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AuthMethod:
    id: str
    #: The form fields that carry the client's credentials; none: HTTP Basic.
    body_fields: tuple[str, ...]
    #: How the client authenticates, as /openapi.json says it.
    description: str


METHODS: tuple[AuthMethod, ...] = (
    AuthMethod("client_secret_basic", (), "HTTP Basic with the client id and secret"),
    AuthMethod(
        "client_secret_post",
        ("client_id", "client_secret"),
        "`client_id` and `client_secret` in the form body, no Authorization header",
    ),
    AuthMethod(
        "private_key_jwt",
        ("client_assertion_type", "client_assertion"),
        "`client_assertion_type` and a signed `client_assertion` (RFC 7523) in the form body",
    ),
)
AUTH_METHODS: tuple[str, ...] = tuple(method.id for method in METHODS)
#: The method a client is registered with unless it names one.
DEFAULT_AUTH_METHOD = AUTH_METHODS[0]

__all__ = ["AUTH_METHODS", "DEFAULT_AUTH_METHOD", "METHODS", "AuthMethod"]
