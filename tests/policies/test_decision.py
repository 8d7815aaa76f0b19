"""The decision engine: docs/access-and-tiers.md rules in order, grants, region limits and field
plans per tier."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from catalog import Catalog
from policies import RULES, Caller, Decision, Grant, Policies, decide
from tests.policies.conftest import NOW

MakeCaller = Callable[..., Caller]


def grant(
    *,
    id: str = "g-1",
    client_id: str = "c-government",
    dataset: str = "social-insurance-payment",
    purpose: str = "social-insurance-transfer",
    fields: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    valid_from: datetime = NOW - timedelta(days=30),
    valid_until: datetime | None = NOW + timedelta(days=335),
    revoked_at: datetime | None = None,
) -> Grant:
    return Grant(
        id=id,
        client_id=client_id,
        dataset=dataset,
        purpose=purpose,
        fields=frozenset(fields) if fields is not None else None,
        regions=frozenset(regions) if regions is not None else None,
        valid_from=valid_from,
        valid_until=valid_until,
        approver="京津冀数据共享协调办公室",
        legal_basis="《社会保险法》第十九条",
        revoked_at=revoked_at,
    )


@pytest.fixture
def decide_for(catalog: Catalog, policies: Policies, caller: MakeCaller) -> Callable[..., Decision]:
    """``decide_for(dataset, tier, purpose, grants=..., scopes=..., requested=...)``."""

    def run(
        dataset: str,
        tier: str,
        purpose: str = "credit-check",
        grants: Sequence[Grant] = (),
        *,
        scopes: str = "data:read",
        requested: set[str] | None = None,
    ) -> Decision:
        entry = catalog.datasets[dataset]
        return decide(
            entry,
            caller(tier, scopes=scopes),
            purpose,
            grants,
            policies=policies,
            now=NOW,
            requested_leaves=frozenset(requested) if requested is not None else None,
            region_leaves=catalog.regions.leaves,
        )

    return run


# (dataset, tier, purpose, grants, scopes) → (allowed, rule id, problem); the earlier rule wins.
RULE_CASES: list[tuple[str, tuple[Any, ...], tuple[bool, str, str | None]]] = [
    (
        "purpose outside the vocabulary is refused before anything else",
        ("household-registration", "regulator", "curiosity", (), ""),
        (False, "purpose-unknown", "purpose-required"),
    ),
    (
        "share type none is refused even to the regulator tier",
        ("household-registration", "regulator", "regulatory-supervision", (), "data:read"),
        (False, "share-type-none", "not-shared"),
    ),
    (
        "share type none is refused before the scope is looked at",
        ("household-registration", "open", "public-service", (), ""),
        (False, "share-type-none", "not-shared"),
    ),
    (
        "a token without data:read is refused",
        ("market-entity-registration", "regulator", "credit-check", (), "catalog:read"),
        (False, "scope-required", "insufficient-scope"),
    ),
    (
        "scope is checked before the level",
        ("real-estate-registration", "open", "property-transaction", (), "catalog:read"),
        (False, "scope-required", "insufficient-scope"),
    ),
    (
        "an unknown tier is denied by default",
        ("air-quality-hourly", "vip", "public-service", (), "data:read"),
        (False, "tier-unknown", "forbidden"),
    ),
    (
        "a level 2 dataset is above the open tier",
        ("tax-credit-rating", "open", "credit-check", (), "data:read"),
        (False, "level-exceeds-tier", "level-exceeds-tier"),
    ),
    (
        "the level is checked before the grant",
        (
            "social-insurance-payment",
            "partner",
            "social-insurance-transfer",
            (grant(client_id="c-partner"),),
            "data:read",
        ),
        (False, "level-exceeds-tier", "level-exceeds-tier"),
    ),
    (
        "a conditional dataset without a grant is refused",
        ("social-insurance-payment", "government", "social-insurance-transfer", (), "data:read"),
        (False, "grant-required", "grant-required"),
    ),
    (
        "a grant for another purpose does not apply",
        ("social-insurance-payment", "government", "talent-mobility", (grant(),), "data:read"),
        (False, "grant-required", "grant-required"),
    ),
    (
        "another client's grant does not apply",
        (
            "social-insurance-payment",
            "government",
            "social-insurance-transfer",
            (grant(client_id="c-other"),),
            "data:read",
        ),
        (False, "grant-required", "grant-required"),
    ),
    (
        "a revoked grant does not apply",
        (
            "social-insurance-payment",
            "government",
            "social-insurance-transfer",
            (grant(revoked_at=NOW - timedelta(hours=1)),),
            "data:read",
        ),
        (False, "grant-required", "grant-required"),
    ),
    (
        "an active grant allows the conditional dataset",
        (
            "social-insurance-payment",
            "government",
            "social-insurance-transfer",
            (grant(),),
            "data:read",
        ),
        (True, "allow-grant", None),
    ),
    (
        "an unconditional dataset within the tier's level is allowed",
        ("market-entity-registration", "open", "credit-check", (), "data:read"),
        (True, "allow-unconditional", None),
    ),
]


@pytest.mark.parametrize(
    ("case", "expected"),
    [(case, expected) for _, case, expected in RULE_CASES],
    ids=[name for name, _, _ in RULE_CASES],
)
def test_rules_apply_in_order(
    decide_for: Callable[..., Decision],
    case: tuple[Any, ...],
    expected: tuple[bool, str, str | None],
) -> None:
    dataset, tier, purpose, grants, scopes = case
    decision = decide_for(dataset, tier, purpose, grants, scopes=scopes)
    assert (decision.allowed, decision.rule_id, decision.problem) == expected
    assert decision.steps[-1].rule_id == decision.rule_id
    assert decision.steps[-1].outcome == ("pass" if decision.allowed else "deny")
    assert all(step.outcome != "deny" for step in decision.steps[:-1])
    if not decision.allowed:
        assert decision.plan is None and decision.leaves is None


def test_a_denial_ends_the_rules(decide_for: Callable[..., Decision]) -> None:
    decision = decide_for("real-estate-registration", "partner", "property-transaction")
    assert [s.rule_id for s in decision.steps] == [
        "purpose-unknown",
        "share-type-none",
        "scope-required",
        "level-exceeds-tier",
    ]


def test_an_allowed_decision_traces_every_rule(decide_for: Callable[..., Decision]) -> None:
    decision = decide_for("market-entity-registration", "partner")
    assert [(s.rule_id, s.outcome) for s in decision.steps] == [
        ("purpose-unknown", "pass"),
        ("share-type-none", "pass"),
        ("scope-required", "pass"),
        ("level-exceeds-tier", "pass"),
        ("grant-required", "skip"),
        ("quota-requests", "skip"),
        ("quota-records", "skip"),
        ("field-plan", "limit"),
        ("allow-unconditional", "pass"),
    ]
    assert all(s.reason_en and s.reason_zh for s in decision.steps)


def test_level_exceeding_tier_reason_is_precise(decide_for: Callable[..., Decision]) -> None:
    decision = decide_for("real-estate-registration", "partner", "property-transaction")
    assert decision.reason_zh == "数据集等级 3 高于调用方等级 partner 可读的最高等级 2"
    assert decision.reason_en == (
        "Dataset level 3 is above level 2, the highest the partner tier may read"
    )


def test_unknown_share_type_is_denied_by_default(
    catalog: Catalog, policies: Policies, caller: MakeCaller
) -> None:
    odd = replace(catalog.datasets["air-quality-hourly"], share_type="on-request")
    decision = decide(
        odd,
        caller("regulator"),
        "statistics",
        [],
        policies=policies,
        now=NOW,
        region_leaves=catalog.regions.leaves,
    )
    assert (decision.allowed, decision.rule_id) == (False, "share-type-none")


def test_conditional_dataset_requires_grant_for_purpose(
    decide_for: Callable[..., Decision],
) -> None:
    decision = decide_for("social-insurance-payment", "government", "talent-mobility", [grant()])
    assert decision.reason_en == (
        "Dataset social-insurance-payment is shared on conditions: client c-government holds no "
        "active grant that covers this request to use it for purpose talent-mobility; its grants "
        "for this dataset are for other purposes: social-insurance-transfer"
    )
    assert decision.reason_zh.endswith(
        "；该客户端对此数据集的授权用途为：social-insurance-transfer"
    )


def test_expired_grant_is_named_in_the_reason(decide_for: Callable[..., Decision]) -> None:
    expired = grant(valid_until=NOW - timedelta(days=1))
    decision = decide_for(
        "social-insurance-payment", "government", "social-insurance-transfer", [expired]
    )
    assert decision.rule_id == "grant-required"
    assert decision.reason_en.endswith("; grant g-1 expired at 2026-11-28T09:30:00+00:00")
    assert decision.reason_zh.endswith("；授权 g-1 已于 2026-11-28T09:30:00+00:00 到期")


def test_grant_regions_limit_the_leaves(decide_for: Callable[..., Decision]) -> None:
    limited = grant(regions=["110108", "xiongan"])
    decision = decide_for(
        "social-insurance-payment", "government", "social-insurance-transfer", [limited]
    )
    assert decision.allowed
    assert decision.leaves == {"110108", "130629", "130632", "130638"}
    step = next(s for s in decision.steps if s.rule_id == "grant-required")
    assert step.outcome == "limit"
    assert "it limits regions to 110108, 130629, 130632, 130638" in step.reason_en


def test_requested_regions_outside_the_grant_are_left_out(
    decide_for: Callable[..., Decision],
) -> None:
    limited = grant(regions=["110108"])
    decision = decide_for(
        "social-insurance-payment",
        "government",
        "social-insurance-transfer",
        [limited],
        requested={"110108", "120116"},
    )
    assert decision.allowed and decision.leaves == {"110108"}
    step = next(s for s in decision.steps if s.rule_id == "grant-required")
    assert "the requested regions 120116 are outside it and left out" in step.reason_en
    assert "所请求的区域 120116 不在授权范围内" in step.reason_zh


def test_grant_does_not_apply_to_regions_it_does_not_cover(
    decide_for: Callable[..., Decision],
) -> None:
    limited = grant(regions=["110108"])
    decision = decide_for(
        "social-insurance-payment",
        "government",
        "social-insurance-transfer",
        [limited],
        requested={"120116"},
    )
    assert (decision.allowed, decision.rule_id) == (False, "grant-required")
    assert decision.reason_en.endswith(
        "; grant g-1 covers regions 110108 only, not the requested 120116"
    )


def test_grant_without_regions_sets_no_region_limit(decide_for: Callable[..., Decision]) -> None:
    decision = decide_for(
        "social-insurance-payment",
        "government",
        "social-insurance-transfer",
        [grant()],
        requested={"120116"},
    )
    assert decision.allowed and decision.leaves is None


def test_the_grant_reaching_most_requested_regions_is_used(
    decide_for: Callable[..., Decision],
) -> None:
    narrow = grant(id="g-narrow", regions=["110108"], valid_from=NOW - timedelta(days=1))
    wide = grant(id="g-wide", regions=["110000"])
    decision = decide_for(
        "social-insurance-payment",
        "government",
        "social-insurance-transfer",
        [narrow, wide],
        requested={"110108", "110105"},
    )
    assert decision.grant is wide
    assert decision.leaves == {"110108", "110105"}


def test_unconditional_dataset_sets_no_region_limit(decide_for: Callable[..., Decision]) -> None:
    decision = decide_for("market-entity-registration", "partner", requested={"110108"})
    assert decision.leaves is None and decision.grant is None


def test_quota_denial_keeps_the_trace_and_answers_quota_exceeded(
    decide_for: Callable[..., Decision],
) -> None:
    allowed = decide_for("market-entity-registration", "partner")
    denied = allowed.denied_by("quota-requests", client="c-partner", tier="partner", limit=300)
    assert (denied.allowed, denied.rule_id, denied.problem) == (
        False,
        "quota-requests",
        "quota-exceeded",
    )
    assert denied.reason_en == (
        "Client c-partner has used its quota of 300 requests per minute for the partner tier"
    )
    assert denied.reason_zh == "客户端 c-partner 已用完 partner 等级每分钟 300 次请求的配额"
    assert denied.plan is None
    assert denied.steps[:-1] == allowed.steps and denied.steps[-1].outcome == "deny"


def test_rules_registry_names_every_rule_with_its_problem() -> None:
    assert {rule_id: rule.problem for rule_id, rule in RULES.items()} == {
        "purpose-unknown": "purpose-required",
        "share-type-none": "not-shared",
        "scope-required": "insufficient-scope",
        "tier-unknown": "forbidden",
        "level-exceeds-tier": "level-exceeds-tier",
        "grant-required": "grant-required",
        "quota-requests": "quota-exceeded",
        "quota-records": "quota-exceeded",
        "field-plan": None,
        "allow-unconditional": None,
        "allow-grant": None,
    }


def test_every_rule_reason_renders_in_both_languages() -> None:
    params = {
        "purpose": "credit-check",
        "dataset": "d",
        "tier": "partner",
        "level": 3,
        "max_level": 2,
        "client": "c",
        "limit": 1,
        "profile": "partner",
        "summary_zh": "…",
        "summary_en": "…",
        "grant_id": "g",
        "approver": "a",
        "legal_basis": "b",
    }
    for rule in RULES.values():
        zh, en = rule.reasons(**params)
        assert "{" not in zh and "{" not in en
        assert zh != en


def test_decision_needs_an_aware_clock(
    catalog: Catalog, policies: Policies, caller: MakeCaller
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(
            catalog.datasets["air-quality-hourly"],
            caller("open"),
            "statistics",
            [],
            policies=policies,
            now=datetime(2026, 11, 29),
            region_leaves=catalog.regions.leaves,
        )


# --- field plans (rule 6) -------------------------------------------------------------------------

MARKET_ENTITY_PLANS = {
    "open": {
        "clear": [
            "creditCode",
            "name",
            "entityType",
            "registeredCapital",
            "establishedDate",
            "status",
            "industryCode",
            "regionCode",
            "address",
            "registrationAuthority",
        ],
        "masked": {"legalRepName": "partial"},
        "dropped": ["legalRepId", "contactPhone"],
    },
    "partner": {
        "clear": [
            "creditCode",
            "name",
            "entityType",
            "registeredCapital",
            "establishedDate",
            "status",
            "industryCode",
            "regionCode",
            "address",
            "registrationAuthority",
        ],
        "masked": {"legalRepName": "partial", "contactPhone": "partial"},
        "dropped": ["legalRepId"],
    },
    "government": {
        "clear": [
            "creditCode",
            "name",
            "entityType",
            "registeredCapital",
            "establishedDate",
            "status",
            "industryCode",
            "regionCode",
            "address",
            "registrationAuthority",
        ],
        "masked": {"legalRepName": "partial", "legalRepId": "hmac", "contactPhone": "partial"},
        "dropped": [],
    },
    "regulator": {
        "clear": [
            "creditCode",
            "name",
            "entityType",
            "registeredCapital",
            "establishedDate",
            "status",
            "industryCode",
            "regionCode",
            "address",
            "registrationAuthority",
        ],
        "masked": {"legalRepName": "partial", "legalRepId": "hmac", "contactPhone": "partial"},
        "dropped": [],
    },
}


@pytest.mark.parametrize("tier", list(MARKET_ENTITY_PLANS))
def test_market_entity_field_plan_per_tier(decide_for: Callable[..., Decision], tier: str) -> None:
    decision = decide_for("market-entity-registration", tier)
    assert decision.plan is not None
    assert decision.plan.as_meta() == MARKET_ENTITY_PLANS[tier]


def test_market_entity_fetch_follows_schema_order(decide_for: Callable[..., Decision]) -> None:
    decision = decide_for("market-entity-registration", "partner")
    assert decision.plan is not None
    assert decision.plan.fetch == (
        "creditCode",
        "name",
        "entityType",
        "legalRepName",
        "registeredCapital",
        "establishedDate",
        "status",
        "industryCode",
        "regionCode",
        "address",
        "contactPhone",
        "registrationAuthority",
    )


def test_field_plan_step_says_why_each_field_is_dropped(
    decide_for: Callable[..., Decision],
) -> None:
    decision = decide_for("market-entity-registration", "open")
    step = next(s for s in decision.steps if s.rule_id == "field-plan")
    assert "masked: legalRepName (partial)" in step.reason_en
    assert "dropped: legalRepId (level 3 above 1), contactPhone (level 2 above 1)" in step.reason_en
    assert "删除：legalRepId（字段等级 3 高于 1）、contactPhone（字段等级 2 高于 1）" in (
        step.reason_zh
    )


SOCIAL_INSURANCE_CLEAR = [
    "insuranceTypes",
    "regionCode",
    "employerCreditCode",
    "employerName",
    "paymentBase",
    "monthsPaid",
    "lastPaidMonth",
    "status",
]
SOCIAL_INSURANCE_MASKED = {
    "residentId": "hmac",
    "name": "partial",
    "birthDate": "generalise",
    "phone": "partial",
}


@pytest.mark.parametrize("tier", ["government", "regulator"])
def test_social_insurance_field_plan_per_tier_with_a_grant_naming_no_fields(
    decide_for: Callable[..., Decision], tier: str
) -> None:
    g = grant(client_id=f"c-{tier}")
    decision = decide_for("social-insurance-payment", tier, "social-insurance-transfer", [g])
    assert decision.plan is not None and decision.grant is g
    # A grant without a field list does not un-mask personal data.
    assert decision.plan.as_meta() == {
        "clear": SOCIAL_INSURANCE_CLEAR,
        "masked": SOCIAL_INSURANCE_MASKED,
        "dropped": [],
    }


@pytest.mark.parametrize("tier", ["open", "partner"])
def test_social_insurance_is_above_open_and_partner_tiers(
    decide_for: Callable[..., Decision], tier: str
) -> None:
    g = grant(client_id=f"c-{tier}")
    decision = decide_for("social-insurance-payment", tier, "social-insurance-transfer", [g])
    assert (decision.allowed, decision.rule_id) == (False, "level-exceeds-tier")


def test_grant_fields_are_clear_and_the_others_dropped(
    decide_for: Callable[..., Decision],
) -> None:
    named = grant(fields=["residentId", "name", "regionCode", "monthsPaid", "lastPaidMonth"])
    decision = decide_for(
        "social-insurance-payment", "government", "social-insurance-transfer", [named]
    )
    assert decision.plan is not None
    assert decision.plan.as_meta() == {
        "clear": ["residentId", "name", "regionCode", "monthsPaid", "lastPaidMonth"],
        "masked": {},
        "dropped": [
            "birthDate",
            "insuranceTypes",
            "employerCreditCode",
            "employerName",
            "paymentBase",
            "status",
            "phone",
        ],
    }
    step = next(s for s in decision.steps if s.rule_id == "grant-required")
    assert step.outcome == "limit"
    assert "it limits fields to lastPaidMonth, monthsPaid, name, regionCode, residentId" in (
        step.reason_en
    )


def test_grant_cannot_lift_a_field_above_the_tier_level(
    decide_for: Callable[..., Decision],
) -> None:
    named = grant(
        client_id="c-partner",
        dataset="market-entity-registration",
        purpose="credit-check",
        fields=["legalRepName", "legalRepId", "contactPhone"],
    )
    decision = decide_for("market-entity-registration", "partner", "credit-check", [named])
    assert decision.rule_id == "allow-unconditional" and decision.grant is named
    assert decision.plan is not None
    assert "legalRepName" in decision.plan.clear and "contactPhone" in decision.plan.clear
    assert decision.plan.dropped == ("legalRepId",)
    assert decision.plan.masked == {}


def test_unconditional_grant_unmasks_only_where_it_covers_every_requested_region(
    decide_for: Callable[..., Decision],
) -> None:
    named = grant(
        client_id="c-partner",
        dataset="market-entity-registration",
        purpose="credit-check",
        fields=["legalRepName"],
        regions=["110108"],
    )
    inside = decide_for(
        "market-entity-registration", "partner", "credit-check", [named], requested={"110108"}
    )
    assert inside.plan is not None and "legalRepName" in inside.plan.clear
    for requested in ({"110108", "120116"}, None):
        wider = decide_for(
            "market-entity-registration", "partner", "credit-check", [named], requested=requested
        )
        assert wider.grant is None and wider.leaves is None
        assert wider.plan is not None and wider.plan.masked["legalRepName"] == "partial"


def test_profile_drop_method_drops_the_field(
    catalog: Catalog, policies: Policies, caller: MakeCaller
) -> None:
    # The public profile drops resident IDs: a level-1 resident ID field is still not shown.
    entry = catalog.datasets["market-entity-registration"]
    fields = dict(entry.fields)
    fields["legalRepId"] = replace(fields["legalRepId"], level=1)
    lowered = replace(entry, fields=fields)
    decision = decide(
        lowered,
        caller("open"),
        "credit-check",
        [],
        policies=policies,
        now=NOW,
        region_leaves=catalog.regions.leaves,
    )
    assert decision.plan is not None and "legalRepId" in decision.plan.dropped
    step = next(s for s in decision.steps if s.rule_id == "field-plan")
    assert "legalRepId (profile public drops resident-id)" in step.reason_en
