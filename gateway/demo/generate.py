"""The demo data: deterministic synthetic registers written where each node's adapter reads them.

Every record is generated once for its leaf region and written to the node that owns that region
for the dataset (the routing table's most specific node), in that node's local field names — so the
demo exercises federation exactly as production data would. The same seed gives byte-identical
files: each dataset and province draws from its own ``random.Random``, nothing depends on the clock,
on hash order or on the global random state.
"""

from __future__ import annotations

import logging
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.nodes import NodeConfig
from catalog import Catalog
from gateway.demo.air_quality import LAST_HOUR, generate_observations
from gateway.demo.market_entities import MarketEntity, generate_entities
from gateway.demo.medical import generate_institutions
from gateway.demo.patents import generate_patents
from gateway.demo.people import PersonFactory
from gateway.demo.places import Place, provinces_places
from gateway.demo.procurement import generate_awards
from gateway.demo.real_estate import generate_units
from gateway.demo.social_insurance import generate_enrolments
from gateway.demo.tax_credit import generate_ratings
from gateway.demo.writers import Batch, file_source, table_source, write_jsonl, write_tables
from gateway.upstream.routing import RoutingTable

log = logging.getLogger(__name__)

#: Records per province at scale 1.0.
SIZES = {
    "market-entity-registration": 2400,
    "social-insurance-payment": 1500,
    "real-estate-registration": 800,
    "patent-grants": 400,
    "government-procurement": 400,
    "medical-institutions": 60,
}
#: Hours of air-quality observations per station at scale 1.0, ending 2026-11-28T23:00+08:00.
HOURS = 72
FIRST_STATION = 1001
#: Changes whenever the same seed would give different data, so stored demo data is regenerated.
GENERATOR_VERSION = 1
#: What one record of a dataset is called in the sample names (``haidian_entity``).
SAMPLE_NOUNS = {
    "market-entity-registration": "entity",
    "tax-credit-rating": "tax_rating",
    "social-insurance-payment": "insured_person",
    "real-estate-registration": "property",
    "patent-grants": "patent",
    "government-procurement": "award",
    "air-quality-hourly": "observation",
    "medical-institutions": "medical_institution",
}

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class GenerationReport:
    """What a generation wrote: records per (node, dataset), timing and handy sample keys.

    ``samples`` names the key of one record per node and dataset: ``<node>_<noun>``, the node
    by the last part of its id — ``haidian_entity`` (a USCC the beijing-haidian node serves),
    ``tianjin_entity``, ``xiongan_entity``, ``hebei_insured_person`` (a resident ID),
    ``haidian_property`` (a unit number), ``beijing_observation`` … Samples are chosen to show
    well: the entity is active, rated for tax and holds patents; the property's holder is insured.
    """

    data_dir: Path
    seed: int
    scale: float
    counts: Mapping[tuple[str, str], int]
    total: int
    seconds: float
    samples: Mapping[str, str]


def dataset_rng(seed: int, dataset: str, province: str) -> random.Random:
    """The random stream of one dataset in one province (string seeds hash with SHA-512)."""
    return random.Random(f"{seed}/{dataset}/{province}")  # noqa: S311 — reproducible demo data


