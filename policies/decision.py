"""The decision engine (docs/access-and-tiers.md): may this caller read this dataset for this
purpose, which regions, and which fields in clear, masked or not at all — with the reason for each
step.

Rules are applied in order and the first that denies ends the decision; nothing is allowed
unless every rule passed (deny by default). Long because every rule is here with its reason in
Chinese and English beside the check that gives it: the rules read in order in one place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from catalog import I18n
from policies.callers import DATA_READ, Caller
from policies.documents import Policies, Tier
from policies.grants import Grant
from policies.plans import FieldPlan
from policies.rules import RULES

if TYPE_CHECKING:
    from catalog import Dataset

Outcome = Literal["pass", "deny", "limit", "skip"]
RegionLeaves = Callable[[str], frozenset[str]]

_SHARE_TYPE_ZH = {"unconditional": "无条件共享", "conditional": "有条件共享"}


@dataclass(frozen=True, slots=True)
class Step:
    """One rule's outcome in a decision, for ``policy explain`` and the audit trail."""

    rule_id: str
    outcome: Outcome
    reason_en: str
    reason_zh: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of the rules for one request: the deciding rule, its reason, what is allowed."""

    allowed: bool
    rule_id: str
    reason_zh: str
    reason_en: str
    #: The problem type slug a denial answers with (None when allowed).
    problem: str | None
    #: The grant the decision rests on or that un-masks fields (None: none).
    grant: Grant | None = None
    plan: FieldPlan | None = None
    #: The leaf regions the caller may get (None: no limit from the policies).
    leaves: frozenset[str] | None = None
    steps: tuple[Step, ...] = ()

    def denied_by(self, rule_id: str, **params: Any) -> Decision:
        """This decision turned into a denial by a later rule (a quota counted by the gateway)."""
        rule = RULES[rule_id]
        zh, en = rule.reasons(**params)
        return dataclasses.replace(
            self,
            allowed=False,
            rule_id=rule_id,
            reason_zh=zh,
            reason_en=en,
            problem=rule.problem,
            plan=None,
            leaves=None,
            steps=(*self.steps, Step(rule_id, "deny", en, zh)),
        )


_NO_NAMES = I18n("无", "none")
_NAME_SEPARATOR = I18n("、", ", ")


def _names(names: Iterable[str], language: str, *, ordered: bool = False) -> str:
    """Names joined for a reason text: sorted, unless already in a meaningful (schema) order."""
    listed = list(names) if ordered else sorted(names)
    if not listed:
        return _NO_NAMES.text(language)
    return _NAME_SEPARATOR.text(language).join(listed)


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class _Trace:
    """The steps taken so far, and the decisions they end in."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def add(self, rule_id: str, outcome: Outcome, en: str, zh: str) -> None:
        self.steps.append(Step(rule_id, outcome, en, zh))

    def deny(self, rule_id: str, *, detail: tuple[str, str] = ("", ""), **params: Any) -> Decision:
        rule = RULES[rule_id]
        zh, en = rule.reasons(**params)
        zh, en = zh + detail[0], en + detail[1]
        self.add(rule_id, "deny", en, zh)
        return Decision(False, rule_id, zh, en, rule.problem, steps=tuple(self.steps))

    def allow(
        self,
        rule_id: str,
        *,
        grant: Grant | None,
        plan: FieldPlan,
        leaves: frozenset[str] | None,
        **params: Any,
    ) -> Decision:
        zh, en = RULES[rule_id].reasons(**params)
        self.add(rule_id, "pass", en, zh)
        return Decision(
            True,
            rule_id,
            zh,
            en,
            None,
            grant=grant,
            plan=plan,
            leaves=leaves,
            steps=tuple(self.steps),
        )


@dataclass(frozen=True, slots=True)
class _Cover:
    """A grant and the leaves it lets the request reach (None: no region limit)."""

    grant: Grant
    leaves: frozenset[str] | None
    granted: frozenset[str] | None


def _cover(grant: Grant, requested: frozenset[str] | None, region_leaves: RegionLeaves) -> _Cover:
    granted = grant.leaves(region_leaves)
    if granted is None:
        return _Cover(grant, None, None)
    return _Cover(grant, granted if requested is None else requested & granted, granted)


