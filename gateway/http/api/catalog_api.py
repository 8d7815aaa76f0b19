"""Catalogue API (docs/api.md): search with facets, one entry, the region tree, the category
taxonomy, DCAT-AP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request, url_for

from catalog import DEFAULT_LANGUAGE, LANGUAGES, Dataset, I18n, search
from catalog.dcat import Publication, dataset_iri, dcat_catalog, dcat_dataset
from catalog.dcat_pages import DEFAULT_PER_PAGE as DCAT_PER_PAGE
from catalog.dcat_pages import MAX_PER_PAGE as DCAT_MAX_PER_PAGE
from catalog.dcat_pages import dcat_page
from catalog.entries import entry_document
from catalog.search import DEFAULT_PER_PAGE
from gateway.core.problems import Problem
from gateway.http.api.catalog_contract import (
    DATASET_MEDIA_TYPES,
    GET_DATASET,
    GET_ENTRY,
    LEVEL,
    LIST_DATASETS,
    MAX_PER_PAGE,
    MAX_QUERY_LENGTH,
    ONE_REGION,
    REGIONS,
    SORTS,
)
from gateway.http.api.common import json_response, reject_unknown_params, services
from gateway.http.api.dcat_contract import DCAT
from gateway.http.api.linked_data import RDF_MEDIA_TYPES, negotiate, rdf_response
from gateway.http.api.taxonomy_contract import CATEGORIES, ONE_CATEGORY
from gateway.http.caching import public_cacheable
from gateway.http.catalog_entries import dataset_detail, dataset_summary
from gateway.http.catalog_taxonomy import taxonomy_entry, taxonomy_tree
from gateway.http.web_linking import link_header, numbered_page_links, page_query

if TYPE_CHECKING:
    from gateway.services import Configuration

bp = Blueprint("catalog_api", __name__, url_prefix="/v1/catalog")
# The catalogue is the same for every caller: cacheable, conditional, compressed.
bp.after_request(public_cacheable)

# What the DCAT-AP export says about the catalogue and the gateway that publishes it.
PUBLICATION_TEXTS = {
    "title": I18n("京津冀公共数据目录", "Beijing-Tianjin-Hebei Public Data Catalogue"),
    "description": I18n(
        "北京、天津、河北三地可共享的公共数据目录：数据集、提供部门、服务区域、共享类型和数据分级，"
        "以及通过统一授权的网关获取数据的方式。",
        "Public data shared across Beijing, Tianjin and Hebei: the datasets, the departments "
        "that provide them, the regions they are served for, how they may be shared and how "
        "sensitive they are, and how to get them through the gateway's unified authorisation.",
    ),
    "publisher": I18n("京津冀公共数据共享网关", "Beijing-Tianjin-Hebei public data gateway"),
    "service_title": I18n("京津冀公共数据共享网关数据接口", "JJJ Data Gateway data API"),
    "service_description": I18n(
        "以 OAuth 2.0 客户端凭证访问的数据接口：按数据集查询记录或按主键查找记录，按使用等级"
        "遮蔽个人信息，每次交换都记入防篡改的审计记录。",
        "Data API reached with OAuth 2.0 client credentials: query a dataset's records or look "
        "one up by key; personal data is masked by the caller's tier and every exchange leaves "
        "a tamper-evident audit record.",
    ),
}


def _bad(name: str, message: str) -> Problem:
    return Problem(
        "validation-failed",
        detail=f"{name} {message}",
        errors=[{"path": f"$.query.{name}", "message": message}],
    )


def _single(name: str) -> str | None:
    """A parameter given at most once: a repeated one would silently lose all but one value."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise _bad(name, "must be given once")
    return values[0] if values else None


