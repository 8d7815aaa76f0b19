"""The DCAT-AP export in pages, as DCAT-AP recommends for large catalogues: each page is a whole
DCAT-AP document (the catalog with that page's datasets and what they reference) plus a
``hydra:PagedCollection`` node that says how many datasets there are and where the other pages
are, which is what harvesters (CKAN's dcat extension, piveau) follow."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import islice
from typing import Any

from catalog.dcat import Publication, dcat_catalog
from catalog.loader import Catalog

#: Datasets a page holds unless ``perPage`` says otherwise (CKAN's dcat extension pages by 100).
DEFAULT_PER_PAGE = 100
#: The largest page: a few hundred kilobytes of JSON-LD, serialised in Turtle in well under a
#: second.
MAX_PER_PAGE = 500


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` datasets fill; an empty catalogue still has its one page."""
    return max(1, -(-total // per_page))


def paged_collection(
    page: int, per_page: int, total: int, page_url: Callable[[int], str]
) -> dict[str, Any]:
    """The hydra:PagedCollection node of one page; ``page_url`` gives a page's absolute URL."""
    last = page_count(total, per_page)
    node: dict[str, Any] = {
        "id": page_url(page),
        "type": "PagedCollection",
        "totalItems": total,
        "itemsPerPage": per_page,
    }
    links = {"first": 1, "last": last}
    if page > 1:
        links["previous"] = min(page - 1, last)
    if page < last:
        links["next"] = page + 1
    # Hydra Core names the links first/last/next/previous; CKAN's dcat extension and the
    # harvesters built on it read the older firstPage/lastPage/nextPage/previousPage. Both are
    # given, so either kind finds the next page.
    for relation, number in links.items():
        node[relation] = page_url(number)
        node[f"{relation}Page"] = page_url(number)
    return node


def dcat_page(
    catalog: Catalog,
    publication: Publication,
    served_regions: Mapping[str, frozenset[str]],
    *,
    page: int,
    per_page: int,
    page_url: Callable[[int], str],
) -> dict[str, Any]:
    """Page ``page`` (from 1) of the export, ``per_page`` datasets in id order; a page past the
    last lists no dataset but still says where the pages are."""
    start = (page - 1) * per_page
    datasets = list(islice(catalog, start, start + per_page))
    document = dcat_catalog(catalog, publication, served_regions, datasets)
    document["@graph"].append(paged_collection(page, per_page, len(catalog), page_url))
    return document


__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "dcat_page", "page_count", "paged_collection"]
