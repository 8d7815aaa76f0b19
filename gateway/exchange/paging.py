"""Pages of a federated answer (docs/architecture.md#routing-and-completeness): a page is split
over the nodes still holding records, and its cursor carries each node's own position, bound to
the query and to the client (the encryption is in gateway/exchange/cursors.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway.core.canonical import canonical_json, sha256_hex
from gateway.core.problems import Problem
from gateway.exchange.cursors import CursorCodec
from gateway.exchange.state import SourceResult
from gateway.upstream.routing import Route


def query_hash(
    *,
    client_id: str,
    dataset_id: str,
    filter_: Mapping[str, Any],
    fetch: Sequence[str],
    leaves: frozenset[str] | None,
    key: str | None,
) -> str:
    """What a cursor is bound to: the query and the client it was issued to. Another client
    presenting it gets invalid-cursor, as for a cursor of another query."""
    return sha256_hex(
        canonical_json(
            {
                "a": client_id,
                "d": dataset_id,
                "f": filter_,
                "c": list(fetch),
                "l": sorted(leaves or ()),
                "k": key,
            }
        )
    )


def positions(
    cursors: CursorCodec, cursor: str | None, query_hash: str, routes: Sequence[Route]
) -> dict[str, str | None]:
    """Node → where its records go on (None: its first page) for this page."""
    if cursor is None:
        return {route.node: None for route in routes}
    found = cursors.decode(cursor, query_hash)
    known = {route.node for route in routes}
    if not set(found) <= known:
        raise Problem("invalid-cursor", detail="the cursor names nodes this query does not use")
    return found


def next_cursor(
    cursors: CursorCodec,
    query_hash: str,
    positions: Mapping[str, str | None],
    results: Sequence[SourceResult],
) -> str | None:
    """The cursor of the next page; None when no node holds unread records."""
    remaining: dict[str, str | None] = {}
    for result in results:
        if result.node not in positions:
            continue
        if not result.asked or result.status != "ok":
            # Not asked this page, or failed: its position is unchanged, so the next page
            # asks again rather than silently skipping that node's records.
            remaining[result.node] = positions[result.node]
        elif result.next_cursor is not None:
            remaining[result.node] = result.next_cursor
    return cursors.encode(query_hash, remaining) if remaining else None


def shares(limit: int, count: int) -> list[int]:
    """Split a page over nodes: each gets limit // count, the first ones one more for the rest;
    with fewer records than nodes, the first `limit` nodes get one each."""
    if count == 0:
        return []
    base, extra = divmod(limit, count)
    return [base + (1 if i < extra else 0) for i in range(count)]