def _best(covers: Iterable[_Cover]) -> _Cover | None:
    """The grant reaching the most requested regions; among equals the latest issued."""
    usable = [c for c in covers if c.leaves is None or c.leaves]
    if not usable:
        return None

    def rank(cover: _Cover) -> tuple[int, int, float, str]:
        reach = 0 if cover.leaves is None else 1
        size = 0 if cover.leaves is None else -len(cover.leaves)
        return (reach, size, -cover.grant.valid_from.timestamp(), cover.grant.id)

    return min(usable, key=rank)


def _missing_grant_detail(
    own: list[Grant],
    purpose: str,
    now: datetime,
    requested: frozenset[str] | None,
    region_leaves: RegionLeaves,
) -> tuple[str, str]:
    """Why none of the client's grants for the dataset serves this request (zh, en)."""
    for_purpose = [g for g in own if g.purpose == purpose]
    if not own:
        return "", ""
    if not for_purpose:
        others = {g.purpose for g in own}
        return (
            f"；该客户端对此数据集的授权用途为：{_names(others, 'zh')}",
            f"; its grants for this dataset are for other purposes: {_names(others, 'en')}",
        )
    zh_parts: list[str] = []
    en_parts: list[str] = []
    for grant in sorted(for_purpose, key=lambda g: g.id):
        state = grant.state(now)
        if state == "revoked" and grant.revoked_at is not None:
            zh_parts.append(f"授权 {grant.id} 已于 {_when(grant.revoked_at)} 撤销")
            en_parts.append(f"grant {grant.id} was revoked at {_when(grant.revoked_at)}")
        elif state == "expired" and grant.valid_until is not None:
            zh_parts.append(f"授权 {grant.id} 已于 {_when(grant.valid_until)} 到期")
            en_parts.append(f"grant {grant.id} expired at {_when(grant.valid_until)}")
        elif state == "pending":
            zh_parts.append(f"授权 {grant.id} 自 {_when(grant.valid_from)} 起才生效")
            en_parts.append(f"grant {grant.id} is valid only from {_when(grant.valid_from)}")
        else:
            granted = grant.leaves(region_leaves) or frozenset()
            wanted = requested or frozenset()
            zh_parts.append(
                f"授权 {grant.id} 只覆盖区域 {_names(granted, 'zh')}，"
                f"不含所请求的区域 {_names(wanted, 'zh')}"
            )
            en_parts.append(
                f"grant {grant.id} covers regions {_names(granted, 'en')} only, "
                f"not the requested {_names(wanted, 'en')}"
            )
    return "；" + "；".join(zh_parts), "; " + "; ".join(en_parts)


def _grant_limits(
    cover: _Cover, requested: frozenset[str] | None, conditional: bool
) -> tuple[Outcome, str, str]:
    """The outcome and the (zh, en) wording of how a grant limits the request."""
    grant = cover.grant
    until = _when(grant.valid_until) if grant.valid_until else None
    window_zh = f"{_when(grant.valid_from)} 至 {until or '长期'}"
    window_en = f"{_when(grant.valid_from)} until {until or 'further notice'}"
    zh = f"授权 {grant.id}（用途 {grant.purpose}，有效期 {window_zh}）有效"
    en = f"Grant {grant.id} for purpose {grant.purpose} is active (valid {window_en})"
    outcome: Outcome = "pass"
    if cover.granted is not None:
        outcome = "limit"
        zh += f"；区域限于 {_names(cover.granted, 'zh')}"
        en += f"; it limits regions to {_names(cover.granted, 'en')}"
        outside = (requested or frozenset()) - cover.granted
        if outside:
            zh += f"，所请求的区域 {_names(outside, 'zh')} 不在授权范围内，已排除"
            en += f"; the requested regions {_names(outside, 'en')} are outside it and left out"
    if grant.fields is not None:
        if conditional:
            outcome = "limit"
            zh += f"；字段限于 {_names(grant.fields, 'zh')}"
            en += f"; it limits fields to {_names(grant.fields, 'en')}"
        else:
            zh += f"；其列出的字段 {_names(grant.fields, 'zh')} 可以明文读取"
            en += f"; the fields it names ({_names(grant.fields, 'en')}) may be read in clear"
    return outcome, zh, en


