"""Catalogue search: free text (Chinese or English), filters, facets and pagination."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain

from catalog.collation import normalise_text
from catalog.loader import Catalog, Dataset
from catalog.search_index import FACETS, IndexedDataset, SearchIndex

__all__ = ["DEFAULT_PER_PAGE", "FACETS", "MAX_PER_PAGE", "SORTS", "SearchResult", "search"]

SORTS = ("relevance", "id", "title", "modified")
#: Results per page when none is asked for: the JSON API and the pages alike.
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of matching datasets, the number of all matches and the facet counts."""

    items: list[Dataset]
    total: int
    page: int
    per_page: int
    #: facet → value → number of matching datasets (see :func:`search`).
    facets: dict[str, dict[str, int]]


def search(
    source: Catalog | SearchIndex,
    q: str | None = None,
    region: str | None = None,
    theme: str | None = None,
    share_type: str | None = None,
    level: int | None = None,
    provider: str | None = None,
    category: str | None = None,
    domain: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    sort: str = "relevance",
    served_regions: Mapping[str, frozenset[str]] | None = None,
    language: str = "en",
) -> SearchResult:
    """Datasets matching every given criterion, one page of them, and facet counts.

    ``source`` is the index the gateway keeps for its catalogue, or a catalogue indexed for
    this one search, with ``served_regions`` (dataset id → leaf regions its nodes serve,
    which only the caller knows; an index holds its own).
    ``q`` is split on white space; every term must occur (case-insensitively, as a substring, so
    Chinese needs no word segmentation) in a title, description, keyword, field name or label,
    or in a name or alias of a region the dataset is provided or served for.
    A dataset is in ``region`` if the regions it is provided or served for meet the region's
    leaves, in ``category`` if classified there, in ``domain`` if its category lies in it.
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
    if isinstance(source, SearchIndex):
        if served_regions is not None:
            raise ValueError("an index holds its own served regions")
        index = source
    else:
        index = SearchIndex(source, served_regions)

    terms = normalise_text(q or "").split()
    chosen = {
        facet: value
        for facet, value in (
            ("theme", theme),
            ("shareType", share_type),
            ("level", None if level is None else str(level)),
            ("provider", provider),
            ("category", category),
            ("domain", domain),
        )
        if value is not None
    }
    wanted_leaves = index.catalog.regions.leaves(region) if region is not None else None

    # One pass: a dataset every filter lets through is found and counts in every facet; one
    # that exactly one filter stops counts in that filter's facet only.
    entries = index.entries
    if terms:
        scores = index.scores(terms)
        text_matches = [(scores[n], entries[n]) for n in sorted(scores)]
    else:
        text_matches = [(0, entry) for entry in entries]
    found: list[tuple[int, IndexedDataset]] = []
    stopped_by: dict[str, list[IndexedDataset]] = {facet: [] for facet in FACETS}
    if not chosen and wanted_leaves is None:
        found = text_matches
    else:
        for score, entry in text_matches:
            stops = [facet for facet, value in chosen.items() if value not in entry.values[facet]]
            if wanted_leaves is not None and entry.leaves.isdisjoint(wanted_leaves):
                stops.append("region")
            if not stops:
                found.append((score, entry))
            elif len(stops) == 1:
                stopped_by[stops[0]].append(entry)

    counts = Counter(chain.from_iterable(entry.facet_values for _, entry in found))
    for facet, stopped in stopped_by.items():
        counts.update((facet, value) for entry in stopped for value in entry.values[facet])
    facets: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for (facet, value), count in sorted(counts.items()):
        facets[facet][value] = count

    # The entries are in id order, and every sort below is stable: ties stay in id order.
    if sort == "relevance" and terms:
        found.sort(key=lambda hit: -hit[0])
    elif sort == "title":
        ranks = index.title_ranks(language)
        found.sort(key=lambda hit: ranks[hit[1].dataset.id])
    elif sort == "modified":
        found.sort(key=lambda hit: hit[1].dataset.modified, reverse=True)
    start = (page - 1) * per_page
    return SearchResult(
        items=[entry.dataset for _, entry in found[start : start + per_page]],
        total=len(found),
        page=page,
        per_page=per_page,
        facets=facets,
    )
