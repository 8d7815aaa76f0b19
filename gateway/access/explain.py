"""`jjj-gateway policy explain`: the decision the gateway would make, rule by rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from catalog import Catalog
from gateway.access.grants import GrantStore
from gateway.identity.clients import ClientStore
from policies import Caller, Decision, Policies, decide


class ExplainError(ValueError):
    pass


def explain(
    catalog: Catalog,
    policies: Policies,
    clients: ClientStore,
    grants: GrantStore,
    *,
    client_id: str,
    dataset_id: str,
    purpose: str,
    regions: list[str] | None = None,
    now: dt.datetime | None = None,
) -> Decision:
    client = clients.get(client_id)
    if client is None:
        raise ExplainError(f"no client {client_id!r}")
    dataset = catalog.get(dataset_id)
    if dataset is None:
        raise ExplainError(f"no dataset {dataset_id!r} in the catalogue")
    leaves = None
    if regions:
        unknown = [r for r in regions if not catalog.regions.is_known(r)]
        if unknown:
            raise ExplainError(f"unknown region(s) {', '.join(unknown)}")
        leaves = frozenset().union(*map(catalog.regions.leaves, regions))
    caller = Caller(
        client_id=client.client_id, tier=client.tier, scopes=client.scopes, region=client.region
    )
    return decide(
        dataset,
        caller,
        purpose,
        grants.for_client(client.client_id, dataset.id),
        policies=policies,
        now=now or dt.datetime.now(dt.UTC),
        requested_leaves=leaves,
        region_leaves=catalog.regions.leaves,
    )


def as_text(decision: Decision, *, client_id: str, dataset_id: str, purpose: str) -> str:
    lines = [f"client {client_id} · dataset {dataset_id} · purpose {purpose}", ""]
    width = max(len(step.rule_id) for step in decision.steps) if decision.steps else 10
    for number, step in enumerate(decision.steps, 1):
        lines.append(f"{number:2}. {step.rule_id:<{width}}  {step.outcome:<5}  {step.reason_en}")
        lines.append(f"    {'':<{width}}         {step.reason_zh}")
    verdict = "ALLOW" if decision.allowed else "DENY"
    lines += [
        "",
        f"=> {verdict} ({decision.rule_id}): {decision.reason_en}",
        f"   {decision.reason_zh}",
    ]
    if decision.grant is not None:
        lines.append(
            f"   under grant {decision.grant.id} (approved by {decision.grant.approver}; "
            f"{decision.grant.legal_basis})"
        )
    if decision.plan is not None:
        meta = decision.plan.as_meta()
        masked = ", ".join(f"{k} ({v})" for k, v in meta["masked"].items()) or "none"
        lines += [
            f"   clear:   {', '.join(meta['clear']) or 'none'}",
            f"   masked:  {masked}",
            f"   dropped: {', '.join(meta['dropped']) or 'none'}",
        ]
    if decision.leaves is not None:
        lines.append(f"   regions: {', '.join(sorted(decision.leaves))}")
    return "\n".join(lines)


def as_json(decision: Decision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "ruleId": decision.rule_id,
        "reason": {"en": decision.reason_en, "zh": decision.reason_zh},
        "problem": decision.problem,
        "grantId": decision.grant.id if decision.grant else None,
        "fields": decision.plan.as_meta() if decision.plan else None,
        "regions": sorted(decision.leaves) if decision.leaves is not None else None,
        "steps": [
            {
                "ruleId": s.rule_id,
                "outcome": s.outcome,
                "reason": {"en": s.reason_en, "zh": s.reason_zh},
            }
            for s in decision.steps
        ],
    }
