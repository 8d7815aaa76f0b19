"""Rule 5 inside an exchange (docs/access-and-tiers.md#the-tiers): an allowed request counts
against the client's tier quotas, the page's records are reserved from the day's quota before any
node is asked, and what the answer did not carry is given back once it is settled."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace

from gateway.access.quotas import Quotas, QuotaStoreUnavailable
from gateway.core.problems import Problem
from gateway.exchange.state import ExchangeState
from gateway.identity.oauth.tokens import Principal
from policies import Decision, Policies, Tier

log = logging.getLogger(__name__)


class QuotaGate:
    """The quotas an exchange draws on, and what it does when their store is down."""

    def __init__(self, quotas: Quotas, policies: Policies) -> None:
        self._quotas = quotas
        self._policies = policies

    def _tier(self, principal: Principal) -> Tier:
        return self._policies.tiers[principal.tier]

    def take_request(
        self, principal: Principal, decision: Decision, state: ExchangeState
    ) -> Decision:
        """Rule 5: count the request against the client's tier quotas; 429 when one is spent."""
        tier = self._tier(principal)
        try:
            allowed, quota = self._quotas.take_request(principal.client_id, tier)
        except QuotaStoreUnavailable:
            self._store_down()
            return decision
        state.quota = quota
        if allowed and quota.records_remaining > 0:
            return decision
        rule, limit, retry = (
            ("quota-requests", tier.requests_per_minute, quota.requests_reset)
            if not allowed
            else ("quota-records", tier.records_per_day, quota.records_reset)
        )
        raise _exceeded(principal, decision, state, rule, limit, retry)

    def reserve(
        self, principal: Principal, decision: Decision, state: ExchangeState, wanted: int
    ) -> int:
        """Reserve the page from the day's records: how many it may carry (all it wants when
        the quota store is down and quotas fail open); 429 when none remain."""
        if state.quota is None:
            return wanted
        tier = self._tier(principal)
        try:
            reserved = self._quotas.reserve_records(principal.client_id, tier, wanted)
        except QuotaStoreUnavailable:
            self._store_down()
            return wanted
        if reserved > 0:
            state.reserved = reserved
            return reserved
        # Concurrent exchanges reserved the last records after this one's quota check.
        state.quota = replace(state.quota, records_remaining=0)
        raise _exceeded(
            principal,
            decision,
            state,
            "quota-records",
            tier.records_per_day,
            state.quota.records_reset,
        )

    @staticmethod
    def carry(state: ExchangeState, records: int) -> None:
        """What is left after the page's records; a window that was empty begins now, for a day."""
        if state.quota is not None:
            state.quota = replace(
                state.quota,
                records_remaining=state.quota.records_remaining - records,
                records_reset=state.quota.records_reset or 86400,
            )

    def settle(self, principal: Principal, state: ExchangeState) -> None:
        """Give back the reserved records the answer did not carry (all of them when it failed)."""
        if state.reserved:
            self.give_back(principal, state.reserved - state.record_count)
            state.charged, state.reserved = state.record_count, 0

    def give_back(self, principal: Principal, records: int) -> None:
        if records > 0:
            self._quotas.release_records(principal.client_id, self._tier(principal), records)

    def headers(self, principal: Principal, state: ExchangeState) -> dict[str, str]:
        """The RateLimit headers of the answer: the quota as the exchange left it, or as the
        store has it when the exchange stopped before counting (none when the store is down)."""
        if state.quota is None and principal.tier in self._policies.tiers:
            with contextlib.suppress(QuotaStoreUnavailable):
                state.quota = self._quotas.state(principal.client_id, self._tier(principal))
        return state.quota.headers() if state.quota is not None else {}

    def _store_down(self) -> None:
        """Serve without quotas when they fail open; otherwise refuse (503)."""
        if self._quotas.fail_open:
            log.warning("quota store unavailable; serving without quotas (fail-open)")
            return
        # Unlimited use is not what the data owners agreed to: fail closed.
        raise Problem(
            "service-unavailable",
            detail="the quota store is unavailable; retry later",
            headers={"Retry-After": "5"},
        ) from None


def _exceeded(
    principal: Principal,
    decision: Decision,
    state: ExchangeState,
    rule: str,
    limit: int,
    retry: int,
) -> Problem:
    """The 429 of a spent quota; the exchange is audited as denied by that rule."""
    denied = decision.denied_by(rule, client=principal.client_id, tier=principal.tier, limit=limit)
    state.decision = denied
    return Problem(
        "quota-exceeded",
        detail=denied.reason_en,
        headers={"Retry-After": str(max(1, retry))},
        extra={"ruleId": denied.rule_id, "reasonZh": denied.reason_zh},
    )
