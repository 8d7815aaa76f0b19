"""Where a harvested catalogue entry came from: a district's or province's own catalogue that
the central catalogue harvests (docs/catalogue-guide.md#harvesting-other-catalogues)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.i18n import I18n


@dataclass(frozen=True, slots=True)
class Provenance:
    """The source catalogue, its publisher, the entry's address there, when it was harvested,
    the source's modification date of the dataset and a hash of the entry as harvested."""

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

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "publisher": self.publisher.as_json(),
            "iri": self.iri,
            "harvested": self.harvested,
            "modified": self.modified,
            "contentHash": self.content_hash,
        }

    @classmethod
    def from_json(cls, document: Any) -> Provenance:
        """The provenance of a harvest file; KeyError or TypeError when it is not one."""
        publisher = document["publisher"]
        return cls(
            source=str(document["source"]),
            publisher=I18n(str(publisher["zh"]), str(publisher["en"])),
            iri=str(document["iri"]),
            harvested=str(document["harvested"]),
            modified=str(document["modified"]),
            content_hash=str(document["contentHash"]),
        )


__all__ = ["Provenance"]
