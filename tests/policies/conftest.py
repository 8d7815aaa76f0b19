"""Fixtures for the policies tests: the shipped catalogue and policies, a fixed clock, callers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from catalog import Catalog, load_catalog
from policies import Caller, Policies, load_policies

NOW = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def policies() -> Policies:
    return load_policies()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def caller() -> Callable[..., Caller]:
    """``caller("partner")`` → client ``c-partner`` of that tier with ``data:read``."""

    def make(tier: str, *, client_id: str | None = None, scopes: str = "data:read") -> Caller:
        return Caller(
            client_id=client_id or f"c-{tier}",
            tier=tier,
            scopes=frozenset(scopes.split()),
            region="110108",
        )

    return make
