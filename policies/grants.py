"""Grants (docs/architecture.md#domain-model, docs/access-and-tiers.md rule 4): what lets one client
use a conditional dataset for one purpose."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from catalog import Dataset

GrantState = Literal["active", "pending", "expired", "revoked"]


def _aware(name: str, moment: datetime | None) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _names(name: str, values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise ValueError(f"{name} must be a collection of names, not one string")
    names = frozenset(values)
    if not names:
        raise ValueError(f"{name} must name at least one entry, or be None for no limit")
    return names


@dataclass(frozen=True, slots=True)
class Grant:
    """One approved use: client, dataset, purpose, optional fields and regions, validity window."""

    id: str
    client_id: str
    dataset: str
    purpose: str
    #: The fields the grant names (they may be read in clear); None: no field list.
    fields: frozenset[str] | None
    #: The region codes the grant covers, as stored (any level); None: every region.
    regions: frozenset[str] | None
    valid_from: datetime
    valid_until: datetime | None
    approver: str
    legal_basis: str
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _names("fields", self.fields))
        object.__setattr__(self, "regions", _names("regions", self.regions))
        _aware("valid_from", self.valid_from)
        _aware("valid_until", self.valid_until)
        _aware("revoked_at", self.revoked_at)
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be later than valid_from")

    def state(self, now: datetime) -> GrantState:
        """Where ``now`` falls: before the window, inside it, after it, or after revocation."""
        _aware("now", now)
        if self.revoked_at is not None and self.revoked_at <= now:
            return "revoked"
        if now < self.valid_from:
            return "pending"
        if self.valid_until is not None and now >= self.valid_until:
            return "expired"
        return "active"

    def applies(self, dataset: Dataset | str, purpose: str, now: datetime) -> bool:
        """Whether the grant covers this dataset and purpose and is active at ``now``.

        It does not look at the client: the caller matches ``client_id`` itself.
        """
        dataset_id = dataset if isinstance(dataset, str) else dataset.id
        return (
            self.dataset == dataset_id and self.purpose == purpose and self.state(now) == "active"
        )

    def leaves(self, region_leaves: Callable[[str], frozenset[str]]) -> frozenset[str] | None:
        """The leaf regions the grant covers (None: no region limit)."""
        if self.regions is None:
            return None
        return frozenset().union(*(region_leaves(code) for code in sorted(self.regions)))
