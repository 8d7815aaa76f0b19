"""The decide step (docs/architecture.md#the-exchange-pipeline, steps 4 and 7): the policy
decision of an exchange, the field plan it allows, and the masker compiled from that plan, the
decision and the masker each remembered per process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from adapters.bearer import challenge as bearer_challenge
from catalog import Catalog, Dataset
from gateway.core.problems import Problem
from gateway.exchange.request import invalid_at
from gateway.identity.oauth.tokens import REALM, Principal
from gateway.observability.tracing import child_span
from policies import DATA_READ, Caller, Decision, FieldPlan, Policies, compile_masker, decide

#: Decisions (those that no grant, hence no time window, affects) and maskers remembered per
#: process.
CACHE_SIZE = 4096

Masker = Callable[[Mapping[str, Any]], dict[str, Any]]
_V = TypeVar("_V")


def _remember(cache: dict[tuple[Any, ...], _V], key: tuple[Any, ...], value: _V) -> _V:
    """Keep ``value`` under ``key``; a full cache starts again empty (no entry is worth more)."""
    if len(cache) >= CACHE_SIZE:
        cache.clear()
    cache[key] = value
    return value


class Decider:
    """The policy decision. Without grants it depends on nothing that changes over time
    (tier, scopes, dataset, purpose, regions), so it is computed once and remembered."""

    def __init__(
        self,
        catalog: Catalog,
        policies: Policies,
        grants_for: Callable[[str, str], Sequence[Any]],
    ) -> None:
        self._catalog = catalog
        self._policies = policies
        self._grants_for = grants_for
        self._decisions: dict[tuple[Any, ...], Decision] = {}

    def decide(
        self, principal: Principal, dataset: Dataset, purpose: str, requested: frozenset[str] | None
    ) -> Decision:
        """The decision, in the ``policy.decide`` span that names its verdict and rule."""
        with child_span("policy.decide") as span:
            decision = self._decision(principal, dataset, purpose, requested)
            span.set_attribute("gateway.decision", "allow" if decision.allowed else "deny")
            span.set_attribute("gateway.rule_id", decision.rule_id)
        return decision

    def _decision(
        self, principal: Principal, dataset: Dataset, purpose: str, requested: frozenset[str] | None
    ) -> Decision:
        grants = tuple(self._grants_for(principal.client_id, dataset.id))
        key = (
            principal.client_id,
            principal.tier,
            principal.scopes,
            principal.region,
            dataset.id,
            purpose,
            requested,
        )
        if not grants:
            cached = self._decisions.get(key)
            if cached is not None:
                return cached
        decision = decide(
            dataset,
            Caller(
                client_id=principal.client_id,
                tier=principal.tier,
                scopes=principal.scopes,
                region=principal.region,
            ),
            purpose,
            grants,
            policies=self._policies,
            now=dt.datetime.now(dt.UTC),
            requested_leaves=requested,
            region_leaves=self._catalog.regions.leaves,
        )
        if not grants:
            _remember(self._decisions, key, decision)
        return decision


def refusal(decision: Decision) -> Problem:
    """The problem a refusing decision answers, with its rule and its reasons."""
    challenge = {}
    if decision.rule_id == "scope-required":
        # RFC 6750 §3.1: insufficient_scope names the scope the request needs.
        challenge["WWW-Authenticate"] = bearer_challenge(
            REALM, error="insufficient_scope", scope=DATA_READ
        )
    return Problem(
        decision.problem or "forbidden",
        detail=decision.reason_en,
        headers=challenge,
        extra={"ruleId": decision.rule_id, "reasonZh": decision.reason_zh},
    )


def field_plan(
    allowed: FieldPlan, fields: Sequence[str] | None, filter_: Mapping[str, Any]
) -> FieldPlan:
    """The allowed plan narrowed to the fields asked for; a filter may only use fields the
    caller sees in clear."""
    try:
        plan = allowed.project(fields)
    except ValueError as exc:
        raise invalid_at("$.fields", str(exc)) from None
    # A filter on a field the caller does not see in clear would reveal what masking hides.
    hidden = sorted(set(filter_) - set(allowed.clear))
    if hidden:
        raise Problem(
            "filter-not-permitted",
            detail=f"filtering on {', '.join(hidden)} is not permitted: the caller "
            "does not see these fields in clear",
        )
    return plan


class Maskers:
    """The compiled masker of a field plan for a client, built once and reused."""

    def __init__(self, pseudonym_key_for: Callable[[str], bytes]) -> None:
        self._pseudonym_key_for = pseudonym_key_for
        self._maskers: dict[tuple[Any, ...], Masker] = {}

    def for_plan(self, plan: FieldPlan, dataset: Dataset, client_id: str) -> Masker:
        key = (plan.clear, tuple(sorted(plan.masked.items())), plan.dropped, dataset.id, client_id)
        masker = self._maskers.get(key)
        if masker is None:
            masker = _remember(
                self._maskers,
                key,
                compile_masker(plan, dataset, pseudonym_key=self._pseudonym_key_for(client_id)),
            )
        return masker
