"""Node configurations (``nodes/<node-id>.yaml``): who holds which dataset for which regions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in one configuration file, located by JSON path."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class NodeConfigError(Exception):
    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


@dataclass(frozen=True, slots=True)
class NodeDataset:
    """How one node serves one dataset."""

    regions: tuple[str, ...]
    source: str | None = None
    #: catalogue field name → local field name (only the ones that differ)
    fields: Mapping[str, str] = field(default_factory=dict)

    def local_name(self, catalogue_name: str) -> str:
        return self.fields.get(catalogue_name, catalogue_name)


@dataclass(frozen=True, slots=True)
class NodeConfig:
    id: str
    name_zh: str
    name_en: str
    level: str
    region: str
    adapter: Mapping[str, Any]
    datasets: Mapping[str, NodeDataset]
    file: str = ""

    @property
    def kind(self) -> str:
        return str(self.adapter["kind"])


def default_directory() -> Path:
    """The node configurations shipped with the package (the demo nodes)."""
    return Path(str(resources.files("adapters") / "nodes"))


def _schema() -> dict[str, Any]:
    text = (resources.files("adapters") / "schema" / "node.schema.json").read_text("utf-8")
    return json.loads(text)


def json_path(parts: Iterable[Any]) -> str:
    """``$.a.b[0]`` for the path of a JSON Schema error."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def parse_node(document: Any, file: str, validator: jsonschema.protocols.Validator) -> NodeConfig:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        raise NodeConfigError(
            ConfigIssue(file, json_path(e.absolute_path), e.message) for e in errors
        )
    datasets = {
        name: NodeDataset(
            regions=tuple(spec["regions"]),
            source=spec.get("source"),
            fields=dict(spec.get("fields", {})),
        )
        for name, spec in document["datasets"].items()
    }
    return NodeConfig(
        id=document["id"],
        name_zh=document["name"]["zh"],
        name_en=document["name"]["en"],
        level=document["level"],
        region=document["region"],
        adapter=dict(document["adapter"]),
        datasets=datasets,
        file=file,
    )


def load_nodes(directory: Path | None = None) -> dict[str, NodeConfig]:
    """Read and check every ``*.yaml`` in the directory; all problems are reported together."""
    directory = directory or default_directory()
    validator = jsonschema.Draft202012Validator(_schema())
    nodes: dict[str, NodeConfig] = {}
    issues: list[ConfigIssue] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            document = yaml.safe_load(path.read_text("utf-8"))
        except yaml.YAMLError as exc:
            issues.append(ConfigIssue(path.name, "$", f"not valid YAML: {exc}"))
            continue
        try:
            node = parse_node(document, path.name, validator)
        except NodeConfigError as exc:
            issues.extend(exc.issues)
            continue
        if node.id != path.stem:
            issues.append(ConfigIssue(path.name, "$.id", f"id {node.id!r} differs from file name"))
        elif node.id in nodes:
            issues.append(ConfigIssue(path.name, "$.id", f"duplicate node id {node.id!r}"))
        else:
            nodes[node.id] = node
    if issues:
        raise NodeConfigError(issues)
    return nodes
