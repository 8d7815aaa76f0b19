"""A platform-scale catalogue (3,158 datasets over the 256 categories) written for the benchmark.

python -m bench.platform_catalog OUT_DIR [--datasets 3158] [--seed 2026]

OUT_DIR gets the layout ``GATEWAY_CATALOG_DIR`` names: ``datasets/`` holding the shipped entries
as they are (the node configurations name them) and generated ones up to the count, beside the
shipped ``regions.yaml`` and ``categories.yaml``. A generated entry is a copy of a shipped one (its
record and query schemas, key and region fields) with a new id, title, description, keywords,
themes, category, provider, region and dates; every category gets a dataset once the count
allows. The same seed gives the same files. It is generated, never committed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from catalog import Category, RegionRegistry, Taxonomy, load_categories, load_regions
from catalog.categories import default_categories_file
from catalog.issues import parse_yaml
from catalog.loader import default_datasets_directory
from catalog.regions import default_regions_file

#: How many datasets Beijing's public data platform publishes.
PLATFORM_DATASETS = 3158
DEFAULT_SEED = 2026
# The parts of an entry a copy keeps from its shipped original: what its records look like and
# how they are asked for, so that every copy is as valid as the entry it copies.
_KEPT = (
    "shareType",
    "level",
    "updateFrequency",
    "license",
    "keyField",
    "regionField",
    "regionFromKey",
    "recordSchema",
    "querySchema",
)
_SAFE_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_FIRST_ISSUED = dt.date(2015, 1, 1)
_LAST_MODIFIED = dt.date(2026, 11, 30)


@dataclass(frozen=True, slots=True)
class Department:
    """A provider of generated datasets: id, names, and the theme its datasets carry."""

    id: str
    zh: str
    en: str
    theme: str


def _departments(*rows: tuple[str, str, str]) -> tuple[tuple[str, str, str], ...]:
    return rows


# The departments that publish each domain's data, as on the municipal platforms.
_DEPARTMENTS: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "economy": (
        "economy",
        _departments(
            ("development-reform", "发展和改革委员会", "Development and Reform Commission"),
            ("commerce", "商务局", "Commerce Bureau"),
            ("statistics", "统计局", "Statistics Bureau"),
        ),
    ),
    "market-supervision": (
        "enterprise",
        _departments(
            ("market-regulation", "市场监督管理局", "Administration for Market Regulation")
        ),
    ),
    "credit": (
        "credit",
        _departments(
            ("social-credit-office", "社会信用体系建设办公室", "Social Credit System Office"),
        ),
    ),
    "finance-tax": (
        "finance",
        _departments(
            ("finance", "财政局", "Finance Bureau"),
            ("taxation", "税务局", "Tax Bureau"),
            ("financial-regulation", "地方金融管理局", "Local Financial Regulatory Bureau"),
        ),
    ),
    "employment-social-security": (
        "social-security",
        _departments(
            (
                "human-resources-social-security",
                "人力资源和社会保障局",
                "Human Resources and Social Security Bureau",
            ),
            ("medical-security", "医疗保障局", "Healthcare Security Administration"),
        ),
    ),
    "health": ("health", _departments(("health", "卫生健康委员会", "Health Commission"))),
    "education-science": (
        "science",
        _departments(
            ("education", "教育委员会", "Education Commission"),
            ("science-technology", "科学技术委员会", "Science and Technology Commission"),
            ("intellectual-property", "知识产权局", "Intellectual Property Office"),
        ),
    ),
    "culture-tourism": (
        "culture",
        _departments(
            ("culture-tourism", "文化和旅游局", "Culture and Tourism Bureau"),
            ("sports", "体育局", "Sports Bureau"),
        ),
    ),
    "environment": (
        "environment",
        _departments(("ecology-environment", "生态环境局", "Ecology and Environment Bureau")),
    ),
    "resources-energy": (
        "natural-resources",
        _departments(
            (
                "planning-natural-resources",
                "规划和自然资源局",
                "Planning and Natural Resources Bureau",
            ),
            ("water-affairs", "水务局", "Water Authority"),
            ("urban-management", "城市管理委员会", "Urban Management Commission"),
        ),
    ),
    "urban-housing": (
        "housing",
        _departments(
            (
                "housing-construction",
                "住房和城乡建设委员会",
                "Housing and Urban-Rural Development Commission",
            ),
            ("housing-provident-fund", "住房公积金管理中心", "Housing Provident Fund Centre"),
        ),
    ),
    "transport": (
        "transport",
        _departments(
            ("transport", "交通委员会", "Transport Commission"),
            ("traffic-management", "公安交通管理局", "Traffic Management Bureau"),
        ),
    ),
    "agriculture": (
        "agriculture",
        _departments(("agriculture-rural", "农业农村局", "Agriculture and Rural Affairs Bureau")),
    ),
    "public-safety": (
        "public-safety",
        _departments(
            ("public-security", "公安局", "Public Security Bureau"),
            ("emergency-management", "应急管理局", "Emergency Management Bureau"),
        ),
    ),
    "social-welfare": (
        "public-service",
        _departments(
            ("civil-affairs", "民政局", "Civil Affairs Bureau"),
            ("veterans-affairs", "退役军人事务局", "Veterans Affairs Bureau"),
        ),
    ),
    "organisations": (
        "government",
        _departments(
            ("government-services", "政务服务管理局", "Government Services Administration"),
            ("civil-affairs", "民政局", "Civil Affairs Bureau"),
        ),
    ),
    "geospatial": (
        "geography",
        _departments(
            (
                "planning-natural-resources",
                "规划和自然资源局",
                "Planning and Natural Resources Bureau",
            ),
        ),
    ),
    "meteorology": (
        "weather",
        _departments(("meteorology", "气象局", "Meteorological Service")),
    ),
    "legal-services": (
        "justice",
        _departments(("justice", "司法局", "Justice Bureau")),
    ),
    "industry-it": (
        "industry",
        _departments(
            (
                "economy-informatisation",
                "经济和信息化局",
                "Economy and Information Technology Bureau",
            ),
            ("communications", "通信管理局", "Communications Administration"),
        ),
    ),
}
_GENERAL = (
    "government",
    (("government-services", "政务服务管理局", "Government Services Administration"),),
)


def departments_of(domain_id: str) -> tuple[Department, ...]:
    """Who publishes a domain's datasets (the general government services office for a domain
    this table does not know, as a replaced taxonomy may have)."""
    theme, rows = _DEPARTMENTS.get(domain_id, _GENERAL)
    return tuple(Department(id=i, zh=zh, en=en, theme=theme) for i, zh, en in rows)


@dataclass(frozen=True, slots=True)
class Place:
    """A region as a title names it: the full Chinese name down from the province."""

    code: str
    zh: str
    en: str


def places(regions: RegionRegistry) -> tuple[Place, ...]:
    """Every standard region, named from its province down (河北省保定市雄县, Xiong County)."""
    out: list[Place] = []
    for region in regions:
        if not region.standard:
            continue
        chain = [regions.get(code) for code in reversed(regions.chain(region.code))]
        above = [r for r in chain if r is not None and r.standard]
        province = above[0]
        zh = "".join(r.zh for r in above)
        en = region.en if province is region else f"{region.en}, {province.en}"
        out.append(Place(region.code, zh, en))
    return tuple(out)


def _shipped_entries() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, parse_yaml(path.read_text("utf-8")))
        for path in sorted(default_datasets_directory().glob("*.yaml"))
    ]


def _dump(document: dict[str, Any]) -> str:
    text: str = yaml.dump(
        document, Dumper=_SAFE_DUMPER, allow_unicode=True, sort_keys=False, width=100
    )
    return text


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _date_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def _category_order(taxonomy: Taxonomy, rng: random.Random, count: int) -> Iterator[Category]:
    """``count`` categories: each of the taxonomy's once (in an order of the seed) before any
    repeats, then further rounds, so every category is covered as soon as the count allows."""
    categories = list(taxonomy.categories())
    emitted = 0
    while emitted < count:
        round_ = categories[:]
        rng.shuffle(round_)
        taken = round_[: count - emitted]
        yield from taken
        emitted += len(taken)


def generated_header(
    category: Category,
    taxonomy: Taxonomy,
    base: dict[str, Any],
    place: Place,
    rng: random.Random,
    sequence: int,
) -> dict[str, Any]:
    """The parts of a generated entry that are its own: id, texts, provider, category, dates."""
    domain = taxonomy.domain_of(category.id)
    assert domain is not None  # every category of a taxonomy lies in a domain
    department = rng.choice(departments_of(domain.id))
    title, description = base["title"], base["description"]
    issued = _date_between(rng, _FIRST_ISSUED, _LAST_MODIFIED - dt.timedelta(days=30))
    modified = _date_between(rng, issued, _LAST_MODIFIED)
    header: dict[str, Any] = {
        "id": f"{category.id}-{sequence:04d}",
        "title": {
            "zh": f"{place.zh}{category.label.zh}{title['zh']}",
            "en": f"{category.label.en}: {_lower_first(title['en'])} ({place.en})",
        },
        "description": {
            "zh": (
                f"{place.zh}{department.zh}发布的{domain.label.zh}领域{category.label.zh}类数据。"
                f"{description['zh']}"
            ),
            "en": (
                f"{category.label.en} data ({_lower_first(domain.label.en)}) published by the "
                f"{department.en} of {place.en}. {description['en']}"
            ),
        },
        "provider": {
            "id": department.id,
            "name": {"zh": department.zh, "en": department.en},
            "regions": [place.code],
        },
        "category": category.id,
        "themes": _unique([department.theme, *base["themes"]]),
        "keywords": {
            "zh": _unique([category.label.zh, domain.label.zh, *base["keywords"]["zh"]]),
            "en": _unique(
                [category.label.en.lower(), domain.label.en.lower(), *base["keywords"]["en"]]
            ),
        },
        "modified": modified.isoformat(),
        "issued": issued.isoformat(),
        "contactPoint": {
            "name": {
                "zh": f"{department.zh}数据共享联络处",
                "en": f"{department.en} data-sharing desk",
            },
            "email": f"data-sharing@{department.id}.jjj-gateway.example",
        },
    }
    return header


def write_platform_catalog(
    out_dir: Path, datasets: int = PLATFORM_DATASETS, seed: int = DEFAULT_SEED
) -> int:
    """Write the catalogue into ``out_dir`` (replacing its ``datasets/``); the number of entries."""
    shipped = _shipped_entries()
    if datasets < len(shipped):
        raise ValueError(
            f"at least the {len(shipped)} shipped datasets are written, not {datasets}"
        )
    taxonomy = load_categories()
    regions = load_regions()
    rng = random.Random(seed)  # noqa: S311 — reproducible benchmark data
    target = out_dir / "datasets"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy(default_regions_file(), out_dir / "regions.yaml")
    shutil.copy(default_categories_file(), out_dir / "categories.yaml")
    for path, _ in shipped:
        shutil.copy(path, target / path.name)
    # What a copy keeps is the same for every copy of one entry: written as YAML once.
    kept = {
        document["id"]: _dump({k: document[k] for k in _KEPT if k in document})
        for _, document in shipped
    }
    all_places = places(regions)
    # A copy takes after a shipped entry of its own domain where there is one (a food-safety
    # dataset looks like market registrations, not like patents).
    bases: dict[str | None, list[dict[str, Any]]] = {}
    for _, document in shipped:
        domain = taxonomy.domain_of(document["category"])
        bases.setdefault(domain.id if domain else None, []).append(document)
    documents = [document for _, document in shipped]
    sequence: dict[str, int] = {}
    for category in _category_order(taxonomy, rng, datasets - len(shipped)):
        base = rng.choice(bases.get(category.domain, documents))
        sequence[category.id] = sequence.get(category.id, 0) + 1
        place = rng.choice(all_places)
        header = generated_header(category, taxonomy, base, place, rng, sequence[category.id])
        text = _dump(header) + kept[base["id"]]
        (target / f"{header['id']}.yaml").write_text(text, "utf-8")
    return datasets


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.platform_catalog",
        description="Write a platform-scale catalogue (the GATEWAY_CATALOG_DIR layout).",
    )
    parser.add_argument(
        "out_dir", type=Path, help="the directory to write (its datasets/ is replaced)"
    )
    parser.add_argument(
        "--datasets", type=int, default=PLATFORM_DATASETS, help="how many entries in all"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="the same seed, the same files"
    )
    args = parser.parse_args(argv)
    try:
        count = write_platform_catalog(args.out_dir, args.datasets, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"{count} datasets written to {args.out_dir / 'datasets'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
