"""What each tier of use sees of a dataset's fields, as one row per field for the dataset page.

The access description itself (tiers admitted, grant, purposes, the field plan of each tier) is
the API's (gateway.http.catalog_entries.dataset_access), so the page and the JSON never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldTreatment:
    """One field as each admitted tier receives it when no grant names it."""

    field: str
    #: tier id → ``clear``, a masking method (``partial``, ``hmac``, …), or ``dropped``
    by_tier: dict[str, str]

    @property
    def clear_for_all(self) -> bool:
        return all(how == "clear" for how in self.by_tier.values())


def field_treatments(
    fields: Sequence[str], tiers: Sequence[Mapping[str, Any]]
) -> list[FieldTreatment]:
    """Rows of the "what each tier sees" table, from the tiers' field plans (``meta.fields``
    shape: ``clear``, ``masked`` field → method, ``dropped``)."""
    rows = []
    for name in fields:
        by_tier = {}
        for tier in tiers:
            plan = tier["fields"]
            if name in plan["clear"]:
                by_tier[tier["id"]] = "clear"
            elif name in plan["masked"]:
                by_tier[tier["id"]] = str(plan["masked"][name])
            else:
                by_tier[tier["id"]] = "dropped"
        rows.append(FieldTreatment(name, by_tier))
    return rows
