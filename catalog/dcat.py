"""DCAT-AP 3.0 export of the catalogue as JSON-LD, with its ``@context`` inline.

Harvesters (the EU data portal, CKAN's dcat extension, national portals) read this document to
list our datasets next to theirs. The ``@context`` is written out in full so that a consumer
never has to fetch one: the gateway may run where nothing outside can be reached.

Normative sources: DCAT-AP 3.0 (SEMIC) for which properties a Catalog, Dataset, Distribution,
DataService and Agent carry, and the EU Publications Office vocabularies for themes, access
rights, frequencies, file types, languages and planned availability.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from catalog.dcat_taxonomy import concept_iri, scheme_iri, taxonomy_nodes
from catalog.dcat_vocabulary import (
    ACCESS_RIGHTS,
    CONTEXT,
    DATA_THEME_SCHEME,
    EU_THEMES,
    FREQUENCIES,
    JSON_FILE_TYPE,
    JSON_MEDIA_TYPE,
    LANGUAGES,
    REGIONAL_AUTHORITY,
    STABLE,
)
from catalog.i18n import I18n
from catalog.issues import CatalogIssue
from catalog.loader import Catalog, Dataset
from catalog.regions import RegionRegistry


@dataclass(frozen=True, slots=True)
class Publication:
    """What the gateway says about itself as the publisher of the catalogue."""

    #: Base URL of the gateway; every IRI of the export is under it.
    base_url: str
    title: I18n
    description: I18n
    publisher: I18n
    service_title: I18n
    service_description: I18n


def _text(value: I18n) -> dict[str, str]:
    """A language map; an empty text is left out rather than published as an empty literal."""
    return {lang: text for lang, text in (("zh", value.zh), ("en", value.en)) if text.strip()}


def covering_regions(registry: RegionRegistry, leaves: Iterable[str]) -> list[str]:
    """The fewest standard regions whose leaves are exactly covered by ``leaves``, most general
    first: three whole provinces are three codes, not every district in them."""
    covered = frozenset(leaves)
    out: list[str] = []

    def visit(code: str) -> None:
        below = registry.leaves(code)
        if not below or below.isdisjoint(covered):
            return
        if below <= covered:
            out.append(code)
            return
        for child in registry.children(code):
            if child.standard:
                visit(child.code)

    for province in registry.provinces():
        visit(province.code)
    return out


class _Iris:
    """Where each resource of the export lives: dereferenceable gateway addresses where the
    gateway answers for them, fragments of the export itself otherwise."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.document = f"{self.base}/v1/catalog/dcat"
        self.catalog = f"{self.document}#catalog"
        self.publisher = f"{self.document}#publisher"
        self.service = f"{self.document}#data-service"
        self.local_themes = f"{self.document}#themes"

    def dataset(self, dataset_id: str) -> str:
        return f"{self.base}/v1/catalog/datasets/{dataset_id}"

    def distribution(self, dataset_id: str) -> str:
        return f"{self.dataset(dataset_id)}#api"

    def records(self, dataset_id: str) -> str:
        return f"{self.base}/v1/datasets/{dataset_id}/records"

    def page(self, dataset_id: str) -> str:
        return f"{self.base}/catalog/{dataset_id}"

    def provider(self, provider_id: str) -> str:
        return f"{self.document}#provider-{provider_id}"

    def region(self, code: str) -> str:
        return f"{self.base}/v1/catalog/regions/{code}"

    def theme(self, theme: str) -> str:
        return f"{self.document}#theme-{theme}"


def dataset_iri(base_url: str, dataset_id: str) -> str:
    """The IRI a dataset has in the export (the catalogue entry's address in the API)."""
    return _Iris(base_url).dataset(dataset_id)


def _themes(dataset: Dataset, iris: _Iris) -> list[str]:
    eu = {f"{DATA_THEME_SCHEME}/{EU_THEMES[t]}" for t in dataset.themes if t in EU_THEMES}
    return sorted(eu) + [iris.theme(t) for t in dataset.themes]


def _distribution(dataset: Dataset, iris: _Iris) -> dict[str, Any]:
    grant = dataset.share_type == "conditional"
    zh = (
        "通过网关数据接口按条件查询记录或按主键查找一条记录。须持有含 data:read 权限范围的"
        "访问令牌（OAuth 2.0 客户端凭证），并在 X-Purpose 请求头中声明用途"
        + ("；须持有本数据集、本用途的有效授权。" if grant else "。")
    )
    en = (
        "Records through the gateway's data API, filtered or looked up by key. Needs an access "
        "token with the data:read scope (OAuth 2.0 client credentials) and a purpose in the "
        "X-Purpose header"
        + ("; an active grant for this dataset and purpose is required." if grant else ".")
    )
    out: dict[str, Any] = {
        "id": iris.distribution(dataset.id),
        "type": "Distribution",
        "title": {"zh": f"{dataset.title.zh}数据接口", "en": f"{dataset.title.en} — data API"},
        "description": {"zh": zh, "en": en},
        "accessURL": iris.records(dataset.id),
        # The records endpoint answers one JSON document of records to a GET (with an access
        # token), which is what a harvester offers as the download.
        "downloadURL": iris.records(dataset.id),
        "accessService": iris.service,
        "format": JSON_FILE_TYPE,
        "mediaType": JSON_MEDIA_TYPE,
        "availability": STABLE,
    }
    if dataset.license:
        out["license"] = dataset.license
    return out


