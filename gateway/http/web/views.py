"""The catalogue pages (docs/api.md: GET /, /catalog/<id>): search, a dataset, the region
browser."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, request, send_from_directory

from catalog import SHARE_TYPES, Dataset, SearchResult, search
from gateway.http.api.common import services
from gateway.http.catalog_entries import dataset_access, sample_request
from gateway.http.contract import HTML, STRING, Operation, ok, path
from gateway.http.openapi.components import DATASET_ID, REGION_CODE
from gateway.http.previews import dataset_preview
from gateway.http.web.access import field_treatments
from gateway.http.web.errors import error_page
from gateway.http.web.headers import page_headers
from gateway.http.web.i18n import Translator
from gateway.http.web.region_browser import (
    ancestry,
    covering_regions,
    datasets_in,
    region_node,
    region_tree,
)
from gateway.http.web.rendering import page_language, render_page
from gateway.http.web.search_state import FILTERS, SORTS, SearchState, read_search_state

if TYPE_CHECKING:
    from gateway.services import Configuration

bp = Blueprint("web", __name__)


def _page(summary: str, operation_id: str, **declared: Any) -> Operation:
    """A page's declaration: HTML, public, its errors an HTML page too."""
    return Operation(
        summary,
        "pages",
        operation_id=operation_id,
        responses=ok("The page.", STRING, HTML),
        default_problem=False,
        **declared,
    )


HOME = _page(
    "Catalogue home page",
    "getCatalogueHomePage",
    description="Search box, facets and results; the search state is in the URL (the "
    "parameters of GET /v1/catalog/datasets). Chinese by default, English with ?lang=en.",
)
DATASET_PAGE = _page("Dataset page", "getDatasetPage", parameters=(DATASET_ID,))
FACET_NAME = path(
    "name", "A filter of the catalogue search.", {"type": "string", "enum": list(FILTERS)}
)
FACET_PAGE = _page(
    "Every value of one facet",
    "getFacetPage",
    description="The values of one filter of the catalogue search (domain, category, theme, "
    "shareType, level, provider or region) with their counts, for the search the parameters "
    "describe (those of GET /).",
    parameters=(FACET_NAME,),
)
CATEGORIES_PAGE = _page("Browse by category", "getCategoriesPage")
REGIONS_PAGE = _page("Region browser", "getRegionBrowserPage")
REGION_PAGE = _page("One region's datasets", "getRegionPage", parameters=(REGION_CODE,))

#: Static files are cached for an hour; they change only with a new release of the gateway.
STATIC_MAX_AGE = 3600
#: The values of a facet the search page shows: a platform's catalogue has hundreds of themes
#: and categories, which would make the page too long to read and to load.
FACET_VALUES_SHOWN = 8
#: The datasets a region's page lists; the catalogue search filtered by the region has them all.
REGION_DATASETS_SHOWN = 50


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True, slots=True)
class Facet:
    name: str
    #: The values shown: all of them, or the most frequent ones of a long facet.
    values: tuple[FacetValue, ...]
    #: How many values the facet has in all; more than shown: the rest are on the facet's page.
    total: int

    @property
    def collapsed(self) -> bool:
        return self.total > len(self.values)


def _facet_label(config: Configuration, t: Translator, facet: str, value: str) -> str:
    """How a facet value reads on the page: a theme's name, a provider's, a region's."""
    taxonomy = config.catalog.taxonomy
    if facet in ("domain", "category"):
        node = taxonomy.domain(value) if facet == "domain" else taxonomy.category(value)
        return t.text(node.label) if node else value
    if facet == "theme":
        return t.theme(value)
    if facet == "shareType":
        return t.share_type(value)
    if facet == "level":
        return f"{value} · {t.level(int(value))}"
    if facet == "provider":
        provider = config.search_index.providers.get(value)
        return t.text(provider.name) if provider else value
    region = config.catalog.regions.get(value)
    return t.region(region) if region else value


def _facet(
    config: Configuration,
    t: Translator,
    result: SearchResult,
    state: SearchState,
    name: str,
    shown: int | None = None,
) -> Facet:
    """One facet as a page lists it: every value the search counted, or the ``shown`` most
    frequent ones (ties by value) and the chosen one, so that only those are labelled."""
    counts = result.facets.get(name, {})
    chosen = state.filter_value(name)
    items = list(counts.items())
    if shown is not None and len(items) > shown:
        items = heapq.nsmallest(shown, items, key=lambda item: (-item[1], item[0]))
        if chosen in counts and all(value != chosen for value, _ in items):
            items.append((chosen, counts[chosen]))
    values = [
        FacetValue(value, _facet_label(config, t, name, value), count, value == chosen)
        for value, count in items
    ]
    if chosen is not None and chosen not in counts:
        # A region below the province level: the region facet counts provinces only.
        label = _facet_label(config, t, name, chosen)
        values.append(FacetValue(chosen, label, result.total, True))
    if name == "shareType":
        values.sort(key=lambda v: SHARE_TYPES.index(v.value))
    elif name in ("domain", "category", "theme", "provider"):
        values.sort(key=lambda v: (-v.count, v.label))
    return Facet(name, tuple(values), len(counts) + (chosen is not None and chosen not in counts))


def _pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def _page_numbers(current: int, pages: int) -> list[int | None]:
    """The page links of the pager: the first, the last and two either side of the current one,
    with None where pages are left out."""
    shown = sorted({1, pages, *range(current - 2, current + 3)} & set(range(1, pages + 1)))
    out: list[int | None] = []
    for number in shown:
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


