"""The caller of a data request as the policies see it: client, tier, scopes and home region."""

from __future__ import annotations

from dataclasses import dataclass

#: docs/architecture.md#unified-authorisation: the scope a token needs to read data.
DATA_READ = "data:read"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks: taken from the access token (this gateway's or a trusted issuer's)."""

    client_id: str
    tier: str
    scopes: frozenset[str]
    region: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.scopes, str):
            raise ValueError("scopes must be a collection of scope names, not one string")
        object.__setattr__(self, "scopes", frozenset(self.scopes))