def generate(
    data_dir: Path,
    nodes: Mapping[str, NodeConfig],
    catalog: Catalog,
    *,
    seed: int = 2026,
    scale: float = 1.0,
) -> GenerationReport:
    """Generate the demo data into ``data_dir``, replacing what was there only once complete."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    started = time.perf_counter()
    routing = RoutingTable.build(catalog, nodes)
    served = {
        catalog.regions.province_of(leaf)
        for dataset in catalog.datasets
        for leaf in routing.served_regions(dataset)
    }
    places = provinces_places(catalog.regions, sorted(p for p in served if p is not None))
    records, preferred = build_records(places, seed, scale)
    routed = route(records, routing)
    batches = {
        (node_id, dataset_id): Batch(
            dataset, node.datasets[dataset_id], routed.get((node_id, dataset_id), [])
        )
        for node_id, node in sorted(nodes.items())
        if node.kind in ("file", "sql")
        for dataset_id in sorted(node.datasets)
        if (dataset := catalog.get(dataset_id)) is not None
    }
    data_dir = Path(data_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.", dir=_parent(data_dir)))
    try:
        write_batches(staging, nodes, batches)
        _replace(staging, data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    counts = {key: len(batch.records) for key, batch in batches.items()}
    report = GenerationReport(
        data_dir=data_dir,
        seed=seed,
        scale=scale,
        counts=counts,
        total=sum(counts.values()),
        seconds=time.perf_counter() - started,
        samples=pick_samples(batches, preferred),
    )
    log.info("generated %d demo records in %.2f s into %s", report.total, report.seconds, data_dir)
    return report


def build_records(
    places: Mapping[str, tuple[Place, ...]], seed: int, scale: float
) -> tuple[dict[str, list[Record]], dict[str, Callable[[Record], bool]]]:
    """Every dataset's records in catalogue field names, and what makes a record a good sample."""
    provinces = sorted(places)

    def size(dataset: str) -> int:
        return max(1, round(SIZES[dataset] * scale))

    def persons(rng: random.Random, province: str, used: set[str] | None = None) -> PersonFactory:
        others = [p.code for other in provinces if other != province for p in places[other]]
        return PersonFactory(rng, province, [p.code for p in places[province]], others, used)

    generated = (*SIZES, "tax-credit-rating", "air-quality-hourly")
    records: dict[str, list[Record]] = {dataset: [] for dataset in generated}
    entities: dict[str, list[MarketEntity]] = {}
    for province in provinces:
        rng = dataset_rng(seed, "market-entity-registration", province)
        entities[province] = generate_entities(
            rng, places[province], size("market-entity-registration"), persons(rng, province)
        )
        records["market-entity-registration"] += [e.record for e in entities[province]]

    insured_ids: set[str] = set()
    patent_numbers: set[str] = set()
    medical_codes: set[str] = set()
    station = FIRST_STATION
    hours = max(1, round(HOURS * scale))
    for province in provinces:
        here = places[province]
        rng = dataset_rng(seed, "tax-credit-rating", province)
        records["tax-credit-rating"] += generate_ratings(rng, entities[province])

        rng = dataset_rng(seed, "social-insurance-payment", province)
        insurable = persons(rng, province, insured_ids)
        enrolments, insured = generate_enrolments(
            rng, insurable, entities[province], size("social-insurance-payment")
        )
        records["social-insurance-payment"] += enrolments

        rng = dataset_rng(seed, "real-estate-registration", province)
        records["real-estate-registration"] += generate_units(
            rng, here, size("real-estate-registration"), persons(rng, province), insured
        )

        rng = dataset_rng(seed, "patent-grants", province)
        records["patent-grants"] += generate_patents(
            rng, entities[province], size("patent-grants"), patent_numbers
        )

        rng = dataset_rng(seed, "government-procurement", province)
        elsewhere = [e for other in provinces if other != province for e in entities[other]]
        records["government-procurement"] += generate_awards(
            rng, here, size("government-procurement"), entities[province], elsewhere
        )

        rng = dataset_rng(seed, "air-quality-hourly", province)
        observations, station = generate_observations(rng, here, hours, station)
        records["air-quality-hourly"] += observations

        rng = dataset_rng(seed, "medical-institutions", province)
        records["medical-institutions"] += generate_institutions(
            rng, here, size("medical-institutions"), medical_codes
        )

    rated = {r["creditCode"] for r in records["tax-credit-rating"]}
    patentees = {r["patenteeCreditCode"] for r in records["patent-grants"]}
    preferred: dict[str, Callable[[Record], bool]] = {
        "market-entity-registration": lambda r: (
            r["status"] == "存续"
            and r["entityType"] == "有限责任公司"
            and r["creditCode"] in rated
            and r["creditCode"] in patentees
        ),
        "tax-credit-rating": lambda r: r["rating"] == "A",
        "social-insurance-payment": lambda r: r["status"] == "正常参保",
        "real-estate-registration": lambda r: r["ownerId"] in insured_ids,
        "patent-grants": lambda r: r["patentType"] == "发明",
        "medical-institutions": lambda r: r["grade"] == "三级甲等",
        "air-quality-hourly": lambda r: r["observedAt"] == LAST_HOUR.isoformat(),
    }
    return records, preferred


def route(
    records: Mapping[str, list[Record]], routing: RoutingTable
) -> dict[tuple[str, str], list[Record]]:
    """Each record to the node owning its region for its dataset; unserved regions get nothing."""
    routed: dict[tuple[str, str], list[Record]] = {}
    for dataset, dataset_records in records.items():
        for record in dataset_records:
            node = routing.node_for(dataset, record["regionCode"])
            if node is not None:
                routed.setdefault((node, dataset), []).append(record)
    return routed


def write_batches(
    root: Path, nodes: Mapping[str, NodeConfig], batches: Mapping[tuple[str, str], Batch]
) -> None:
    """Write each file node's JSONL files and each SQL node's tables under ``root``."""
    tables: dict[str, dict[str, Batch]] = {}
    for (node_id, dataset_id), batch in batches.items():
        node = nodes[node_id]
        if node.kind == "file":
            write_jsonl(root / str(node.adapter["path"]) / file_source(node, dataset_id), batch)
        else:
            # "{data}" in a SQL node's URL stands for the demo data directory.
            url = str(node.adapter["url"]).replace("{data}", str(root))
            tables.setdefault(url, {})[table_source(node, dataset_id)] = batch
    for url, url_tables in tables.items():
        write_tables(url, url_tables)


def sample_name(node_id: str, dataset_id: str, node_ids: Collection[str]) -> str:
    """``haidian_entity``: the node by the last part of its id (all of it if that is ambiguous)."""
    alias = node_id.rsplit("-", 1)[-1]
    if sum(1 for other in node_ids if other.rsplit("-", 1)[-1] == alias) > 1:
        alias = node_id
    noun = SAMPLE_NOUNS.get(dataset_id, dataset_id)
    return f"{alias}_{noun}".replace("-", "_")


def pick_samples(
    batches: Mapping[tuple[str, str], Batch], preferred: Mapping[str, Callable[[Record], bool]]
) -> dict[str, str]:
    """One key per (node, dataset), preferring records that make a good demonstration."""
    node_ids = {node_id for node_id, _ in batches}
    samples: dict[str, str] = {}
    for (node_id, dataset_id), batch in sorted(batches.items()):
        if not batch.records:
            continue
        good = preferred.get(dataset_id, lambda _: True)
        chosen = next((r for r in batch.records if good(r)), batch.records[0])
        name = sample_name(node_id, dataset_id, node_ids)
        samples[name] = str(chosen[batch.dataset.key_field])
    return samples


def _parent(data_dir: Path) -> Path:
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    return data_dir.parent


def _replace(staging: Path, data_dir: Path) -> None:
    """Swap the finished staging directory in; the previous data is removed only afterwards."""
    staging.chmod(0o755)
    if not data_dir.exists():
        staging.rename(data_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.old.", dir=data_dir.parent))
    data_dir.rename(retired / data_dir.name)
    try:
        staging.rename(data_dir)
    except BaseException:
        (retired / data_dir.name).rename(data_dir)
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)