def plan_fields(
    dataset: Dataset,
    tier: Tier,
    profile: Mapping[str, str],
    grant: Grant | None,
    *,
    conditional: bool,
) -> tuple[FieldPlan, str, str]:
    """Rule 6: every field of the dataset in clear, masked or dropped, with a (zh, en) summary."""
    clear: list[str] = []
    masked: dict[str, str] = {}
    dropped: list[str] = []
    clear_zh: list[str] = []
    clear_en: list[str] = []
    masked_notes: list[tuple[str, str]] = []
    dropped_notes: list[tuple[str, str]] = []
    named = grant.fields if grant is not None and grant.fields is not None else frozenset()
    limited = conditional and grant is not None and grant.fields is not None
    grant_id = grant.id if grant is not None else ""
    for name, info in dataset.fields.items():
        # docs/access-and-tiers.md rule 6: a field is in clear if its x-level ≤ the tier's maxLevel
        # and, when it carries x-sensitivity, a grant names it; otherwise it is masked or dropped.
        if info.level > tier.max_level:
            dropped.append(name)
            dropped_notes.append(
                (
                    f"{name}（字段等级 {info.level} 高于 {tier.max_level}）",
                    f"{name} (level {info.level} above {tier.max_level})",
                )
            )
        elif limited and name not in named:
            dropped.append(name)
            dropped_notes.append(
                (f"{name}（授权 {grant_id} 未列出）", f"{name} (not named by grant {grant_id})")
            )
        elif info.sensitivity is None:
            clear.append(name)
            clear_zh.append(name)
            clear_en.append(name)
        elif name in named:
            clear.append(name)
            clear_zh.append(f"{name}（授权 {grant_id} 列出）")
            clear_en.append(f"{name} (named by grant {grant_id})")
        else:
            method = profile.get(info.sensitivity)
            if method is None or method == "drop":
                dropped.append(name)
                dropped_notes.append(
                    (
                        f"{name}（脱敏方案 {tier.masking_profile} 删除 {info.sensitivity} 类字段）",
                        f"{name} (profile {tier.masking_profile} drops {info.sensitivity})",
                    )
                )
            else:
                masked[name] = method
                masked_notes.append((f"{name}（{method}）", f"{name} ({method})"))
    plan = FieldPlan(
        clear=tuple(clear), masked=masked, dropped=tuple(dropped), order=tuple(dataset.fields)
    )
    zh = (
        f"明文：{_names(clear_zh, 'zh', ordered=True)}；"
        f"脱敏：{_names((z for z, _ in masked_notes), 'zh', ordered=True)}；"
        f"删除：{_names((z for z, _ in dropped_notes), 'zh', ordered=True)}"
    )
    en = (
        f"clear: {_names(clear_en, 'en', ordered=True)}; "
        f"masked: {_names((e for _, e in masked_notes), 'en', ordered=True)}; "
        f"dropped: {_names((e for _, e in dropped_notes), 'en', ordered=True)}"
    )
    return plan, zh, en


