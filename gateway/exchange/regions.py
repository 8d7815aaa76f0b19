"""Which leaf regions an exchange asks about (docs/architecture.md#the-exchange-pipeline,
step 5): those requested (explicitly, by the key, or all), narrowed by the grant and by a filter
on the region field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog import Catalog, Dataset
from gateway.core.problems import Problem
from gateway.exchange.request import DataRequest
from gateway.upstream.routing import RoutingTable


def requested_leaves(
    catalog: Catalog, routing: RoutingTable, dataset: Dataset, request: DataRequest
) -> frozenset[str] | None:
    """The leaf regions the request asks for; None: every region."""
    if request.key is not None:
        region = dataset.region_of_key(request.key)
        if region is None:
            return None  # the key says nothing about its region: ask every node
        if not catalog.regions.is_known(region):
            raise Problem(
                "record-not-found",
                detail=f"the key belongs to region {region}, which no node serves",
            )
        return catalog.regions.leaves(region)
    if not request.regions:
        return None
    return routing.expand(request.regions)


def filtered_leaves(
    dataset: Dataset, filter_: Mapping[str, Mapping[str, Any]]
) -> frozenset[str] | None:
    """The regions a filter on the region field allows: nodes holding none of them are not asked
    (records carry leaf region codes)."""
    ops = filter_.get(dataset.region_field)
    if not ops:
        return None
    allowed: frozenset[str] | None = None
    if "eq" in ops:
        allowed = frozenset({str(ops["eq"])})
    if "in" in ops:
        values = frozenset(str(v) for v in ops["in"])
        allowed = values if allowed is None else allowed & values
    return allowed


def intersect(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """Both restrictions at once (None restricts nothing)."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b
