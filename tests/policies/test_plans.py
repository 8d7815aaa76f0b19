"""Field plans: fetch order, projection to the requested fields, filters that would reveal."""

from __future__ import annotations

import pytest

from policies import FieldPlan


@pytest.fixture
def plan() -> FieldPlan:
    return FieldPlan(
        clear=("creditCode", "name", "regionCode"),
        masked={"legalRepName": "partial", "contactPhone": "partial"},
        dropped=("legalRepId",),
        order=("creditCode", "name", "legalRepName", "legalRepId", "regionCode", "contactPhone"),
    )


def test_fetch_lists_clear_and_masked_fields_in_schema_order(plan: FieldPlan) -> None:
    assert plan.fetch == ("creditCode", "name", "legalRepName", "regionCode", "contactPhone")


def test_fetch_without_order_follows_clear_then_masked() -> None:
    plain = FieldPlan(clear=("a",), masked={"b": "hmac"}, dropped=("c",))
    assert plain.fetch == ("a", "b")


def test_as_meta_is_the_response_fields_member(plan: FieldPlan) -> None:
    assert plan.as_meta() == {
        "clear": ["creditCode", "name", "regionCode"],
        "masked": {"legalRepName": "partial", "contactPhone": "partial"},
        "dropped": ["legalRepId"],
    }


def test_project_narrows_to_the_requested_fields(plan: FieldPlan) -> None:
    narrowed = plan.project(["contactPhone", "creditCode", "legalRepId"])
    assert narrowed.as_meta() == {
        "clear": ["creditCode"],
        "masked": {"contactPhone": "partial"},
        "dropped": ["legalRepId"],
    }
    assert narrowed.fetch == ("creditCode", "contactPhone")


def test_project_without_a_request_keeps_every_field(plan: FieldPlan) -> None:
    assert plan.project(None) is plan


def test_project_names_unknown_fields(plan: FieldPlan) -> None:
    with pytest.raises(ValueError, match="unknown field\\(s\\): salary, ownerId"):
        plan.project(["name", "salary", "ownerId", "salary"])


def test_a_field_is_in_one_part_of_the_plan_only() -> None:
    with pytest.raises(ValueError, match="more than one part of the plan: name"):
        FieldPlan(clear=("name",), masked={"name": "partial"}, dropped=())


def test_plan_masked_mapping_cannot_be_changed_afterwards() -> None:
    methods = {"b": "hmac"}
    plan = FieldPlan(clear=("a",), masked=methods, dropped=())
    methods["a"] = "redact"
    assert dict(plan.masked) == {"b": "hmac"}
    with pytest.raises(TypeError):
        plan.masked["b"] = "partial"  # type: ignore[index]


def test_filters_on_dropped_fields_or_ranges_on_masked_fields_would_reveal(
    plan: FieldPlan,
) -> None:
    assert plan.unsafe_filters({"creditCode": {"eq": "x"}, "legalRepName": {"in": ["张三"]}}) == ()
    assert plan.unsafe_filters({"legalRepId": {"eq": "11010519491231002X"}}) == ("legalRepId",)
    assert plan.unsafe_filters({"legalRepId": "11010519491231002X"}) == ("legalRepId",)
    assert plan.unsafe_filters({"contactPhone": {"prefix": "138"}}) == ("contactPhone",)
    assert plan.unsafe_filters({"legalRepName": {"gte": "张"}, "name": {"prefix": "北京"}}) == (
        "legalRepName",
    )
