"""Tiered use (分级使用): tiers, purposes, masking profiles and trusted issuers, the decision engine
that applies them to a request, and the masking of the records it returns."""

from __future__ import annotations

from policies.callers import DATA_READ, Caller
from policies.decision import Decision, Step, decide, plan_fields
from policies.documents import (
    Policies,
    PolicyError,
    PolicyIssue,
    Purpose,
    Tier,
    TrustedIssuer,
    default_directory,
    load_policies,
)
from policies.grants import Grant
from policies.masking import (
    METHODS,
    SENSITIVITIES,
    compile_masker,
    derive_pseudonym_key,
    mask_record,
    mask_value,
)
from policies.plans import FieldPlan
from policies.rules import RULES, Rule

__all__ = [
    "DATA_READ",
    "METHODS",
    "RULES",
    "SENSITIVITIES",
    "Caller",
    "Decision",
    "FieldPlan",
    "Grant",
    "Policies",
    "PolicyError",
    "PolicyIssue",
    "Purpose",
    "Rule",
    "Step",
    "Tier",
    "TrustedIssuer",
    "compile_masker",
    "decide",
    "default_directory",
    "derive_pseudonym_key",
    "load_policies",
    "mask_record",
    "mask_value",
    "plan_fields",
]
