"""Micro-benchmark of the record pipeline (validate + mask) in records/s on one core.

Real demo records of two datasets go through what the gateway does to every record a node
returns (``gateway.exchange.record_checks``): the record schema check of the fetched projection
(``Dataset.record_errors``), the region check, and the masker compiled for the caller's plan
(``policies.compile_masker``) — for a government-tier caller, whose profile masks resident IDs
with an HMAC pseudonym, names and phones partially and addresses to the district.

The raw validators are timed on the same projected schema with the catalogue's formats:
``jsonschema`` (what the gateway uses) and, when installed, ``fastjsonschema`` and
``jsonschema-rs`` for comparison; each must accept the demo records and reject a record whose
identifier has a wrong check character.

    python -m bench.pipeline [--records 300000] [--seconds 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from adapters import QueryRequest, build_adapter, load_nodes
from catalog import Dataset
from catalog.formats import FORMAT_CHECKER, KNOWN_FORMATS, format_problem
from catalog.validation import RecordValidator
from gateway.core.settings import load_settings
from gateway.demo import generate
from gateway.services import Configuration, load_configuration
from policies import Caller, FieldPlan, Grant, compile_masker, decide, derive_pseudonym_key

#: Dataset → (purpose, whether a grant is needed): the two datasets of the benchmark.
DATASETS = {
    "market-entity-registration": ("credit-check", False),
    "social-insurance-payment": ("social-insurance-transfer", True),
}
TIER = "government"
CLIENT = "bench-pipeline"
#: Most records taken from the demo data per dataset (cycled through while timing).
SAMPLE_SIZE = 5000
TARGET_RECORDS_PER_SECOND = 200_000


@dataclass(frozen=True, slots=True)
class Timing:
    name: str
    records: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "records": self.records,
            "seconds": round(self.seconds, 3),
            "recordsPerSecond": round(self.per_second),
        }


def pin_to_one_core() -> int | None:
    """Run on one CPU (the first this process may use); None where affinity is not supported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def time_per_record(
    name: str,
    records: list[dict[str, Any]],
    step: Callable[[dict[str, Any]], object],
    *,
    total: int,
    seconds: float,
) -> Timing:
    """Run ``step`` over ``records`` (cycled) until ``total`` records or ``seconds`` have passed."""
    for record in records[:200]:  # warm caches (compiled projections, regexes)
        step(record)
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while done < total:
        for record in records:
            step(record)
        done += len(records)
        if time.perf_counter() > deadline:
            break
    return Timing(name, done, time.perf_counter() - started)


def _plan(config: Configuration, dataset: Dataset, purpose: str, needs_grant: bool) -> FieldPlan:
    now = dt.datetime.now(dt.UTC)
    grants = []
    if needs_grant:
        grants.append(
            Grant(
                id="bench-grant",
                client_id=CLIENT,
                dataset=dataset.id,
                purpose=purpose,
                fields=None,
                regions=None,
                valid_from=now - dt.timedelta(days=1),
                valid_until=None,
                approver="benchmark",
                legal_basis="benchmark",
            )
        )
    decision = decide(
        dataset,
        Caller(client_id=CLIENT, tier=TIER, scopes=frozenset({"data:read"}), region="110000"),
        purpose,
        grants,
        policies=config.policies,
        now=now,
        region_leaves=config.catalog.regions.leaves,
    )
    if not decision.allowed or decision.plan is None:
        raise RuntimeError(f"{dataset.id}: the policies deny the benchmark caller: {decision}")
    return decision.plan


