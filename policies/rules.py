"""The rules of tiered use (docs/access-and-tiers.md): stable rule ids, the problem type each denial
answers with, and the reason given to the caller in Chinese and English.

Reasons are ``str.format`` templates in both languages (``catalog.I18n``); the parameters each
one takes are named in it (a parameter ending in ``_zh`` or ``_en`` is the text for that
language).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from catalog import I18n


class Rule(NamedTuple):
    """A rule's problem type (None for rules that allow) and its reason template."""

    problem: str | None
    reason: I18n

    def reasons(self, **params: Any) -> tuple[str, str]:
        """The reason in Chinese and English with the template's parameters filled in."""
        reason = self.reason.format(**params)
        return reason.zh, reason.en


#: Rule id → rule, in the order the rules are applied.
RULES: Mapping[str, Rule] = MappingProxyType(
    {
        # docs/architecture.md#the-exchange-pipeline, step 3: the X-Purpose header is checked
        # against the purpose vocabulary.
        "purpose-unknown": Rule(
            "purpose-required",
            I18n(
                "用途 {purpose} 不在用途目录中，请在 X-Purpose 中填写目录中的用途",
                "Purpose '{purpose}' is not in the purpose vocabulary; state one of its purposes "
                "in X-Purpose",
            ),
        ),
        # Rule 1: shareType none → deny.
        "share-type-none": Rule(
            "not-shared",
            I18n(
                "数据集 {dataset} 为不予共享数据，只在目录中列示，网关不提供其数据",
                "Dataset {dataset} is not shared (share type 'none'): it is listed in the "
                "catalogue but its records are never served",
            ),
        ),
        # Rule 2: a token without data:read → 403 insufficient_scope.
        "scope-required": Rule(
            "insufficient-scope",
            I18n(
                "访问令牌缺少读取数据所需的权限范围 data:read",
                "The access token lacks the data:read scope needed to read data",
            ),
        ),
        # Deny by default: a tier the policy does not define reads nothing.
        "tier-unknown": Rule(
            "forbidden",
            I18n(
                "调用方等级 {tier} 未在等级策略中定义，按默认拒绝处理",
                "Tier '{tier}' is not defined in the tier policy, so access is denied by default",
            ),
        ),
        # Rule 3: dataset level > tier maxLevel → deny.
        "level-exceeds-tier": Rule(
            "level-exceeds-tier",
            I18n(
                "数据集等级 {level} 高于调用方等级 {tier} 可读的最高等级 {max_level}",
                "Dataset level {level} is above level {max_level}, the highest the {tier} tier may "
                "read",
            ),
        ),
        # Rule 4: a conditional dataset needs an active grant for (client, dataset, purpose).
        "grant-required": Rule(
            "grant-required",
            I18n(
                "数据集 {dataset} 为有条件共享数据，须经授权使用："
                "客户端 {client} 没有以用途 {purpose} 使用它且覆盖本次请求的有效授权",
                "Dataset {dataset} is shared on conditions: client {client} holds no active grant "
                "that covers this request to use it for purpose {purpose}",
            ),
        ),
        # Rule 5: quotas per client by tier, counted by the gateway → 429.
        "quota-requests": Rule(
            "quota-exceeded",
            I18n(
                "客户端 {client} 已用完 {tier} 等级每分钟 {limit} 次请求的配额",
                "Client {client} has used its quota of {limit} requests per minute for the "
                "{tier} tier",
            ),
        ),
        "quota-records": Rule(
            "quota-exceeded",
            I18n(
                "客户端 {client} 已用完 {tier} 等级每日 {limit} 条记录的配额",
                "Client {client} has used its quota of {limit} records per day for the {tier} tier",
            ),
        ),
        # Rule 6: each field in clear, masked by the tier's profile, or dropped.
        "field-plan": Rule(
            None,
            I18n(
                "字段按 {tier} 等级（可读最高等级 {max_level}，脱敏方案 {profile}）处理："
                "{summary_zh}",
                "Fields for the {tier} tier (up to level {max_level}, masking profile {profile}): "
                "{summary_en}",
            ),
        ),
        "allow-unconditional": Rule(
            None,
            I18n(
                "允许：数据集 {dataset} 为无条件共享数据，"
                "其等级 {level} 不高于 {tier} 等级可读的最高等级 {max_level}",
                "Allowed: dataset {dataset} is shared unconditionally and its level {level} is "
                "within level {max_level}, the highest the {tier} tier may read",
            ),
        ),
        "allow-grant": Rule(
            None,
            I18n(
                "允许：授权 {grant_id}（用途 {purpose}，批准人 {approver}，"
                "法律依据：{legal_basis}）准许使用有条件共享数据集 {dataset}",
                "Allowed: grant {grant_id} (purpose {purpose}, approved by {approver}, legal "
                "basis: {legal_basis}) permits use of the conditional dataset {dataset}",
            ),
        ),
    }
)
