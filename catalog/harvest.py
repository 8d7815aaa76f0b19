"""Harvesting other catalogues, without the network: reading a page of a source's DCAT-AP
export, checking each entry exactly as a local one, telling what changed, and the harvest folder
the gateway loads beside its own entries
(docs/catalogue-guide.md#harvesting-other-catalogues).

A source's folder holds one JSON file per accepted entry, ``{"provenance": …, "entry": …}``,
and is replaced whole by each successful harvest of that source: it is always the result of
one harvest, never half of two.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from catalog.i18n import I18n
from catalog.issues import CatalogError, CatalogIssue
from catalog.loader import Catalog, Dataset, parse_dataset
from catalog.provenance import Provenance

log = logging.getLogger(__name__)
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
#: Files of a source's folder; anything else there is not an entry.
ENTRY_SUFFIX = ".json"


@dataclass(frozen=True, slots=True)
class ListedDataset:
    """A dcat:Dataset of a source's export: its IRI and the source's modification date."""

    iri: str
    modified: str


@dataclass(frozen=True, slots=True)
class ExportPage:
    """What one page of a source's DCAT-AP export says: its datasets, the catalogue's
    publisher and the next page, if any."""

    datasets: tuple[ListedDataset, ...]
    publisher: I18n
    next_page: str | None


def _language_text(graph: Graph, subject: Any, predicate: URIRef) -> I18n:
    texts = {getattr(o, "language", None): str(o) for o in graph.objects(subject, predicate)}
    fallback = next(iter(texts.values()), "")
    return I18n(texts.get("zh", fallback), texts.get("en", fallback))


def read_export_page(graph: Graph) -> ExportPage:
    """The datasets, publisher and next page of a page of a DCAT-AP export (Hydra paging: the
    current ``hydra:next`` or CKAN's ``hydra:nextPage``)."""
    datasets = tuple(
        ListedDataset(str(subject), str(graph.value(subject, DCTERMS.modified) or ""))
        for subject in sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str)
        if isinstance(subject, URIRef)
    )
    publisher = I18n("", "")
    for catalog in graph.subjects(RDF.type, DCAT.Catalog):
        agent = graph.value(catalog, DCTERMS.publisher)
        if agent is not None:
            publisher = _language_text(graph, agent, FOAF.name)
            break
    next_page = None
    for collection in graph.subjects(RDF.type, HYDRA.PagedCollection):
        link = graph.value(collection, HYDRA.next) or graph.value(collection, HYDRA.nextPage)
        if link is not None:
            next_page = str(link)
    return ExportPage(datasets, publisher, next_page)


def content_hash(entry: Any) -> str:
    """``sha256:`` and the digest of the entry's canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def same_origin(url: str, other: str) -> bool:
    """Whether two URLs share scheme, host and port: an export may only point the harvester
    at entries of the server that published it."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def source_key(url: str) -> str:
    """The folder name of a source: its host and port, readable, and a digest of the whole URL
    (two exports on one server are two sources)."""
    parts = urlsplit(url)
    host = re.sub(r"[^A-Za-z0-9.-]+", "-", f"{parts.hostname or 'source'}-{parts.port or ''}")
    return f"{host.strip('-')}-{hashlib.sha256(url.encode('utf-8')).hexdigest()[:10]}"


@dataclass(frozen=True, slots=True)
class HarvestedEntry:
    """One file of a source's folder: the entry as harvested and where it came from."""

    entry: Mapping[str, Any]
    provenance: Provenance

    def as_json(self) -> dict[str, Any]:
        return {"provenance": self.provenance.as_json(), "entry": self.entry}


