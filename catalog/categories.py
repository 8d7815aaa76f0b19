"""The category taxonomy: the platform's domains and their categories, which classify datasets."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from catalog.i18n import I18n
from catalog.issues import CatalogError, CatalogIssue, json_path, read_yaml_file
from catalog.validation import document_issues, packaged_schema


@dataclass(frozen=True, slots=True)
class Category:
    """A category datasets are classified into; ``domain`` is the id of the domain holding it."""

    id: str
    label: I18n
    domain: str


@dataclass(frozen=True, slots=True)
class Domain:
    """A domain of the taxonomy and its categories, in the order the file gives them."""

    id: str
    label: I18n
    categories: tuple[Category, ...]


class Taxonomy:
    """Lookups over the two-level tree: a domain or category by id, the domain of a category."""

    def __init__(self, domains: Iterable[Domain]) -> None:
        self._domains: dict[str, Domain] = {d.id: d for d in domains}
        self._categories: dict[str, Category] = {
            c.id: c for d in self._domains.values() for c in d.categories
        }

    def __iter__(self) -> Iterator[Domain]:
        """The domains in file order."""
        return iter(self._domains.values())

    def __len__(self) -> int:
        """The number of categories (the classes a dataset can be in)."""
        return len(self._categories)

    def categories(self) -> tuple[Category, ...]:
        """Every category, domain by domain, in file order."""
        return tuple(self._categories.values())

    def category(self, category_id: str) -> Category | None:
        return self._categories.get(category_id)

    def domain(self, domain_id: str) -> Domain | None:
        return self._domains.get(domain_id)

    def lookup(self, node_id: str) -> Domain | Category | None:
        """The domain or category of that id (ids are unique across both)."""
        return self._domains.get(node_id) or self._categories.get(node_id)

    def domain_of(self, category_id: str) -> Domain | None:
        """The domain holding a category; None for an unknown category."""
        category = self._categories.get(category_id)
        return self._domains[category.domain] if category is not None else None

    def domain_id_of(self, category_id: str) -> str:
        """The id of the domain holding a category of the taxonomy (a loaded dataset's)."""
        return self._categories[category_id].domain

    def unknown_category_message(self, category_id: str) -> str:
        """Why ``category_id`` names no category, with the closest id when there is one."""
        if category_id in self._domains:
            return f"{category_id!r} is a domain, not a category: name one of its categories"
        message = f"{category_id!r} is not a category of the taxonomy"
        return _with_suggestion(message, category_id, self._categories)

    def unknown_domain_message(self, domain_id: str) -> str:
        """Why ``domain_id`` names no domain, with the closest id when there is one."""
        if domain_id in self._categories:
            return f"{domain_id!r} is a category, not a domain"
        message = f"{domain_id!r} is not a domain of the taxonomy"
        return _with_suggestion(message, domain_id, self._domains)


def _with_suggestion(message: str, wrong: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(wrong, list(known), n=1)
    return f"{message} (did you mean {close[0]!r}?)" if close else message


def default_categories_file() -> Path:
    """The taxonomy shipped with the package."""
    return Path(str(resources.files("catalog") / "categories.yaml"))


def _cross_check(document: dict[str, Any], file: str) -> list[CatalogIssue]:
    """Ids unique across the whole tree; labels unique per language among domains and among
    categories, so that no two facet entries read alike."""
    issues: list[CatalogIssue] = []
    ids: set[str] = set()
    labels: dict[tuple[str, str, str], None] = {}

    def check(node: dict[str, Any], kind: str, parts: list[object]) -> None:
        if node["id"] in ids:
            issues.append(CatalogIssue(file, json_path([*parts, "id"]), "duplicate id"))
        ids.add(node["id"])
        for language in ("zh", "en"):
            key = (kind, language, node[language])
            if key in labels:
                message = f"duplicate {language} label of a {kind}"
                issues.append(CatalogIssue(file, json_path([*parts, language]), message))
            labels[key] = None

    for i, domain in enumerate(document["domains"]):
        check(domain, "domain", ["domains", i])
        for j, category in enumerate(domain["categories"]):
            check(category, "category", ["domains", i, "categories", j])
    return issues


def parse_categories(document: Any, file: str) -> Taxonomy:
    """Check a taxonomy document and build the taxonomy; CatalogError lists every problem."""
    issues = document_issues(packaged_schema("categories.schema.json"), document, file)
    if not issues:
        issues = _cross_check(document, file)
    if issues:
        raise CatalogError(issues)
    return Taxonomy(
        Domain(
            id=domain["id"],
            label=I18n(domain["zh"], domain["en"]),
            categories=tuple(
                Category(id=c["id"], label=I18n(c["zh"], c["en"]), domain=domain["id"])
                for c in domain["categories"]
            ),
        )
        for domain in document["domains"]
    )


def load_categories(path: Path | None = None) -> Taxonomy:
    """Read and check the taxonomy file (default: the one shipped with the package)."""
    path = path or default_categories_file()
    document = read_yaml_file(path)
    return parse_categories(document, path.name)