def _records(
    config: Configuration, data_dir: Path, dataset: Dataset, fetch: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Demo records of the dataset as the nodes return them (catalogue names, fetched fields)."""
    found: list[dict[str, Any]] = []
    for node in config.nodes.values():
        if dataset.id not in node.datasets or node.kind == "http":
            continue
        adapter = build_adapter(node, data_dir=data_dir)
        try:
            cursor = None
            while len(found) < SAMPLE_SIZE:
                page = adapter.query(
                    QueryRequest(dataset=dataset.id, fields=fetch, limit=1000, cursor=cursor)
                )
                found.extend(dict(r) for r in page.records)
                cursor = page.next_cursor
                if cursor is None:
                    break
        finally:
            adapter.close()
    return found[:SAMPLE_SIZE]


def _tampered(dataset: Dataset, record: dict[str, Any]) -> dict[str, Any]:
    """The record with a wrong check character in its key (a USCC or a resident ID)."""
    broken = dict(record)
    key = str(broken[dataset.key_field])
    broken[dataset.key_field] = key[:-1] + ("1" if key[-1] != "1" else "2")
    return broken


def _format_check(name: str) -> Callable[[object], bool]:
    """The catalogue's check of one format as a predicate (what other validators call)."""

    def check(value: object) -> bool:
        return format_problem(name, value) is None

    return check


def _raw_validators(schema: dict[str, Any]) -> dict[str, Callable[[dict[str, Any]], bool]]:
    """``is_valid`` of each installed validator for the schema, formats asserted."""
    checks = {name: _format_check(name) for name in KNOWN_FORMATS}
    found: dict[str, Callable[[dict[str, Any]], bool]] = {}
    formatted = jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    found["jsonschema (2020-12, formats)"] = formatted.is_valid
    plain = jsonschema.Draft202012Validator(schema)
    found["jsonschema (2020-12, no formats)"] = plain.is_valid
    try:
        import fastjsonschema
    except ImportError:
        pass
    else:
        # fastjsonschema knows drafts 4, 6 and 7; these record schemas use nothing newer.
        draft7 = {k: v for k, v in schema.items() if k != "$schema"}
        compiled = fastjsonschema.compile(draft7, formats=checks)

        def fast_valid(record: dict[str, Any], validate: Any = compiled) -> bool:
            try:
                validate(record)
            except fastjsonschema.JsonSchemaException:
                return False
            return True

        found["fastjsonschema (draft 7, formats)"] = fast_valid
    try:
        import jsonschema_rs
    except ImportError:
        pass
    else:
        rs = jsonschema_rs.Draft202012Validator(schema, formats=checks, validate_formats=True)
        found["jsonschema-rs (2020-12, formats)"] = rs.is_valid
        rs_plain = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
        found["jsonschema-rs (2020-12, no formats)"] = rs_plain.is_valid
    return found


def benchmark_dataset(
    config: Configuration, data_dir: Path, dataset_id: str, *, total: int, seconds: float
) -> dict[str, Any]:
    dataset = config.catalog.datasets[dataset_id]
    purpose, needs_grant = DATASETS[dataset_id]
    plan = _plan(config, dataset, purpose, needs_grant)
    # As the gateway asks a node: the plan's fields plus the region field.
    fetch = tuple(dict.fromkeys((*plan.fetch, dataset.region_field)))
    fetched = frozenset(fetch)
    records = _records(config, data_dir, dataset, fetch)
    if not records:
        raise RuntimeError(f"no demo records of {dataset_id}")
    regions = frozenset(r[dataset.region_field] for r in records)
    masker = compile_masker(plan, dataset, pseudonym_key=derive_pseudonym_key(b"b" * 32, CLIENT))
    broken = [
        dataset.record_errors(r, fetched) for r in records if dataset.record_errors(r, fetched)
    ]
    if broken:
        raise RuntimeError(f"{dataset_id}: demo records fail validation: {broken[0]}")

    def pipeline(record: dict[str, Any]) -> object:
        if (
            dataset.record_errors(record, fetched)
            or record.get(dataset.region_field) not in regions
        ):
            raise AssertionError("a demo record was refused")
        return masker(record)

    timings = [
        time_per_record(
            "pipeline: validate + mask", records, pipeline, total=total, seconds=seconds
        ),
        time_per_record(
            "validate only (record_errors)",
            records,
            lambda r: dataset.record_errors(r, fetched),
            total=total,
            seconds=seconds,
        ),
        time_per_record(
            "mask only (compiled masker)", records, masker, total=total, seconds=seconds
        ),
    ]
    schema = dict(RecordValidator(dataset.record_schema).validator_for(fetch).schema)
    tampered = _tampered(dataset, records[0])
    raw = []
    for name, is_valid in _raw_validators(schema).items():
        accepts = all(is_valid(r) for r in records)
        rejects_bad_check_character = not is_valid(tampered)
        timing = time_per_record(name, records, is_valid, total=total, seconds=seconds / 2)
        raw.append(
            timing.as_json()
            | {
                "acceptsDemoRecords": accepts,
                "rejectsBadCheckCharacter": rejects_bad_check_character,
            }
        )
    return {
        "dataset": dataset_id,
        "purpose": purpose,
        "tier": TIER,
        "fields": len(fetch),
        "masked": dict(plan.masked),
        "sampleRecords": len(records),
        "pipeline": [t.as_json() for t in timings],
        "rawValidators": raw,
    }


def run(
    *, total: int, seconds: float, data_dir: Path | None = None, datasets: Iterable[str] = DATASETS
) -> dict[str, Any]:
    cpu = pin_to_one_core()
    with tempfile.TemporaryDirectory(prefix="jjj-pipeline-") as scratch:
        settings = load_settings(
            {"instance_path": Path(scratch) / "instance", "data_dir": data_dir or Path(scratch)},
            environ={},
        )
        config = load_configuration(settings)
        if data_dir is None:
            data_dir = Path(scratch) / "data"
            generate(data_dir, load_nodes(), config.catalog, seed=2026)
        results = [
            benchmark_dataset(config, data_dir, d, total=total, seconds=seconds) for d in datasets
        ]
    return {"cpu": cpu, "python": sys.version.split()[0], "datasets": results}


def render(result: dict[str, Any]) -> str:
    lines = [
        f"Record pipeline on one core (cpu {result['cpu']}), Python {result['python']}; "
        f"target ≥ {TARGET_RECORDS_PER_SECOND:,} records/s",
        "",
        "| dataset | step | records/s | target |",
        "|---|---|---:|:---:|",
    ]
    for dataset in result["datasets"]:
        for timing in dataset["pipeline"]:
            mark = ""
            if timing["name"].startswith("pipeline"):
                ok = timing["recordsPerSecond"] >= TARGET_RECORDS_PER_SECOND
                mark = "✓" if ok else "✗"
            lines.append(
                f"| {dataset['dataset']} ({dataset['fields']} fields) | {timing['name']} | "
                f"{timing['recordsPerSecond']:,} | {mark} |"
            )
        for timing in dataset["rawValidators"]:
            correct = timing["acceptsDemoRecords"] and timing["rejectsBadCheckCharacter"]
            lines.append(
                f"| {dataset['dataset']} | raw {timing['name']}"
                f"{'' if correct else ' — DISAGREES with the catalogue formats'} | "
                f"{timing['recordsPerSecond']:,} | |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pipeline", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--records", type=int, default=300_000, help="records per measurement")
    parser.add_argument(
        "--seconds", type=float, default=15.0, help="time limit per measurement (s)"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="demo data to read")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args(argv)
    result = run(total=args.records, seconds=args.seconds, data_dir=args.data_dir)
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
