"""Fixtures of the chart tests: the chart loaded once through Helm's own library (offline), and
its manifests rendered for a set of values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "jjj-gateway"
PRODUCTION_VALUES = CHART / "values-production.yaml"
RELEASE = "jjj-gateway"
NAMESPACE = "jjj-gateway"

Manifest = dict[str, Any]
Render = Callable[..., list[Manifest]]


@pytest.fixture(scope="session")
def chart() -> Iterator[Any]:
    with helm.Chart.load(CHART) as loaded:
        yield loaded


@pytest.fixture(scope="session")
def production_values() -> dict[str, Any]:
    values: dict[str, Any] = helm.values_from_yaml(PRODUCTION_VALUES.read_text("utf-8"))
    return values


@pytest.fixture(scope="session")
def render(chart: Any) -> Render:
    """Render the chart as `helm install` would, and parse every manifest (NOTES.txt apart)."""

    def rendering(values: dict[str, Any] | None = None, **options: Any) -> list[Manifest]:
        files = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True, **options)
        manifests: list[Manifest] = []
        for path, text in sorted(files.items()):
            if path.endswith("NOTES.txt"):
                continue
            manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
        return manifests

    return rendering


@pytest.fixture(scope="session")
def notes(chart: Any) -> Callable[[dict[str, Any] | None], str]:
    def rendering(values: dict[str, Any] | None = None) -> str:
        files = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
        return next(text for path, text in files.items() if path.endswith("NOTES.txt"))

    return rendering


def find(manifests: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    """The one manifest of this kind (and name)."""
    found = [
        m
        for m in manifests
        if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def kinds(manifests: list[Manifest]) -> list[tuple[str, str]]:
    return sorted((m["kind"], m["metadata"]["name"]) for m in manifests)


def container(manifest: Manifest, name: str) -> dict[str, Any]:
    spec = manifest["spec"]["template"]["spec"]
    return next(c for c in spec["containers"] if c["name"] == name)


def env_of(container_spec: dict[str, Any]) -> dict[str, Any]:
    """name → value, or the valueFrom object."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container_spec.get("env", [])}