def _dataset(dataset: Dataset, spatial: list[str], iris: _Iris) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": iris.dataset(dataset.id),
        "type": "Dataset",
        "identifier": dataset.id,
        "title": _text(dataset.title),
        "description": _text(dataset.description),
        "keyword": {"zh": list(dataset.keywords_zh), "en": list(dataset.keywords_en)},
        "publisher": iris.provider(dataset.provider.id),
        "theme": [*_themes(dataset, iris), concept_iri(iris.base, dataset.category)],
        "spatial": [iris.region(code) for code in spatial],
        "accessRights": ACCESS_RIGHTS[dataset.share_type],
        "accrualPeriodicity": FREQUENCIES[dataset.update_frequency],
        "modified": dataset.modified,
        "landingPage": [iris.page(dataset.id)]
        + ([dataset.landing_page] if dataset.landing_page else []),
    }
    if dataset.issued:
        out["issued"] = dataset.issued
    if dataset.provenance is not None:
        # A harvested dataset names the description it was harvested from.
        out["source"] = dataset.provenance.iri
    if dataset.contact_point is not None:
        contact: dict[str, Any] = {"type": "Kind", "fn": _text(dataset.contact_point.name)}
        if dataset.contact_point.email:
            contact["hasEmail"] = f"mailto:{dataset.contact_point.email}"
        if dataset.contact_point.url:
            contact["hasURL"] = dataset.contact_point.url
        out["contactPoint"] = contact
    # A dataset that is never served has no access URL to give; DCAT-AP makes the distribution
    # recommended, not mandatory, and the access rights (NON_PUBLIC) say why there is none.
    if dataset.share_type != "none":
        out["distribution"] = [iris.distribution(dataset.id)]
    return out


#: DCAT-AP 3.0 recommended properties the export takes from an entry: (entry field, attribute of
#: the Dataset, the DCAT-AP class and property, whether only a served dataset needs it — one that
#: is never served has no distribution to carry a licence).
RECOMMENDED: tuple[tuple[str, str, str, bool], ...] = (
    ("contactPoint", "contact_point", "dcat:Dataset dcat:contactPoint", False),
    ("license", "license", "dcat:Distribution dct:license", True),
    ("issued", "issued", "dcat:Dataset dct:issued", False),
)


def missing_recommended(catalog: Catalog) -> list[CatalogIssue]:
    """One issue per dataset and recommended property its entry does not give; harvesters show
    such datasets with gaps, but the export is still valid (a warning, not an error)."""
    return [
        CatalogIssue(
            f"{dataset.id}.yaml",
            f"$.{name}",
            f"no {name}: the DCAT-AP export lacks the recommended {dcat_property}",
        )
        for dataset in catalog
        for name, attribute, dcat_property, served_only in RECOMMENDED
        if not getattr(dataset, attribute) and not (served_only and dataset.share_type == "none")
    ]


def _dataset_leaves(dataset: Dataset, registry: RegionRegistry, served: frozenset[str]) -> set[str]:
    leaves: set[str] = set(served)
    for code in dataset.provider.regions:
        leaves |= registry.leaves(code)
    return leaves