def _positive(name: str, default: int, maximum: int | None = None) -> int:
    raw = _single(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        raise _bad(name, "must be a positive integer")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise _bad(name, f"must be at most {maximum}")
    return value


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = _single(name)
    if value is None:
        return default
    if value not in allowed:
        raise _bad(name, f"must be one of {', '.join(allowed)}")
    return value


def _taxonomy_filters(config: Configuration) -> tuple[str | None, str | None]:
    """The category and domain asked for: unlike a theme, the taxonomy is a closed list, so an
    id it does not have is a mistake worth a 400 with the closest id, not an empty page."""
    taxonomy = config.catalog.taxonomy
    category = _single("category") or None
    if category is not None and taxonomy.category(category) is None:
        raise _bad("category", taxonomy.unknown_category_message(category))
    domain = _single("domain") or None
    if domain is not None and taxonomy.domain(domain) is None:
        raise _bad("domain", taxonomy.unknown_domain_message(domain))
    return category, domain


_LEVELS = tuple(str(n) for n in range(LEVEL["minimum"], LEVEL["maximum"] + 1))


def _served_regions(config: Configuration) -> dict[str, frozenset[str]]:
    return {d: config.routing.served_regions(d) for d in config.catalog.datasets}


@bp.get("/datasets")
@LIST_DATASETS
def list_datasets() -> Response:
    """Search: free text in zh and en, filters, facets with counts, sorting and pages. A filter
    value nothing has gives an empty page, not an error; a malformed parameter is a 400."""
    reject_unknown_params(LIST_DATASETS.query_names)
    sort = _choice("sort", tuple(SORTS), "relevance")
    language = _choice("lang", LANGUAGES, DEFAULT_LANGUAGE)
    level = _choice("level", _LEVELS, "")
    q = (_single("q") or "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise _bad("q", f"must be at most {MAX_QUERY_LENGTH} characters")
    page = _positive("page", 1)
    per_page = _positive("perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    config = services().config
    category, domain = _taxonomy_filters(config)
    result = search(
        config.search_index,
        q=q or None,
        region=_single("region") or None,
        theme=_single("theme") or None,
        share_type=_single("shareType") or None,
        level=int(level) if level else None,
        provider=_single("provider") or None,
        category=category,
        domain=domain,
        page=page,
        per_page=per_page,
        sort=SORTS[sort],
        language=language,
    )
    links = numbered_page_links(result.page, result.per_page, result.total)
    return json_response(
        {
            "data": [dataset_summary(d, config) for d in result.items],
            "meta": {
                "total": result.total,
                "page": result.page,
                "perPage": result.per_page,
                "sort": sort,
                "lang": language,
                "facets": result.facets,
            },
        },
        headers={"Link": link_header(links)},
    )


@bp.get("/datasets/<dataset_id>")
@GET_DATASET
def get_dataset(dataset_id: str) -> Response:
    """One entry: fields, nodes and regions served, how to get access, a sample request. The
    address is also the dataset's IRI in the DCAT-AP export, so it answers RDF when asked and a
    browser is sent to the dataset's page."""
    svc = services()
    dataset = svc.config.catalog.get(dataset_id)
    if dataset is None:
        raise Problem("dataset-not-found", detail=f"no dataset {dataset_id!r} in the catalogue")
    media_type = negotiate(DATASET_MEDIA_TYPES)
    response: Response
    if media_type == "text/html":
        # 303 See Other: the page is a document about the dataset the IRI names.
        response = Response(
            status=303, headers={"Location": url_for("web.dataset_page", dataset_id=dataset.id)}
        )
    elif media_type in RDF_MEDIA_TYPES:
        iri = dataset_iri(svc.settings.issuer, dataset.id)
        description = dcat_dataset(_dcat_document([dataset]), iri)
        assert description is not None  # the document is built for this very dataset
        response = rdf_response(description, media_type)
    else:
        response = json_response(
            {"data": dataset_detail(dataset, svc.config, base_url=svc.settings.issuer)}
        )
    response.vary.add("Accept")
    return response


@bp.get("/datasets/<dataset_id>/entry")
@GET_ENTRY
def get_entry(dataset_id: str) -> Response:
    """The entry as the meta-schema defines it, for another catalogue to harvest, with its
    provenance when it was harvested here (so that the next harvester keeps its origin)."""
    dataset = services().config.catalog.get(dataset_id)
    if dataset is None:
        raise Problem("dataset-not-found", detail=f"no dataset {dataset_id!r} in the catalogue")
    provenance = dataset.provenance.as_json() if dataset.provenance else None
    return json_response({"data": entry_document(dataset), "meta": {"provenance": provenance}})


@bp.get("/regions")
@REGIONS
def regions() -> Response:
    """The region tree: provinces, their cities and districts, and project-local groupings."""
    return json_response({"data": services().config.catalog.regions.tree(), "meta": {}})


@bp.get("/regions/<code>")
@ONE_REGION
def region(code: str) -> Response:
    """One region with its parents and children (the dct:spatial IRIs of the DCAT-AP export)."""
    registry = services().config.catalog.regions
    found = registry.get(code)
    if found is None:
        raise Problem("not-found", detail=f"no region {code!r} in the region registry")
    node = next(iter(_subtree(registry.tree(), code)), None)
    parents = [registry.get(c) for c in registry.chain(code)[1:]]
    return json_response(
        {
            "data": {
                **(node or {}),
                "parents": [
                    {"code": p.code, "zh": p.zh, "en": p.en, "level": p.level}
                    for p in parents
                    if p is not None and p.standard
                ],
                "links": {"datasets": f"/v1/catalog/datasets?region={code}"},
            }
        }
    )


@bp.get("/categories")
@CATEGORIES
def categories() -> Response:
    """The taxonomy: domains and their categories, with the number of datasets in each."""
    reject_unknown_params(CATEGORIES.query_names)
    catalog = services().config.catalog
    meta = {
        "domains": len(list(catalog.taxonomy)),
        "categories": len(catalog.taxonomy),
        "datasets": len(catalog),
    }
    return json_response({"data": taxonomy_tree(catalog), "meta": meta})


@bp.get("/categories/<category_id>")
@ONE_CATEGORY
def category(category_id: str) -> Response:
    """One domain (with its categories) or category (with its domain), and its datasets' count."""
    reject_unknown_params(ONE_CATEGORY.query_names)
    entry = taxonomy_entry(services().config.catalog, category_id)
    if entry is None:
        detail = f"no domain or category {category_id!r} in the taxonomy"
        raise Problem("not-found", detail=detail)
    return json_response({"data": entry})


def _subtree(nodes: list[dict[str, object]], code: str) -> list[dict[str, object]]:
    for node in nodes:
        if node["code"] == code:
            return [node]
        children = node.get("children")
        if isinstance(children, list):
            found = _subtree(children, code)
            if found:
                return found
    return []


def _publication() -> Publication:
    return Publication(base_url=services().settings.issuer, **PUBLICATION_TEXTS)


def _dcat_document(datasets: list[Dataset]) -> dict[str, Any]:
    config = services().config
    return dcat_catalog(config.catalog, _publication(), _served_regions(config), datasets)


@bp.get("/dcat")
@DCAT
def dcat() -> Response:
    """One page of the catalogue as DCAT-AP 3.0 (JSON-LD with its @context inline, Turtle or
    RDF/XML), a hydra:PagedCollection and Link headers leading to the other pages; without
    ``page``, the first."""
    reject_unknown_params(DCAT.query_names)
    media_type = negotiate(RDF_MEDIA_TYPES)
    page = _positive("page", 1)
    per_page = _positive("perPage", DCAT_PER_PAGE, DCAT_MAX_PER_PAGE)
    config = services().config
    publication = _publication()
    document_url = f"{publication.base_url.rstrip('/')}{bp.url_prefix}/dcat"

    def absolute(number: int) -> str:
        # RDF names a page by an absolute IRI; the page keeps the request's format and size.
        return f"{document_url}?{page_query(page=str(number))}"

    document = dcat_page(
        config.catalog,
        publication,
        _served_regions(config),
        page=page,
        per_page=per_page,
        page_url=absolute,
    )
    response = rdf_response(document, media_type)
    response.headers["Link"] = link_header(numbered_page_links(page, per_page, len(config.catalog)))
    return response
