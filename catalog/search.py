"""Catalogue search: free text (Chinese or English), filters, facets and pagination."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from catalog.loader import Catalog, Dataset
from catalog.regions import RegionRegistry

SORTS = ("relevance", "id", "title", "modified")
#: Results per page when none is asked for: the JSON API and the pages alike.
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
#: The weight of a match in the names of the regions a dataset is provided or served for.
REGION_WEIGHT = 3
#: Facet names, as the API reports them.
FACETS = ("theme", "shareType", "level", "provider", "region")


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of matching datasets, the number of all matches and the facet counts."""

    items: list[Dataset]
    total: int
    page: int
    per_page: int
    #: facet → value → number of matching datasets (see :func:`search`).
    facets: dict[str, dict[str, int]]


def normalise_text(text: str) -> str:
    """Fold width and case so that ＰＭ２.５ finds PM2.5 and Enterprise finds enterprise."""
    return unicodedata.normalize("NFKC", text).casefold()


@functools.lru_cache(maxsize=4096)
def _searchable(dataset: Dataset) -> tuple[tuple[int, str], ...]:
    """(weight, folded text) pairs: a match in the title counts more than one in the description."""
    field_texts = [
        text
        for info in dataset.fields.values()
        for text in (info.name, info.label.zh, info.label.en)
    ]
    parts = [
        (8, (dataset.title.zh, dataset.title.en)),
        (5, (*dataset.keywords_zh, *dataset.keywords_en)),
        (4, (dataset.id,)),
        (2, tuple(field_texts)),
        (2, (dataset.provider.name.zh, dataset.provider.name.en, *dataset.themes)),
        (1, (dataset.description.zh, dataset.description.en)),
    ]
    return tuple((weight, normalise_text("\n".join(texts))) for weight, texts in parts)


def title_key(dataset: Dataset, language: str) -> str:
    """The sort key of a dataset's title in a language.

    Chinese titles order by code point: the CJK Unified Ideographs block is laid out in
    radical-stroke order (the Kangxi dictionary order), a collation Chinese readers know, and it
    needs no pinyin tables.
    """
    return normalise_text(dataset.title.text(language))


def relevance(dataset: Dataset, terms: Iterable[str], region_names: str = "") -> int:
    """Sum of the weights of the places each term occurs in; 0 if some term occurs nowhere.

    ``region_names`` (folded) are the names of the regions the dataset is provided or served
    for: a dataset served for Haidian is found by 海淀, 海淀区 and Haidian.
    """
    places = (*_searchable(dataset), (REGION_WEIGHT, region_names))
    score = 0
    for term in terms:
        term_score = sum(weight for weight, text in places if term in text)
        if term_score == 0:
            return 0
        score += term_score
    return score


def region_names(registry: RegionRegistry, leaves: Iterable[str]) -> str:
    """The folded names (zh, en and aliases) of the leaf regions, of the groupings containing
    them and of their parents up to the province."""
    codes = {code for leaf in leaves for code in registry.chain(leaf)}
    names = [
        name
        for code in sorted(codes)
        if (region := registry.get(code)) is not None
        for name in (region.zh, region.en, *region.aliases)
    ]
    return normalise_text("\n".join(names))


def _region_codes(
    dataset: Dataset, registry: RegionRegistry, served: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    """The leaf regions a dataset is provided or served for."""
    codes: set[str] = set()
    for code in (*dataset.provider.regions, *served.get(dataset.id, ())):
        codes |= registry.leaves(code) or {code}
    return frozenset(codes)


def search(
    catalog: Catalog,
    q: str | None = None,
    region: str | None = None,
    theme: str | None = None,
    share_type: str | None = None,
    level: int | None = None,
    provider: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    sort: str = "relevance",
    served_regions: Mapping[str, frozenset[str]] | None = None,
    language: str = "en",
) -> SearchResult:
    """Datasets matching every given criterion, one page of them, and facet counts.

    ``q`` is split on white space; every term must occur (case-insensitively, as a substring, so
    Chinese needs no word segmentation) in a title, description, keyword, field name or label,
    or in a name or alias of a region the dataset is provided or served for.
    A dataset is in ``region`` if its provider regions or its ``served_regions`` (dataset id →
    leaf regions its nodes serve, which only the caller knows) meet the region's leaves.
    Facets count the text matches with every *other* filter applied, as faceted search does,
    so a facet shows what choosing another of its values would give.
    A filter value nothing has (an unknown theme, provider or region) matches nothing: it is a
    question with an empty answer, not a mistake. ``language`` (``zh`` or ``en``) chooses which
    title the ``title`` sort orders by.
    Raises ValueError for an unknown sort and for a page out of range.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r} (one of: {', '.join(SORTS)})")
    if page < 1:
        raise ValueError("page must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"perPage must be between 1 and {MAX_PER_PAGE}")
    registry = catalog.regions
    served = served_regions or {}

    terms = normalise_text(q or "").split()
    regions_of = {ds.id: _region_codes(ds, registry, served) for ds in catalog.datasets.values()}
    scores = {
        ds.id: relevance(ds, terms, region_names(registry, regions_of[ds.id])) if terms else 0
        for ds in catalog.datasets.values()
    }
    text_matches = [ds for ds in catalog.datasets.values() if not terms or scores[ds.id] > 0]
    wanted_leaves = registry.leaves(region) if region is not None else frozenset()

    predicates: dict[str, Callable[[Dataset], bool]] = {}
    if theme is not None:
        predicates["theme"] = lambda ds: theme in ds.themes
    if share_type is not None:
        predicates["shareType"] = lambda ds: ds.share_type == share_type
    if level is not None:
        predicates["level"] = lambda ds: ds.level == level
    if provider is not None:
        predicates["provider"] = lambda ds: ds.provider.id == provider
    if region is not None:
        predicates["region"] = lambda ds: not regions_of[ds.id].isdisjoint(wanted_leaves)

    def matching(except_facet: str | None = None) -> list[Dataset]:
        return [
            ds
            for ds in text_matches
            if all(test(ds) for name, test in predicates.items() if name != except_facet)
        ]

    def facet_values(facet: str, ds: Dataset) -> Iterable[str]:
        if facet == "theme":
            return ds.themes
        if facet == "shareType":
            return (ds.share_type,)
        if facet == "level":
            return (str(ds.level),)
        if facet == "provider":
            return (ds.provider.id,)
        provinces = {registry.province_of(code) for code in regions_of[ds.id]}
        return sorted(p for p in provinces if p is not None)

    facets: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        counts: dict[str, int] = {}
        for ds in matching(except_facet=facet):
            for value in facet_values(facet, ds):
                counts[value] = counts.get(value, 0) + 1
        facets[facet] = dict(sorted(counts.items()))

    found = sorted(matching(), key=lambda ds: ds.id)
    if sort == "relevance" and terms:
        found.sort(key=lambda ds: -scores[ds.id])
    elif sort == "title":
        found.sort(key=lambda ds: title_key(ds, language))
    elif sort == "modified":
        found.sort(key=lambda ds: ds.modified, reverse=True)
    start = (page - 1) * per_page
    return SearchResult(
        items=found[start : start + per_page],
        total=len(found),
        page=page,
        per_page=per_page,
        facets=facets,
    )
