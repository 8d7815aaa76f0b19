"""What catalogue search reads of every dataset, worked out once per catalogue: the folded texts
a term may occur in, the facet values, the regions, and the title order of each language.

A search then walks these entries and compares strings; nothing of an entry is folded, looked
up or sorted again per request (docs/catalogue-guide.md#searching-a-large-catalogue).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from types import MappingProxyType

from catalog.collation import normalise_text, title_sort_keys
from catalog.loader import Catalog, Dataset, Provider
from catalog.regions import RegionRegistry

#: Facet names, as the API reports them.
FACETS = ("domain", "category", "theme", "shareType", "level", "provider", "region")
#: The weight of a match in the names of the regions a dataset is provided or served for.
REGION_WEIGHT = 3
#: How many search terms keep the datasets they were found in: a few hundred words make most
#: of a catalogue's searches, and each kept costs at most 8 bytes a dataset.
TERMS_KEPT = 512


@dataclass(frozen=True, slots=True)
class IndexedDataset:
    """One dataset as search reads it."""

    dataset: Dataset
    #: The leaf regions the dataset is provided or served for.
    leaves: frozenset[str]
    #: Facet → the values the dataset counts for in it.
    values: Mapping[str, tuple[str, ...]]
    #: The same as numbers of (facet, value) pairs, for counting every facet in one pass.
    facet_codes: tuple[int, ...]


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


def _text_places(dataset: Dataset) -> list[tuple[int, str]]:
    """(weight, text) of each place a term may occur: a match in the title counts more than one
    in the description."""
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
    return [(weight, "\n".join(texts)) for weight, texts in parts]


class SearchIndex:
    """The catalogue's datasets prepared for search, in id order.

    Every place a term may occur is folded once and kept once however many datasets share it
    (datasets copied from one template share their field labels, those served for the same
    regions their region names): a term is looked for in each distinct text once, in one
    string, and the texts it occurs in give the datasets and their scores.

    ``served_regions`` (dataset id → leaf regions its nodes serve) is what only the gateway
    knows: with it a dataset is found by the regions it is served for, not only those its
    provider names. The title order of a language is worked out on the first search sorted by
    it, or before that by :meth:`title_ranks` (a server does it before its workers fork), and
    kept: pinyin for Chinese costs a dictionary that a process not sorting by it never loads.
    """

    def __init__(
        self, catalog: Catalog, served_regions: Mapping[str, frozenset[str]] | None = None
    ) -> None:
        self.catalog = catalog
        registry = catalog.regions
        served = served_regions or {}
        fold = functools.cache(normalise_text)
        # Datasets share a handful of region sets: name each set and find its provinces once.
        regions_of: dict[frozenset[str], tuple[str, tuple[str, ...]]] = {}
        number_of: dict[str, int] = {}
        code_of: dict[tuple[str, str], int] = {}
        postings: list[list[tuple[int, int]]] = []
        entries = []
        leaf_regions = functools.cache(functools.partial(_leaf_regions, registry))
        for entry_number, dataset in enumerate(catalog):
            codes = (*dataset.provider.regions, *sorted(served.get(dataset.id, ())))
            leaves = leaf_regions(codes)
            if leaves not in regions_of:
                provinces = {registry.province_of(code) for code in leaves}
                regions_of[leaves] = (
                    region_names(registry, leaves),
                    tuple(sorted(p for p in provinces if p is not None)),
                )
            names, provinces_in = regions_of[leaves]
            for weight, text in (*_text_places(dataset), (REGION_WEIGHT, names)):
                number = number_of.setdefault(fold(text), len(number_of))
                if number == len(postings):
                    postings.append([])
                postings[number].append((entry_number, weight))
            category = catalog.taxonomy.category(dataset.category)
            values = {
                "domain": (category.domain,) if category is not None else (),
                "category": (dataset.category,),
                "theme": dataset.themes,
                "shareType": (dataset.share_type,),
                "level": (str(dataset.level),),
                "provider": (dataset.provider.id,),
                "region": provinces_in,
            }
            facet_codes = tuple(
                code_of.setdefault((facet, value), len(code_of))
                for facet in FACETS
                for value in values[facet]
            )
            entries.append(IndexedDataset(dataset, leaves, MappingProxyType(values), facet_codes))
        self.entries: tuple[IndexedDataset, ...] = tuple(entries)
        self._pairs = tuple(code_of)
        having: dict[tuple[str, str], set[int]] = {}
        by_leaf: dict[str, set[int]] = {}
        for number, entry in enumerate(entries):
            for code in entry.facet_codes:
                having.setdefault(self._pairs[code], set()).add(number)
            for leaf in entry.leaves:
                by_leaf.setdefault(leaf, set()).add(number)
        self._having = {pair: frozenset(numbers) for pair, numbers in having.items()}
        self._by_leaf = {leaf: frozenset(numbers) for leaf, numbers in by_leaf.items()}
        self._catalogue_counts = Counter(code for e in entries for code in e.facet_codes)
        # Every distinct text in one string, each after a newline: a term (which holds no
        # white space) found in it lies inside one text, the one that starts before it.
        self._corpus = "".join(f"\n{text}" for text in number_of)
        self._starts = list(itertools.accumulate((len(t) + 1 for t in number_of), initial=0))
        self._postings = tuple(tuple(p) for p in postings)
        self.providers: Mapping[str, Provider] = MappingProxyType(
            {ds.provider.id: ds.provider for ds in catalog}
        )
        #: Facet → every value some dataset has.
        self.known: Mapping[str, frozenset[str]] = MappingProxyType(
            {facet: frozenset(v for f, v in self._pairs if f == facet) for facet in FACETS}
        )
        self._title_ranks: dict[str, tuple[int, ...]] = {}
        self._lock = threading.Lock()
        self._term_hits = functools.lru_cache(maxsize=TERMS_KEPT)(self._find_term)

    def scores(self, terms: Iterable[str]) -> dict[int, int]:
        """Entry number → the sum of the weights of the places each folded term occurs in, for
        the entries where every term occurs (a substring of a text, so Chinese needs no word
        segmentation), in entry order."""
        total: dict[int, int] | None = None
        for term in terms:
            found = dict(zip(*self._term_hits(term), strict=True))
            if total is None:
                total = found
            else:
                total = {n: score + found[n] for n, score in total.items() if n in found}
        return total or {}

    def _find_term(self, term: str) -> tuple[array[int], array[int]]:
        """The entries a term occurs in, in order, and the weight of its places in each."""
        found: dict[int, int] = {}
        for number in self._texts_containing(term):
            for entry_number, weight in self._postings[number]:
                found[entry_number] = found.get(entry_number, 0) + weight
        numbers = sorted(found)
        return array("I", numbers), array("I", (found[n] for n in numbers))

    def having(self, facet: str, value: str) -> frozenset[int]:
        """The numbers of the entries that have a value in a facet."""
        return self._having.get((facet, value), frozenset())

    def meeting(self, leaves: Iterable[str]) -> frozenset[int]:
        """The numbers of the entries provided or served for any of the leaf regions."""
        return frozenset().union(*(self._by_leaf.get(leaf, ()) for leaf in leaves))

    def facet_counts(
        self, found: Iterable[IndexedDataset], stopped_by: Mapping[str, Iterable[IndexedDataset]]
    ) -> dict[str, dict[str, int]]:
        """Facet → value → how many datasets: every facet of the ``found`` ones, and the one
        facet of each ``stopped_by`` filter that stopped them alone."""
        counts = Counter(chain.from_iterable(entry.facet_codes for entry in found))
        return self._named(counts, stopped_by)

    def catalogue_counts(self) -> dict[str, dict[str, int]]:
        """The facet counts of the whole catalogue (a search for nothing), counted at load."""
        return self._named(self._catalogue_counts, {})

    def _named(
        self, counts: Counter[int], stopped_by: Mapping[str, Iterable[IndexedDataset]]
    ) -> dict[str, dict[str, int]]:
        named = Counter({self._pairs[code]: count for code, count in counts.items()})
        for facet, stopped in stopped_by.items():
            values = Counter(chain.from_iterable(entry.values[facet] for entry in stopped))
            named.update({(facet, value): count for value, count in values.items()})
        facets: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        for (facet, value), count in sorted(named.items()):
            facets[facet][value] = count
        return facets

    def _texts_containing(self, term: str) -> Iterator[int]:
        corpus, starts = self._corpus, self._starts
        position = corpus.find(term)
        while position >= 0:
            number = bisect.bisect_right(starts, position) - 1
            yield number
            # The next text: one is counted once however often the term is in it.
            position = corpus.find(term, starts[number + 1])

    def title_ranks(self, language: str) -> Sequence[int]:
        """Entry number → its place in the order of the titles in ``language`` (ties by id)."""
        ranks = self._title_ranks.get(language)
        if ranks is None:
            with self._lock:
                ranks = self._title_ranks.get(language)
                if ranks is None:
                    titles = [entry.dataset.title.text(language) for entry in self.entries]
                    # Entries are in id order: a stable sort leaves equal keys by id.
                    keys = title_sort_keys(titles, language, self.catalog.title_keys)
                    order = sorted(range(len(keys)), key=keys.__getitem__)
                    places = [0] * len(order)
                    for place, number in enumerate(order):
                        places[number] = place
                    ranks = tuple(places)
                    self._title_ranks[language] = ranks
        return ranks


def _leaf_regions(registry: RegionRegistry, codes: tuple[str, ...]) -> frozenset[str]:
    """The leaf regions of the regions a dataset is provided or served for."""
    leaves: set[str] = set()
    for code in codes:
        leaves |= registry.leaves(code) or {code}
    return frozenset(leaves)
