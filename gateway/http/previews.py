"""A dataset page's data preview: the catalogue's declared example records (recordSchema
``examples``, synthetic), as an anonymous reader — the open tier — would receive them.

The policy engine decides (docs/access-and-tiers.md rules 1–4 and 6, as for an exchange) and its own
masking code masks; nothing here is a copy of either. No node is called and no record held by a node
is shown, so a preview is not an exchange and is not audited: it publishes catalogue content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from catalog import Dataset, RegionRegistry
from gateway.http.catalog_entries import sample_purpose
from policies import DATA_READ, Caller, Policies, compile_masker, decide, derive_pseudonym_key

#: Who reads the pages: nobody signs in, so the open tier's view.
PREVIEW_TIER = "open"
PREVIEW_RECORDS = 3
#: Pseudonyms in a preview are keyed for no real client (no client id has spaces and brackets),
#: so they match no client's pseudonyms.
PREVIEW_CLIENT = "(catalogue preview)"


@dataclass(frozen=True, slots=True)
class PreviewField:
    name: str
    #: "clear", or the masking method the tier's profile applies (partial, hmac, …).
    treatment: str


@dataclass(frozen=True, slots=True)
class Preview:
    """Masked example records, or why there are none (``reason_zh`` / ``reason_en``)."""

    tier: str
    fields: tuple[PreviewField, ...] = ()
    records: tuple[dict[str, Any], ...] = ()
    #: The deciding rule when the tier may not read the dataset ("no-examples": none declared).
    rule_id: str | None = None
    reason_zh: str = ""
    reason_en: str = ""
    dropped: tuple[str, ...] = ()


def dataset_preview(
    dataset: Dataset,
    policies: Policies,
    regions: RegionRegistry,
    server_secret: bytes,
    *,
    now: dt.datetime | None = None,
) -> Preview:
    """The dataset's examples as the open tier sees them, decided and masked by the policies."""
    caller = Caller(client_id=PREVIEW_CLIENT, tier=PREVIEW_TIER, scopes=frozenset({DATA_READ}))
    decision = decide(
        dataset,
        caller,
        sample_purpose(policies) or "public-service",
        (),
        policies=policies,
        now=now or dt.datetime.now(dt.UTC),
        region_leaves=regions.leaves,
    )
    if not decision.allowed or decision.plan is None:
        return Preview(
            PREVIEW_TIER,
            rule_id=decision.rule_id,
            reason_zh=decision.reason_zh,
            reason_en=decision.reason_en,
        )
    examples = [e for e in dataset.record_schema.get("examples", ()) if isinstance(e, dict)]
    if not examples:
        return Preview(
            PREVIEW_TIER,
            rule_id="no-examples",
            reason_zh="目录条目没有给出示例记录。",
            reason_en="The catalogue entry declares no example records.",
        )
    plan = decision.plan
    mask = compile_masker(
        plan, dataset, pseudonym_key=derive_pseudonym_key(server_secret, PREVIEW_CLIENT)
    )
    shown = [name for name in plan.order if name in plan.clear or name in plan.masked]
    return Preview(
        PREVIEW_TIER,
        fields=tuple(PreviewField(n, plan.masked.get(n, "clear")) for n in shown),
        records=tuple(mask(example) for example in examples[:PREVIEW_RECORDS]),
        dropped=tuple(plan.dropped),
    )
