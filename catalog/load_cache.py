"""The checked catalogue kept between starts: the entry documents that passed every check and
the pinyin sort keys of their Chinese titles (a pure function of the titles and of pypinyin), keyed
by a hash of everything the check reads — each entry file, the region registry, the taxonomy —
and of what does the checking: the catalog package's own files and the versions of the
libraries it uses.

Parsing and checking 3,158 entries takes most of a worker's start; their documents read back as
JSON take a tenth of it; the sort keys spare a server the pypinyin dictionaries (tens of
megabytes, a second's start) that it would load to order the titles. The cache is used only
when its key equals the key of this start's inputs, and one that cannot be read or does not
hold what it should is ignored and written anew: it makes a start faster, never different. It
lives in the instance folder or where the operator points it (docs/deployment.md), as trusted
as the catalogue itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from catalog.collation import SortKey, sort_key_from_json

log = logging.getLogger(__name__)

#: The layout of the cache file; a change makes every older file a miss.
FORMAT = 2
FILE_NAME = "catalog-checked.json"
#: The libraries whose behaviour the check depends on: the YAML parser and both validators,
#: and the one the title sort keys come from.
_LIBRARIES = ("PyYAML", "jsonschema", "jsonschema-rs", "referencing", "pypinyin")


@dataclass(frozen=True, slots=True)
class CheckedCatalogue:
    """What a start keeps of a check: the documents, in file order, and Chinese title → its
    sort key (catalog/collation.py)."""

    documents: list[dict[str, Any]]
    title_keys: Mapping[str, SortKey]


def _code_fingerprint() -> Iterable[bytes]:
    """The catalog package's modules and data files, and the library versions."""
    for name in _LIBRARIES:
        try:
            yield f"{name} {metadata.version(name)}\n".encode()
        except metadata.PackageNotFoundError:
            yield f"{name} -\n".encode()
    package = resources.files("catalog")
    for folder in (package, package / "schema"):
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.is_file() and item.name.endswith((".py", ".json", ".yaml")):
                yield item.name.encode() + b"\n" + item.read_bytes()


def input_key(entries: Iterable[tuple[str, bytes]], *registries: bytes) -> str:
    """The hash of every input of a catalogue check: (file name, content) of each entry, in
    order, the content of the registries they are checked against, and the checking code."""
    digest = hashlib.sha256(f"catalogue cache {FORMAT}\n".encode())
    for part in _code_fingerprint():
        digest.update(len(part).to_bytes(8, "big") + part)
    for registry in registries:
        digest.update(len(registry).to_bytes(8, "big") + registry)
    for name, content in entries:
        for part in (name.encode(), content):
            digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def read_checked(directory: Path, key: str) -> CheckedCatalogue | None:
    """The checked catalogue stored under ``key``; None when there is none, it was stored
    under another key, or the file is not what this module writes."""
    try:
        stored = json.loads((directory / FILE_NAME).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("catalogue cache %s ignored: %s", directory / FILE_NAME, exc)
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    documents, title_keys = stored.get("documents"), stored.get("titleKeys")
    if not isinstance(documents, list) or not all(isinstance(d, dict) for d in documents):
        log.warning("catalogue cache %s ignored: not a list of documents", directory / FILE_NAME)
        return None
    try:
        if not isinstance(title_keys, dict):
            raise ValueError("no title sort keys")
        keys = {title: sort_key_from_json(value) for title, value in title_keys.items()}
    except ValueError as exc:
        log.warning("catalogue cache %s ignored: %s", directory / FILE_NAME, exc)
        return None
    return CheckedCatalogue(documents, keys)


def write_checked(directory: Path, key: str, checked: CheckedCatalogue) -> bool:
    """Store the checked catalogue under ``key`` in ``directory``, made inside its existing
    parent; False (with a warning when writing failed) when they are not stored.

    A document that JSON cannot carry exactly (a YAML date, a number as a mapping key) is not
    cached: read back, it would differ from what was checked.
    """
    documents = checked.documents
    stored = {"key": key, "documents": documents, "titleKeys": dict(checked.title_keys)}
    try:
        text = json.dumps(stored, ensure_ascii=False)
    except (TypeError, ValueError):
        return False
    if json.loads(text)["documents"] != documents:
        return False
    if not directory.parent.is_dir():
        return False  # no instance folder yet: making one is not the loader's business
    try:
        directory.mkdir(exist_ok=True)
        # Written aside and renamed: workers starting together never read half a file.
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".catalog-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, directory / FILE_NAME)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.warning("catalogue cache not written to %s: %s", directory, exc)
        return False
    return True
