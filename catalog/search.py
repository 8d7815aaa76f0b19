"""Catalogue search: free text (Chinese or English), filters, facets and pagination."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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
    # Each filter as the entries it lets through (entry numbers, sets precomputed per value).
    passing = {facet: index.having(facet, value) for facet, value in chosen.items()}
    if region is not None:
        passing["region"] = index.meeting(index.catalog.regions.leaves(region))
    entries = index.entries
    scores = index.scores(terms) if terms else None
    text_matches = [frozenset(scores)] if scores is not None else []

    def meeting(sets: list[frozenset[int]]) -> frozenset[int]:
        """The entries in every set (smallest first: the fewest lookups); all without one."""
        if not sets:
            return frozenset(range(len(entries)))
        smallest, *others = sorted(sets, key=len)
        return smallest.intersection(*others)

    # A dataset every filter lets through is found and counts in every facet; one that exactly
    # one filter stops counts in that filter's facet only (what choosing another value gives).
    found_numbers = meeting([*text_matches, *passing.values()])

    def stopped_only_by(facet: str) -> list[IndexedDataset]:
        others = [numbers for name, numbers in passing.items() if name != facet]
        return [entries[n] for n in meeting([*text_matches, *others]) - passing[facet]]

    stopped_by = {facet: stopped_only_by(facet) for facet in passing}
    if terms or passing:
        facets = index.facet_counts((entries[n] for n in found_numbers), stopped_by)
    else:
        facets = index.catalogue_counts()

    # Entry numbers follow the ids, and every sort below is stable: ties stay in id order.
    found = sorted(found_numbers)
    if sort == "relevance" and scores:
        found.sort(key=lambda n: -scores[n])
    elif sort == "title":
        found.sort(key=index.title_ranks(language).__getitem__)
    elif sort == "modified":
        found.sort(key=lambda n: entries[n].dataset.modified, reverse=True)
    start = (page - 1) * per_page
    return SearchResult(
        items=[entries[n].dataset for n in found[start : start + per_page]],
        total=len(found),
        page=page,
        per_page=per_page,
        facets=facets,
    )
