"""Translation between a node's local field names and the catalogue's
(docs/architecture.md#domain-model, Node)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adapters.nodes import NodeDataset


@dataclass(frozen=True, slots=True)
class FieldNames:
    """The field-name mapping of one dataset on one node, usable in both directions."""

    #: catalogue name → local name (only the ones that differ)
    to_local: Mapping[str, str]
    #: local name → catalogue name (only the ones that differ)
    to_catalogue: Mapping[str, str]

    @classmethod
    def of(cls, spec: NodeDataset) -> FieldNames:
        to_local = dict(spec.fields)
        return cls(to_local, {local: name for name, local in to_local.items()})

    def local_name(self, catalogue_name: str) -> str:
        return self.to_local.get(catalogue_name, catalogue_name)

    def catalogue_name(self, local_name: str) -> str | None:
        """The catalogue name of a local field; None for a local field the mapping hides.

        A local field spelled like a catalogue field that the node keeps under another local
        name is not that catalogue field, so it is not passed on.
        """
        mapped = self.to_catalogue.get(local_name)
        if mapped is not None:
            return mapped
        if local_name in self.to_local:
            return None
        return local_name