def decide(
    dataset: Dataset,
    caller: Caller,
    purpose: str,
    grants: Iterable[Grant],
    *,
    policies: Policies,
    now: datetime,
    requested_leaves: frozenset[str] | None = None,
    region_leaves: RegionLeaves,
) -> Decision:
    """Apply docs/access-and-tiers.md rules 1–4 and 6 in order (quotas, rule 5, are counted by the
    gateway).

    ``requested_leaves`` are the leaf regions the request asks for (None: all);
    ``region_leaves`` turns a region code of a grant into its leaf regions.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    trace = _Trace()
    known = policies.purpose(purpose)
    if known is None:
        return trace.deny("purpose-unknown", purpose=purpose)
    trace.add(
        "purpose-unknown",
        "pass",
        f"Purpose {purpose} ({known.en}) is in the purpose vocabulary",
        f"用途 {purpose}（{known.zh}）在用途目录中",
    )

    # Rule 1: shareType none → deny; a share type the policies do not know is not shared either.
    share_type = dataset.share_type
    if share_type not in _SHARE_TYPE_ZH:
        return trace.deny("share-type-none", dataset=dataset.id)
    conditional = share_type == "conditional"
    trace.add(
        "share-type-none",
        "pass",
        f"Dataset {dataset.id} is shared (share type '{share_type}')",
        f"数据集 {dataset.id} 为{_SHARE_TYPE_ZH[share_type]}数据",
    )

    # Rule 2: token lacks data:read → 403 insufficient_scope.
    if DATA_READ not in caller.scopes:
        return trace.deny("scope-required")
    trace.add(
        "scope-required",
        "pass",
        "The access token carries the data:read scope",
        "访问令牌带有 data:read 权限范围",
    )

    # Rule 3: dataset level > tier maxLevel → deny.
    tier = policies.tier(caller.tier)
    if tier is None:
        return trace.deny("tier-unknown", tier=caller.tier)
    if dataset.level > tier.max_level:
        return trace.deny(
            "level-exceeds-tier", level=dataset.level, tier=tier.id, max_level=tier.max_level
        )
    trace.add(
        "level-exceeds-tier",
        "pass",
        f"Dataset level {dataset.level} is within level {tier.max_level}, the highest the "
        f"{tier.id} tier may read",
        f"数据集等级 {dataset.level} 不高于调用方等级 {tier.id} 可读的最高等级 {tier.max_level}",
    )

    # Rule 4: conditional → an active grant for (client, dataset, purpose); its regions and
    # fields limit the request when it names them.
    own = [g for g in grants if g.client_id == caller.client_id and g.dataset == dataset.id]
    covers = [
        _cover(g, requested_leaves, region_leaves) for g in own if g.applies(dataset, purpose, now)
    ]
    if not conditional:
        # An unconditional dataset needs no grant; one that names fields still un-masks them,
        # but only when it covers every region asked for.
        asked = requested_leaves
        covers = [
            c
            for c in covers
            if c.grant.fields is not None
            and (c.granted is None or (asked is not None and asked <= c.granted))
        ]
    cover = _best(covers)
    if conditional and cover is None:
        detail = _missing_grant_detail(own, purpose, now, requested_leaves, region_leaves)
        return trace.deny(
            "grant-required",
            detail=detail,
            dataset=dataset.id,
            client=caller.client_id,
            purpose=purpose,
        )
    if cover is None:
        trace.add(
            "grant-required",
            "skip",
            f"Dataset {dataset.id} is shared unconditionally: no grant is needed",
            f"数据集 {dataset.id} 为无条件共享数据，无需授权",
        )
    else:
        outcome, zh, en = _grant_limits(cover, requested_leaves, conditional)
        trace.add("grant-required", outcome, en, zh)

    # Rule 5: quotas are counted by the gateway for every request; recorded here for the trace.
    trace.add(
        "quota-requests",
        "skip",
        f"Counted by the gateway: {tier.requests_per_minute} requests per minute for the "
        f"{tier.id} tier",
        f"由网关计数：{tier.id} 等级每分钟 {tier.requests_per_minute} 次请求",
    )
    trace.add(
        "quota-records",
        "skip",
        f"Counted by the gateway: {tier.records_per_day} records per day for the {tier.id} tier",
        f"由网关计数：{tier.id} 等级每日 {tier.records_per_day} 条记录",
    )

    # Rule 6: fields.
    grant = cover.grant if cover is not None else None
    plan, summary_zh, summary_en = plan_fields(
        dataset, tier, policies.profile(tier), grant, conditional=conditional
    )
    zh, en = RULES["field-plan"].reasons(
        tier=tier.id,
        max_level=tier.max_level,
        profile=tier.masking_profile,
        summary_zh=summary_zh,
        summary_en=summary_en,
    )
    trace.add("field-plan", "limit" if plan.masked or plan.dropped else "pass", en, zh)

    if conditional and cover is not None:
        return trace.allow(
            "allow-grant",
            grant=cover.grant,
            plan=plan,
            leaves=cover.leaves,
            grant_id=cover.grant.id,
            purpose=purpose,
            approver=cover.grant.approver,
            legal_basis=cover.grant.legal_basis,
            dataset=dataset.id,
        )
    return trace.allow(
        "allow-unconditional",
        grant=grant,
        plan=plan,
        leaves=None,
        dataset=dataset.id,
        level=dataset.level,
        tier=tier.id,
        max_level=tier.max_level,
    )
