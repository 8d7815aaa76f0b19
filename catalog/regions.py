"""The region registry: GB/T 2260 divisions the gateway routes by, and project-local groupings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from catalog.i18n import I18n
from catalog.issues import CatalogError, CatalogIssue, json_path, read_yaml_file
from catalog.validation import document_issues, packaged_schema

#: The level a grouping gets; standard regions carry their GB/T 2260 level.
GROUPING_LEVEL = "grouping"
# A parent must be of a higher administrative level than its child (province > city > county).
_RANK = {"province": 0, "city": 1, "district": 2, "county": 2}


@dataclass(frozen=True, slots=True)
class Region:
    """A GB/T 2260 division (``standard``) or a project-local grouping of divisions."""

    code: str
    zh: str
    en: str
    level: str
    parent: str | None = None
    standard: bool = True
    members: tuple[str, ...] = ()
    #: Other names it is searched by (its zh and en names always are).
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> I18n:
        return I18n(self.zh, self.en)


class RegionRegistry:
    """Lookups over the region hierarchy: leaves below a code, the chain above a leaf."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self._regions: dict[str, Region] = {r.code: r for r in regions}
        self._children: dict[str, list[Region]] = {}
        for region in sorted(self._regions.values(), key=lambda r: (not r.standard, r.code)):
            if region.parent is not None:
                self._children.setdefault(region.parent, []).append(region)
        self._groupings_of: dict[str, list[str]] = {}
        for region in self._regions.values():
            for member in region.members:
                self._groupings_of.setdefault(member, []).append(region.code)
        for codes in self._groupings_of.values():
            codes.sort()
        self._leaves = {code: self._collect_leaves(code) for code in self._regions}

    def _collect_leaves(self, code: str) -> frozenset[str]:
        region = self._regions[code]
        if not region.standard:
            return frozenset().union(*(self._collect_leaves(m) for m in region.members))
        below = [child for child in self._children.get(code, ()) if child.standard]
        if not below:
            return frozenset({code})
        return frozenset().union(*(self._collect_leaves(child.code) for child in below))

    def __iter__(self) -> Iterator[Region]:
        """Every region: standard ones by code, then groupings."""
        return iter(sorted(self._regions.values(), key=lambda r: (not r.standard, r.code)))

    def __len__(self) -> int:
        return len(self._regions)

    def get(self, code: str) -> Region | None:
        return self._regions.get(code)

    def is_known(self, code: str) -> bool:
        return code in self._regions

    def leaves(self, code: str) -> frozenset[str]:
        """The leaf regions under ``code`` (itself if a leaf; a grouping: its members)."""
        return self._leaves.get(code, frozenset())

    def chain(self, code: str) -> tuple[str, ...]:
        """Most specific first: the code, the groupings containing it, then its parents up to the
        province — the order in which routing looks for the node that serves a region."""
        if code not in self._regions:
            return ()
        out: list[str] = []
        current: str | None = code
        while current is not None and current not in out:
            out.append(current)
            out.extend(g for g in self._groupings_of.get(current, ()) if g not in out)
            current = self._regions[current].parent
        return tuple(out)

    def province_of(self, code: str) -> str | None:
        """The province a code lies in (the code itself for a province); None if unknown."""
        for candidate in reversed(self.chain(code)):
            if self._regions[candidate].level == "province":
                return candidate
        return None

    def provinces(self) -> tuple[Region, ...]:
        return tuple(r for r in self if r.level == "province")

    def children(self, code: str) -> tuple[Region, ...]:
        """The regions directly below ``code``: standard ones by code, then groupings in it."""
        return tuple(self._children.get(code, ()))

    def tree(self) -> list[dict[str, Any]]:
        """The hierarchy as nested dicts for the API; a grouping also lists its ``members``."""
        roots = [r for r in self if r.parent is None]
        return [self._node(r) for r in roots]

    def _node(self, region: Region) -> dict[str, Any]:
        node: dict[str, Any] = {
            "code": region.code,
            "zh": region.zh,
            "en": region.en,
            "level": region.level,
            "standard": region.standard,
        }
        if not region.standard:
            node["members"] = list(region.members)
        node["children"] = [self._node(child) for child in self.children(region.code)]
        return node


def default_regions_file() -> Path:
    """The region registry shipped with the package."""
    return Path(str(resources.files("catalog") / "regions.yaml"))


def _cross_check(document: dict[str, Any], file: str) -> list[CatalogIssue]:
    issues: list[CatalogIssue] = []
    levels: dict[str, str] = {}
    for i, entry in enumerate(document["regions"]):
        if entry["code"] in levels:
            issues.append(CatalogIssue(file, json_path(["regions", i, "code"]), "duplicate code"))
        levels[entry["code"]] = entry["level"]
    for i, entry in enumerate(document["regions"]):
        parent = entry.get("parent")
        path = json_path(["regions", i, "parent"])
        if entry["level"] == "province":
            if parent is not None:
                issues.append(CatalogIssue(file, path, "a province has no parent"))
        elif parent is None:
            issues.append(CatalogIssue(file, path, f"a {entry['level']} needs a parent"))
        elif parent not in levels:
            issues.append(CatalogIssue(file, path, f"unknown region {parent!r}"))
        elif _RANK[levels[parent]] >= _RANK[entry["level"]]:
            message = f"a {levels[parent]} cannot contain a {entry['level']}"
            issues.append(CatalogIssue(file, path, message))
    seen: set[str] = set()
    for i, entry in enumerate(document.get("groupings", [])):
        if entry["id"] in seen:
            issues.append(CatalogIssue(file, json_path(["groupings", i, "id"]), "duplicate id"))
        seen.add(entry["id"])
        parent = entry.get("parent")
        if parent is not None and parent not in levels:
            path = json_path(["groupings", i, "parent"])
            issues.append(CatalogIssue(file, path, f"unknown region {parent!r}"))
        for j, member in enumerate(entry["members"]):
            if member not in levels:
                path = json_path(["groupings", i, "members", j])
                issues.append(CatalogIssue(file, path, f"unknown region {member!r}"))
    return issues


def parse_regions(document: Any, file: str) -> RegionRegistry:
    """Check a region registry document and build the registry; CatalogError lists every problem."""
    issues = document_issues(packaged_schema("regions.schema.json"), document, file)
    if not issues:
        issues = _cross_check(document, file)
    if issues:
        raise CatalogError(issues)
    regions = [
        Region(
            code=entry["code"],
            zh=entry["zh"],
            en=entry["en"],
            level=entry["level"],
            parent=entry.get("parent"),
            aliases=tuple(entry.get("aliases", ())),
        )
        for entry in document["regions"]
    ]
    regions += [
        Region(
            code=entry["id"],
            zh=entry["zh"],
            en=entry["en"],
            level=GROUPING_LEVEL,
            parent=entry.get("parent"),
            standard=False,
            members=tuple(entry["members"]),
            aliases=tuple(entry.get("aliases", ())),
        )
        for entry in document.get("groupings", [])
    ]
    return RegionRegistry(regions)


def load_regions(path: Path | None = None) -> RegionRegistry:
    """Read and check the region registry file (default: the one shipped with the package)."""
    path = path or default_regions_file()
    document = read_yaml_file(path)
    return parse_regions(document, path.name)
