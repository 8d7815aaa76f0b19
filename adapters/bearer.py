"""Bearer credentials (RFC 6750): the token an ``Authorization`` header carries and the challenge
a refusal sends, read and written the same way by the gateway and by the adapter server."""

from __future__ import annotations

__all__ = ["MalformedCredentials", "bearer_token", "challenge"]


class MalformedCredentials(ValueError):
    """The ``Authorization`` header is present but is not ``Bearer <token>``."""


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization`` header; None when there is none (or it is empty), and
    ``MalformedCredentials`` when it carries anything but one bearer token."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    # RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive.
    if scheme.lower() != "bearer" or not token or " " in token:
        raise MalformedCredentials("the Authorization header does not carry one bearer token")
    return token


def challenge(realm: str, **params: str) -> str:
    """The ``WWW-Authenticate`` value of a refusal (RFC 6750 §3): the realm, then ``params``
    (``error``, ``error_description``, ``scope``) in the order given; values are quoted as given."""
    attributes = {"realm": realm, **params}
    return "Bearer " + ", ".join(f'{name}="{value}"' for name, value in attributes.items())
