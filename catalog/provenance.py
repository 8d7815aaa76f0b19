"""Where a harvested catalogue entry came from: a district's or province's own catalogue that
the central catalogue harvests (docs/catalogue-guide.md#harvesting-other-catalogues)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.i18n import I18n


@dataclass(frozen=True, slots=True)
class Origin:
    """The catalogue that published an entry first, when it was harvested from another
    harvesting catalogue (a province harvesting the central one): its export, its publisher
    and the dataset's IRI there."""

    source: str
    publisher: I18n
    iri: str

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "publisher": self.publisher.as_json(), "iri": self.iri}

    @classmethod
    def from_json(cls, document: Any) -> Origin:
        publisher = document["publisher"]
        return cls(
            source=str(document["source"]),
            publisher=I18n(str(publisher["zh"]), str(publisher["en"])),
            iri=str(document["iri"]),
        )


@dataclass(frozen=True, slots=True)
class Provenance:
    """The source catalogue (the hop the entry was fetched from), its publisher, the entry's
    address there, when it was fetched, the source's modification date of the dataset, a hash
    of the entry as harvested, and the catalogue that published it first when that is another."""

    #: The URL of the source's DCAT-AP export that was harvested.
    source: str
    publisher: I18n
    #: The dataset's IRI in the source catalogue.
    iri: str
    #: When it was harvested, RFC 3339 in UTC.
    harvested: str
    #: The source's dct:modified of the dataset.
    modified: str
    #: ``sha256:`` and the hex digest of the entry's canonical JSON.
    content_hash: str
    #: None when the source published the entry itself.
    origin: Origin | None = None

    @property
    def first(self) -> Origin:
        """Who published the entry first: the origin, or the source itself."""
        return self.origin or Origin(self.source, self.publisher, self.iri)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "publisher": self.publisher.as_json(),
            "iri": self.iri,
            "harvested": self.harvested,
            "modified": self.modified,
            "contentHash": self.content_hash,
            "origin": self.origin.as_json() if self.origin else None,
        }

    @classmethod
    def from_json(cls, document: Any) -> Provenance:
        """The provenance of a harvest file or of another catalogue's entry; KeyError or
        TypeError when it is not one."""
        publisher = document["publisher"]
        origin = document.get("origin")
        return cls(
            source=str(document["source"]),
            publisher=I18n(str(publisher["zh"]), str(publisher["en"])),
            iri=str(document["iri"]),
            harvested=str(document["harvested"]),
            modified=str(document["modified"]),
            content_hash=str(document["contentHash"]),
            origin=Origin.from_json(origin) if origin is not None else None,
        )


__all__ = ["Origin", "Provenance"]