def read_source_folder(folder: Path) -> dict[str, HarvestedEntry]:
    """A source's folder by entry id (file stem); CatalogError names a file that is not a
    harvested entry."""
    out: dict[str, HarvestedEntry] = {}
    issues: list[CatalogIssue] = []
    for path in sorted(folder.glob(f"*{ENTRY_SUFFIX}")):
        name = f"{folder.name}/{path.name}"
        try:
            document = json.loads(path.read_text("utf-8"))
            out[path.stem] = HarvestedEntry(
                document["entry"], Provenance.from_json(document["provenance"])
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            issues.append(CatalogIssue(name, "$", f"not a harvested entry: {exc}"))
    if issues:
        raise CatalogError(issues)
    return out


def source_folders(root: Path) -> list[Path]:
    """The folders of the harvest root, one per source (temporary ones being written are not)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def write_source_folder(root: Path, key: str, entries: Mapping[str, HarvestedEntry]) -> None:
    """Replace a source's folder with ``entries``: written beside it, then renamed into place,
    so that the gateway never loads a half-written harvest."""
    root.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    for dataset_id, harvested in entries.items():
        text = json.dumps(harvested.as_json(), ensure_ascii=False, indent=1, sort_keys=True)
        (fresh / f"{dataset_id}{ENTRY_SUFFIX}").write_text(text + "\n", "utf-8")
    fresh.chmod(0o755)
    target = root / key
    retired = root / f".{key}.retired"
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        os.replace(target, retired)
    os.replace(fresh, target)
    shutil.rmtree(retired, ignore_errors=True)


def check_harvested(
    entry: Any,
    provenance: Provenance,
    catalog: Catalog,
    validator: jsonschema.protocols.Validator | None = None,
) -> Dataset:
    """The entry checked exactly as a local one against the central region registry and
    taxonomy, named by its IRI in messages (whose last segment must be its id); CatalogError
    says why not."""
    return parse_dataset(
        entry,
        provenance.iri,
        regions=catalog.regions,
        taxonomy=catalog.taxonomy,
        validator=validator,
        provenance=provenance,
    )


@dataclass(frozen=True, slots=True)
class Merged:
    """The catalogue with its harvested entries, and the harvested entries left out because
    an own entry has their id (a warning, not an issue: the own entry wins)."""

    catalog: Catalog
    left_out: tuple[CatalogIssue, ...] = ()


def merge_harvested(catalog: Catalog, root: Path | None) -> Merged:
    """The catalogue with the entries of the harvest folder beside its own, each checked again.

    An own entry added since its id was harvested wins: the harvested one is left out (the next
    harvest refuses it), so that a gateway never refuses to start over it. An id that two
    harvested folders share is an issue (a harvest refuses it: only a folder edited by hand has
    one)."""
    folders = source_folders(root) if root is not None else []
    if not folders:
        return Merged(catalog)
    datasets: dict[str, Dataset] = dict(catalog.datasets)
    origin: dict[str, str] = {}
    issues: list[CatalogIssue] = []
    left_out: list[CatalogIssue] = []
    for folder in folders:
        try:
            entries = read_source_folder(folder)
        except CatalogError as exc:
            issues.extend(exc.issues)
            continue
        for dataset_id, harvested in entries.items():
            name = f"{folder.name}/{dataset_id}{ENTRY_SUFFIX}"
            if dataset_id in catalog.datasets:
                left_out.append(
                    CatalogIssue(
                        name,
                        "$.id",
                        f"{dataset_id!r} is an entry of this catalogue: the harvested one "
                        "is left out",
                    )
                )
                continue
            if dataset_id in datasets:
                issues.append(
                    CatalogIssue(name, "$.id", f"{dataset_id!r} is also in {origin[dataset_id]}")
                )
                continue
            try:
                datasets[dataset_id] = check_harvested(
                    harvested.entry, harvested.provenance, catalog
                )
            except CatalogError as exc:
                issues.extend(exc.issues)
                continue
            origin[dataset_id] = harvested.provenance.source
    if issues:
        raise CatalogError(issues)
    merged = dataclasses.replace(catalog, datasets=MappingProxyType(dict(sorted(datasets.items()))))
    return Merged(merged, tuple(left_out))


def with_harvested(catalog: Catalog, root: Path | None) -> Catalog:
    """``merge_harvested``'s catalogue, each harvested entry left out named in the log."""
    merged = merge_harvested(catalog, root)
    for issue in merged.left_out:
        log.warning("harvested entry left out: %s", issue)
    return merged.catalog


# -- what a harvest reports -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal:
    """An entry not taken: which (its IRI), where in it (a JSON path) and why."""

    file: str
    path: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "reason": self.reason}


def refusals_of(error: CatalogError) -> list[Refusal]:
    return [Refusal(issue.file, issue.path, issue.message) for issue in error.issues]


@dataclass(slots=True)
class SourceReport:
    """What one harvest of one source did; ``error`` says why the source could not be read
    at all (its folder, the last good harvest, is then left as it was)."""

    source: str
    error: str | None = None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def compare(
        self, previous: Mapping[str, HarvestedEntry], accepted: Mapping[str, HarvestedEntry]
    ) -> None:
        """Sort the accepted entries into added, updated and unchanged (by content hash) and
        name the previous ones no longer published as removed."""
        for dataset_id, harvested in accepted.items():
            before = previous.get(dataset_id)
            if before is None:
                self.added.append(dataset_id)
            elif before.provenance.content_hash != harvested.provenance.content_hash:
                self.updated.append(dataset_id)
            else:
                self.unchanged.append(dataset_id)
        refused_ids = {Path(r.file).stem for r in self.refused}
        self.removed.extend(
            d for d in sorted(previous) if d not in accepted and d not in refused_ids
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.error is None,
            "error": self.error,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "refused": [r.as_json() for r in self.refused],
        }


def harvested_ids(root: Path, except_key: str) -> dict[str, str]:
    """Entry id → source URL of every source folder but one (to refuse an id another source
    already publishes)."""
    out: dict[str, str] = {}
    for folder in source_folders(root):
        if folder.name == except_key:
            continue
        try:
            entries = read_source_folder(folder)
        except CatalogError:
            continue
        out.update({d: h.provenance.source for d, h in entries.items()})
    return out


__all__ = [
    "ENTRY_SUFFIX",
    "ExportPage",
    "HarvestedEntry",
    "ListedDataset",
    "Merged",
    "Refusal",
    "SourceReport",
    "check_harvested",
    "content_hash",
    "harvested_ids",
    "merge_harvested",
    "read_export_page",
    "read_source_folder",
    "refusals_of",
    "same_origin",
    "source_folders",
    "source_key",
    "with_harvested",
    "write_source_folder",
]
