"""The hash chain of the audit trail (docs/auditors-guide.md): each record's hash covers the one
before it, ``hash = SHA-256(prev_hash ‖ canonical JSON of the record)``, and a signed checkpoint
covers a record's seq and hash. Pure functions, shared by the trail that appends and the
verification that checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from gateway.core.canonical import canonical_json, sha256_hex

#: The hash the first record of a chain links to.
GENESIS = "0" * 64


def chain_hash(prev_hash: str, body: str) -> str:
    return sha256_hex(prev_hash + body)


def checkpoint_payload(seq: int, digest: str, signed_at: str) -> bytes:
    """What a checkpoint signature covers."""
    return canonical_json({"seq": seq, "hash": digest, "signedAt": signed_at}).encode("utf-8")


def linked(
    records: list[Mapping[str, Any]], head: tuple[int, str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records chained after ``head`` (seq, hash; None for an empty chain): their table rows
    and the stored records (with seq, prevHash and hash)."""
    seq, prev_hash = head if head else (0, GENESIS)
    rows, stored_all = [], []
    for record in records:
        seq += 1
        stored = dict(record) | {"seq": seq, "prevHash": prev_hash}
        body = canonical_json(stored)
        prev_hash = chain_hash(stored["prevHash"], body)
        rows.append(columns(stored, body, prev_hash))
        stored_all.append(stored | {"hash": prev_hash})
    return rows, stored_all


def columns(stored: Mapping[str, Any], body: str, digest: str) -> dict[str, Any]:
    """The row of a record: the canonical body plus the copies auditors search by."""
    return {
        "seq": stored["seq"],
        "exchange_id": stored["exchangeId"],
        "kind": stored.get("kind", "exchange"),
        "recorded_at": dt.datetime.fromisoformat(stored["recordedAt"]),
        "client_id": stored.get("clientId"),
        "dataset": stored.get("dataset"),
        "purpose": stored.get("purpose"),
        "decision": stored["decision"],
        "rule_id": stored.get("ruleId"),
        "http_status": stored["httpStatus"],
        "trace_id": stored.get("traceId"),
        "regions": regions_column(stored),
        "body": body,
        "prev_hash": stored["prevHash"],
        "hash": digest,
    }


def regions_column(stored: Mapping[str, Any]) -> str | None:
    """The leaf regions an auditor finds a record by, as the column holds them (space-delimited
    on both sides, so that a search for one region is one LIKE on the whole code): those the
    request asked for (or that its key belongs to) and those of every node the exchange was
    routed to. A key lookup whose key names no region asks every node, so only the nodes tell
    which regions served it; without them a search by region would answer "nobody saw it"."""
    touched = set(stored.get("regions") or ())
    for source in stored.get("sources") or ():
        touched.update(source.get("regions") or ())
    return f" {' '.join(sorted(touched))} " if touched else None


def checkpoint_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A checkpoint as its table row holds it, in the names of the API."""
    return {
        "seq": int(row["seq"]),
        "hash": row["hash"],
        "signedAt": row["signed_at"],
        "kid": row["kid"],
        "signature": row["signature"],
    }