def _province_names(config: Configuration, dataset: Dataset, t: Translator) -> list[str]:
    registry = config.catalog.regions
    provinces = {registry.province_of(code) for code in config.routing.served_regions(dataset.id)}
    names = []
    for code in sorted(p for p in provinces if p is not None):
        region = registry.get(code)
        if region is not None:
            names.append(t.region(region))
    return names


def _search(config: Configuration, state: SearchState, language: str) -> SearchResult:
    """The catalogue search a page's state asks for."""
    return search(
        config.search_index,
        q=state.q or None,
        region=state.region,
        domain=state.domain,
        category=state.category,
        theme=state.theme,
        share_type=state.share_type,
        level=state.level,
        provider=state.provider,
        page=state.page,
        per_page=state.per_page,
        sort=state.sort,
        language=language,
    )


@bp.get("/")
@HOME
def home() -> Response:
    config = services().config
    language = page_language()
    t = Translator(language.code)
    state, dropped = read_search_state(request.args, config.search_index)
    result = _search(config, state, language.code)
    facets = [_facet(config, t, result, state, name, FACET_VALUES_SHOWN) for name in FILTERS]
    pages = _pages(result.total, result.per_page)
    return render_page(
        "web/home.html",
        state=state,
        dropped=dropped,
        result=result,
        facets=facets,
        active=[(facet, value) for facet in facets for value in facet.values if value.selected],
        pages=pages,
        page_numbers=_page_numbers(state.page, pages),
        sorts=SORTS,
        provinces={ds.id: _province_names(config, ds, t) for ds in result.items},
    )


@bp.get("/facets/<name>")
@FACET_PAGE
def facet_page(name: str) -> Response:
    config = services().config
    if name not in FILTERS:
        return error_page(404)
    language = page_language()
    state, dropped = read_search_state(request.args, config.search_index)
    # Only the counts are shown: the first page of one result is enough to get them.
    result = _search(config, replace(state, page=1, per_page=1), language.code)
    facet = _facet(config, Translator(language.code), result, state, name)
    return render_page(
        "web/facet.html", state=state, dropped=dropped, facet=facet, total=result.total
    )


@bp.get("/categories")
@CATEGORIES_PAGE
def categories_page() -> Response:
    config = services().config
    counts = search(config.search_index, per_page=1).facets
    taxonomy = config.catalog.taxonomy
    return render_page(
        "web/categories.html",
        taxonomy=taxonomy,
        domain_count=len(list(taxonomy)),
        domains=counts["domain"],
        categories=counts["category"],
    )


@bp.get("/catalog/<dataset_id>")
@DATASET_PAGE
def dataset_page(dataset_id: str) -> Response:
    config = services().config
    dataset = config.catalog.get(dataset_id)
    if dataset is None:
        return error_page(404, reason="dataset", dataset_id=dataset_id)
    registry = config.catalog.regions
    region_code = request.args.get("region")
    region = registry.get(region_code) if region_code else None
    wanted = registry.leaves(region.code) if region is not None else frozenset()
    nodes = [
        {
            "id": node_id,
            "config": config.nodes[node_id],
            "regions": covering_regions(registry, leaves),
            "highlight": bool(wanted & leaves),
        }
        for node_id, leaves in sorted(config.routing.nodes_for(dataset.id).items())
    ]
    access = dataset_access(dataset, config.policies)
    preview = dataset_preview(dataset, config.policies, registry, services().secret)
    taxonomy = config.catalog.taxonomy
    return render_page(
        "web/dataset.html",
        dataset=dataset,
        category=taxonomy.category(dataset.category),
        domain=taxonomy.domain_of(dataset.category),
        region=region,
        nodes=nodes,
        access=access,
        treatments=field_treatments(list(dataset.fields), access["tiers"]),
        preview=preview,
        preview_tier=config.policies.tiers.get(preview.tier),
        served_regions=covering_regions(registry, config.routing.served_regions(dataset.id)),
        # The gateway's configured public address, never the request's Host header: a page
        # that builds its paste-ready commands from Host would send tokens wherever it says.
        sample=sample_request(dataset, config, services().settings.issuer),
    )


@bp.get("/regions")
@REGIONS_PAGE
def regions_page() -> Response:
    config = services().config
    return render_page("web/regions.html", tree=region_tree(config))


@bp.get("/regions/<code>")
@REGION_PAGE
def region_page(code: str) -> Response:
    config = services().config
    registry = config.catalog.regions
    region = registry.get(code)
    if region is None:
        return error_page(404)
    node = region_node(config, region)
    datasets = datasets_in(config, code)
    return render_page(
        "web/region.html",
        region=region,
        ancestors=ancestry(registry, code),
        node=node,
        members=node.members,
        datasets=datasets[:REGION_DATASETS_SHOWN],
        total=len(datasets),
        node_configs=config.nodes,
    )


@bp.get("/static/<path:filename>")
def static(filename: str) -> Response:
    """The gateway's own static files (the pages' stylesheet and icon, the API docs' assets):
    the gateway serves everything its pages load, so it works offline and under a strict CSP."""
    response = send_from_directory(
        Path(current_app.root_path) / "static", filename, max_age=STATIC_MAX_AGE
    )
    return page_headers(response)
