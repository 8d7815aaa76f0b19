"""Grants: which dataset and purpose they cover, and when they are active."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from catalog import Catalog
from policies import Grant
from tests.policies.conftest import NOW


def grant(**changes: object) -> Grant:
    base = Grant(
        id="g-1",
        client_id="c-government",
        dataset="social-insurance-payment",
        purpose="social-insurance-transfer",
        fields=None,
        regions=None,
        valid_from=NOW - timedelta(days=30),
        valid_until=NOW + timedelta(days=30),
        approver="北京市人力资源和社会保障局",
        legal_basis="《社会保险法》第十九条",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_grant_applies_to_its_dataset_and_purpose_within_its_window(catalog: Catalog) -> None:
    dataset = catalog.datasets["social-insurance-payment"]
    assert grant().applies(dataset, "social-insurance-transfer", NOW)
    assert grant().applies("social-insurance-payment", "social-insurance-transfer", NOW)


def test_grant_does_not_apply_to_another_dataset_or_purpose() -> None:
    assert not grant().applies("real-estate-registration", "social-insurance-transfer", NOW)
    assert not grant().applies("social-insurance-payment", "talent-mobility", NOW)


def test_grant_is_active_from_valid_from_until_before_valid_until() -> None:
    g = grant()
    assert g.state(g.valid_from) == "active"
    assert g.state(g.valid_from - timedelta(seconds=1)) == "pending"
    assert g.valid_until is not None
    assert g.state(g.valid_until - timedelta(seconds=1)) == "active"
    assert g.state(g.valid_until) == "expired"
    assert not g.applies(g.dataset, g.purpose, g.valid_until)


def test_grant_without_end_stays_active() -> None:
    assert grant(valid_until=None).state(NOW + timedelta(days=3650)) == "active"


def test_revoked_grant_no_longer_applies() -> None:
    revoked = grant(revoked_at=NOW - timedelta(minutes=1))
    assert revoked.state(NOW) == "revoked"
    assert not revoked.applies(revoked.dataset, revoked.purpose, NOW)
    assert revoked.state(NOW - timedelta(minutes=2)) == "active"


def test_grant_times_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="valid_from must be a timezone-aware datetime"):
        grant(valid_from=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="now must be a timezone-aware datetime"):
        grant().state(datetime(2026, 1, 1))


def test_grant_window_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="valid_until must be later than valid_from"):
        grant(valid_until=NOW - timedelta(days=30))


def test_grant_field_and_region_lists_are_sets_and_never_empty() -> None:
    g = grant(fields=["name", "residentId", "name"], regions=("110108",))
    assert g.fields == frozenset({"name", "residentId"})
    assert g.regions == frozenset({"110108"})
    with pytest.raises(ValueError, match="fields must name at least one entry"):
        grant(fields=[])
    with pytest.raises(ValueError, match="regions must be a collection"):
        grant(regions="110108")


def test_grant_leaves_are_the_leaves_of_its_regions(catalog: Catalog) -> None:
    leaves = catalog.regions.leaves
    assert grant().leaves(leaves) is None
    assert grant(regions=frozenset({"xiongan", "110108"})).leaves(leaves) == {
        "110108",
        "130629",
        "130632",
        "130638",
    }
