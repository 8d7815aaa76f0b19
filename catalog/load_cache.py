"""The checked catalogue kept between starts: the entry documents that passed every check, keyed
by a hash of everything the check reads — each entry file, the region registry, the taxonomy —
and of what does the checking: the catalog package's own files and the versions of the
libraries it uses.

Parsing and checking 3,158 entries takes most of a worker's start; their documents read back as
JSON take a tenth of it. The cache is used only when its key equals the key of this start's
inputs, and one that cannot be read or does not hold what it should is ignored and written anew:
it makes a start faster, never different. It lives in the instance folder, which is as trusted
as the signing keys it holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from importlib import metadata, resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: The layout of the cache file; a change makes every older file a miss.
FORMAT = 1
FILE_NAME = "catalog-checked.json"
#: The libraries whose behaviour the check depends on: the YAML parser and both validators.
_LIBRARIES = ("PyYAML", "jsonschema", "jsonschema-rs", "referencing")


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


def read_documents(directory: Path, key: str) -> list[dict[str, Any]] | None:
    """The checked documents stored under ``key``; None when there are none, they were stored
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
    documents = stored.get("documents")
    if not isinstance(documents, list) or not all(isinstance(d, dict) for d in documents):
        log.warning("catalogue cache %s ignored: not a list of documents", directory / FILE_NAME)
        return None
    return documents


def write_documents(directory: Path, key: str, documents: list[dict[str, Any]]) -> bool:
    """Store the checked documents under ``key`` in ``directory``, made inside its existing
    parent; False (with a warning when writing failed) when they are not stored.

    A document that JSON cannot carry exactly (a YAML date, a number as a mapping key) is not
    cached: read back, it would differ from what was checked.
    """
    try:
        text = json.dumps({"key": key, "documents": documents}, ensure_ascii=False)
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