def dcat_catalog(
    catalog: Catalog,
    publication: Publication,
    served_regions: Mapping[str, frozenset[str]],
    datasets: Sequence[Dataset] | None = None,
) -> dict[str, Any]:
    """The catalogue as a DCAT-AP 3.0 JSON-LD document: the catalog with ``datasets`` (default:
    every entry) and the agents, places and themes they reference.

    ``served_regions`` maps a dataset id to the leaf regions the gateway's nodes serve it for
    (only the gateway knows its nodes); a dataset's ``dct:spatial`` is those and its provider's
    regions, as the fewest whole regions that cover them. The catalog itself (its coverage and
    modification date) is always described whole, whichever datasets the document lists.
    """
    iris = _Iris(publication.base_url)
    registry = catalog.regions
    listed = list(catalog) if datasets is None else list(datasets)
    graph: list[dict[str, Any]] = []
    providers: dict[str, I18n] = {}
    spatial_of: dict[str, list[str]] = {}
    themes: set[str] = set()
    for dataset in listed:
        leaves = _dataset_leaves(dataset, registry, served_regions.get(dataset.id, frozenset()))
        spatial_of[dataset.id] = covering_regions(registry, leaves)
        providers.setdefault(dataset.provider.id, dataset.provider.name)
        themes.update(dataset.themes)

    every_leaf: set[str] = set()
    for dataset in catalog:
        every_leaf |= _dataset_leaves(
            dataset, registry, served_regions.get(dataset.id, frozenset())
        )
    catalog_spatial = covering_regions(registry, every_leaf)
    served = [d for d in listed if d.share_type != "none"]
    catalog_node: dict[str, Any] = {
        "id": iris.catalog,
        "type": "Catalog",
        "title": _text(publication.title),
        "description": _text(publication.description),
        "publisher": iris.publisher,
        "homepage": f"{iris.base}/",
        "language": list(LANGUAGES),
        "spatial": [iris.region(c) for c in catalog_spatial],
        "themeTaxonomy": [DATA_THEME_SCHEME, scheme_iri(iris.base), iris.local_themes],
        "dataset": [iris.dataset(d.id) for d in listed],
        "service": [iris.service],
    }
    if len(catalog):
        catalog_node["modified"] = max(d.modified for d in catalog)
    graph.append(catalog_node)
    graph.append(
        {
            "id": iris.service,
            "type": "DataService",
            "title": _text(publication.service_title),
            "description": _text(publication.service_description),
            "publisher": iris.publisher,
            "endpointURL": f"{iris.base}/v1",
            "endpointDescription": f"{iris.base}/openapi.json",
            "servesDataset": [iris.dataset(d.id) for d in served],
        }
    )
    for dataset in listed:
        graph.append(_dataset(dataset, spatial_of[dataset.id], iris))
        if dataset.share_type != "none":
            graph.append(_distribution(dataset, iris))
    graph.append(
        {
            "id": iris.publisher,
            "type": "Agent",
            "name": _text(publication.publisher),
            "publisherType": REGIONAL_AUTHORITY,
        }
    )
    for provider_id, name in sorted(providers.items()):
        graph.append(
            {
                "id": iris.provider(provider_id),
                "type": "Agent",
                "name": _text(name),
                "identifier": provider_id,
                "publisherType": REGIONAL_AUTHORITY,
            }
        )
    locations = {c for codes in spatial_of.values() for c in codes}
    locations.update(catalog_spatial)
    for code in sorted(locations):
        region = registry.get(code)
        if region is not None:
            graph.append(
                {
                    "id": iris.region(code),
                    "type": "Location",
                    "identifier": code,
                    "prefLabel": {"zh": region.zh, "en": region.en},
                }
            )
    graph.append(
        {
            "id": iris.local_themes,
            "type": "ConceptScheme",
            "title": {"zh": "数据目录主题", "en": "Catalogue themes"},
        }
    )
    for theme in sorted(themes):
        graph.append(
            {
                "id": iris.theme(theme),
                "type": "Concept",
                "inScheme": iris.local_themes,
                "notation": theme,
                "prefLabel": {"en": theme.replace("-", " ")},
            }
        )
    graph.extend(taxonomy_nodes(catalog.taxonomy, (d.category for d in listed), iris.base))
    return {"@context": dict(CONTEXT), "@graph": graph}


# Links that lead from a resource to other datasets (or to concepts other datasets use): a
# dataset's own description does not follow them (it would become the whole catalogue).
_TO_OTHER_DATASETS = ("dataset", "servesDataset", "hasTopConcept", "narrower")


def dcat_dataset(document: Mapping[str, Any], dataset_iri: str) -> dict[str, Any] | None:
    """The part of the export (:func:`dcat_catalog`) that describes one dataset: the dataset,
    its distribution, the data service (serving this dataset), publishers, places and themes it
    points to; None when the export has no such dataset. What a GET of the dataset's IRI
    answers in RDF."""
    nodes = {node["id"]: node for node in document["@graph"]}
    if nodes.get(dataset_iri, {}).get("type") != "Dataset":
        return None
    kept: dict[str, dict[str, Any]] = {}
    pending = [dataset_iri]
    while pending:
        iri = pending.pop()
        node = nodes.get(iri)
        if node is None or iri in kept:
            continue
        node = {**node}
        if "servesDataset" in node:
            node["servesDataset"] = [dataset_iri]
        kept[iri] = node
        for key, value in node.items():
            if key in ("id", *_TO_OTHER_DATASETS):
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and item in nodes:
                    pending.append(item)
    graph = [kept[iri] for iri in nodes if iri in kept]
    return {"@context": document["@context"], "@graph": graph}


__all__ = [
    "ACCESS_RIGHTS",
    "CONTEXT",
    "EU_THEMES",
    "FREQUENCIES",
    "Publication",
    "covering_regions",
    "dataset_iri",
    "dcat_catalog",
    "dcat_dataset",
    "missing_recommended",
]
