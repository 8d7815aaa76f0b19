"""The records check (docs/architecture.md#the-exchange-pipeline, step 6): a node's page is
passed on only if every record conforms to the record schema, lies in the node's regions and
matches the filter; otherwise none of it is (the node lied or is broken)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from adapters.filters import matches
from adapters.request_checks import MAX_CURSOR_LENGTH as MAX_NODE_CURSOR_LENGTH
from catalog import Dataset
from gateway.exchange.state import SourceResult

log = logging.getLogger(__name__)


def check_page(
    dataset: Dataset,
    result: SourceResult,
    fetch: frozenset[str],
    filter_: Mapping[str, Mapping[str, Any]],
    limit: int,
) -> None:
    """Mark the node's page ``invalid-data``, with none of its records, unless it passes."""
    reason = _fault(dataset, result, fetch, filter_, limit)
    if reason:
        log.warning("node %s returned invalid data for %s: %s", result.node, dataset.id, reason)
        result.status, result.records, result.next_cursor = "invalid-data", (), None


def _fault(
    dataset: Dataset,
    result: SourceResult,
    fetch: frozenset[str],
    filter_: Mapping[str, Mapping[str, Any]],
    limit: int,
) -> str | None:
    """What is wrong with the page, if anything."""
    if result.next_cursor is not None and len(result.next_cursor) > MAX_NODE_CURSOR_LENGTH:
        # The gateway carries a node's cursor to the next page: one longer than the protocol
        # allows could not be sent back, and the node's remaining records would be lost.
        return f"a next cursor longer than {MAX_NODE_CURSOR_LENGTH} characters"
    if len(result.records) > limit:
        return "more records than asked for"
    regions = frozenset(result.regions)
    for record in result.records:
        if not isinstance(record, dict) or dataset.record_errors(record, fetch):
            return "a record does not conform to the record schema"
        if record.get(dataset.region_field) not in regions:
            return "a record lies outside the regions the node was asked about"
        if not matches(record, filter_):
            return "a record does not match the filter"
    return None
