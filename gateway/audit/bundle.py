"""Export bundles of the audit trail (docs/auditors-guide.md): the range an export holds, its
lines (JSONL or CSV: header, public keys, records, checkpoints), and their offline verification."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from gateway.audit.reader import AuditReader
from gateway.audit.trail import AuditTrail
from gateway.audit.verify import Row, VerifyResult, verify_chain

BUNDLE_FORMAT = "jjj-audit-bundle"


def export_range(
    reader: AuditReader,
    trail: AuditTrail,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> tuple[int, int]:
    """The seqs an export of [since, until) holds, its last record covered by a signed
    checkpoint; (n + 1, n) for an empty range, n being the newest seq before it.

    A range ending between checkpoints gets a checkpoint over its last record, signed only
    after the records from there up to a later signed checkpoint (the head's, signed now if
    need be) are checked: the new signature vouches for nothing the chain did not already.
    """
    span = reader.seq_range(since, until)
    if span is None:
        empty_after = reader.last_seq_before(until)
        return empty_after + 1, empty_after
    last = span[1]
    keys = trail.signer.public_keys() if trail.signer is not None else {}
    marks = reader.checkpoints()
    if trail.signer is None or any(m["seq"] == last for m in marks):
        return span
    later = next((m for m in marks if m["seq"] > last), None) or trail.checkpoint()
    if later is None or later["seq"] == last:
        return span
    bridge = verify_chain(
        reader.rows(last, later["seq"]),
        [later],
        keys,
        start_seq=last,
        start_hash=reader.anchor_of(last),
        end_seq=later["seq"],
        require_anchored_head=True,
    )
    if bridge.valid:  # otherwise the bundle stays unanchored, and its verification says so
        trail.checkpoint_at(last)
    return span


def bundle_lines(
    reader: AuditReader,
    keys: Iterable[Mapping[str, Any]],
    *,
    first: int,
    last: int,
    issuer: str,
    fmt: str,
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """An export: header, public keys, the records from first to last, and the checkpoints
    that fall in the range (or anchor its start)."""
    header = {
        "type": "header",
        "format": BUNDLE_FORMAT,
        "version": 1,
        "generatedAt": dt.datetime.now(dt.UTC).isoformat(),
        "issuer": issuer,
        "fromSeq": first,
        "toSeq": last,
        "anchor": reader.anchor_of(first),
    }
    marks = [m for m in reader.checkpoints() if first - 1 <= m["seq"] <= last]
    entries: Iterator[dict[str, Any]] = _entries(header, keys, reader, first, last, marks, progress)
    if fmt == "jsonl":
        for entry in entries:
            yield json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        return
    yield _csv_line(["type", "seq", "prev_hash", "hash", "body", "kid", "signed_at", "signature"])
    for entry in entries:
        kind = entry["type"]
        if kind == "record":
            yield _csv_line(
                [
                    "record",
                    entry["seq"],
                    entry["prevHash"],
                    entry["hash"],
                    entry["body"],
                    "",
                    "",
                    "",
                ]
            )
        elif kind == "checkpoint":
            yield _csv_line(
                [
                    "checkpoint",
                    entry["seq"],
                    "",
                    entry["hash"],
                    "",
                    entry["kid"],
                    entry["signedAt"],
                    entry["signature"],
                ]
            )
        else:
            yield _csv_line([kind, "", "", "", json.dumps(entry, ensure_ascii=False), "", "", ""])


def _entries(
    header: dict[str, Any],
    keys: Iterable[Mapping[str, Any]],
    reader: AuditReader,
    first: int,
    last: int,
    marks: list[dict[str, Any]],
    progress: Callable[[int], None] | None,
) -> Iterator[dict[str, Any]]:
    yield header
    for key in keys:
        yield {"type": "key", "jwk": dict(key)}
    for done, row in enumerate(reader.rows(first, last), 1):
        if progress is not None:
            progress(done)
        yield {
            "type": "record",
            "seq": row.seq,
            "prevHash": row.prev_hash,
            "hash": row.hash,
            "body": row.body,
        }
    for mark in marks:
        yield {"type": "checkpoint"} | mark


def _csv_line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


def read_bundle(
    text: str,
) -> tuple[dict[str, Any], list[Row], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """(header, records, checkpoints, keys) of a JSONL or CSV bundle; ValueError, naming the
    line, if malformed."""
    parse: Callable[[Any], dict[str, Any]]
    if text.startswith("type,"):
        lines: Iterable[tuple[int, Any]] = enumerate(csv.DictReader(io.StringIO(text)), 2)
        parse = _csv_entry
    else:
        lines = ((n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip())
        parse = _jsonl_entry
    header: dict[str, Any] | None = None
    rows: list[Row] = []
    marks: list[dict[str, Any]] = []
    keys: dict[str, dict[str, Any]] = {}
    for number, line in lines:
        try:
            entry = parse(line)
            kind = entry.get("type")
            if header is None:
                if kind != "header" or entry.get("format") != BUNDLE_FORMAT:
                    raise ValueError("not an audit bundle of this gateway (no header line)")
                header = _header(entry)
            elif kind == "record":
                rows.append(
                    Row(
                        _seq(entry["seq"]),
                        _text(entry["prevHash"]),
                        _text(entry["hash"]),
                        _text(entry["body"]),
                        {},
                    )
                )
            elif kind == "checkpoint":
                marks.append(
                    {
                        "seq": _seq(entry["seq"]),
                        **{k: _text(entry[k]) for k in ("hash", "kid", "signedAt", "signature")},
                    }
                )
            elif kind == "key":
                jwk = entry["jwk"]
                if not isinstance(jwk, dict):
                    raise ValueError("a key entry holds a JWK object")
                keys[_text(jwk["kid"])] = dict(jwk)
        except KeyError as exc:
            raise ValueError(f"line {number}: the entry has no {exc.args[0]!r}") from None
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"line {number}: {exc}") from None
    if header is None:
        raise ValueError("not an audit bundle of this gateway (no header line)")
    return header, rows, marks, keys


def _jsonl_entry(line: str) -> dict[str, Any]:
    entry = json.loads(line)
    if not isinstance(entry, dict):
        raise ValueError("not a bundle entry (a JSON object)")
    return entry


def _csv_entry(values: dict[str, Any]) -> dict[str, Any]:
    kind = values.get("type")
    if kind == "record":
        return {
            "type": "record",
            "seq": values["seq"],
            "prevHash": values["prev_hash"],
            "hash": values["hash"],
            "body": values["body"],
        }
    if kind == "checkpoint":
        return {
            "type": "checkpoint",
            "seq": values["seq"],
            "hash": values["hash"],
            "kid": values["kid"],
            "signedAt": values["signed_at"],
            "signature": values["signature"],
        }
    return _jsonl_entry(values["body"] or "")


def _seq(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"seq {value!r} is not a whole number")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"seq {value!r} is not a whole number") from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    return value


def _header(entry: dict[str, Any]) -> dict[str, Any]:
    """The header, with the range it claims checked for shape: fromSeq ≥ 1, toSeq ≥ fromSeq - 1
    (an empty range), an anchor hash."""
    first, last = _seq(entry["fromSeq"]), _seq(entry["toSeq"])
    anchor = _text(entry["anchor"])
    if first < 1 or last < first - 1:
        raise ValueError(f"the header's range {first}..{last} is not a range of seqs")
    if len(anchor) != 64:
        raise ValueError("the header's anchor is not a SHA-256 hash")
    return entry | {"fromSeq": first, "toSeq": last}


def verify_bundle(
    text: str,
    pinned: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[VerifyResult, dict[str, Any]]:
    """Offline verification of an export; ``pinned`` keys replace the bundle's own.

    A bundle is valid only when its records run exactly from the header's ``fromSeq`` to its
    ``toSeq`` and a signed checkpoint covers the last of them: a cut tail, or a rewritten
    record with every later hash recomputed and the checkpoints dropped, is not."""
    header, rows, marks, keys = read_bundle(text)
    result = verify_chain(
        rows,
        marks,
        pinned or keys,
        start_seq=header["fromSeq"],
        start_hash=str(header["anchor"]),
        end_seq=header["toSeq"],
        require_anchored_head=True,
        progress=progress,
    )
    return result, header
