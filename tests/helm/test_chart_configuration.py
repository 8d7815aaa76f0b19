"""The chart lays out the configuration the way the gateway reads it: the repository's own
catalogue, nodes, policies and signing keys, passed as values, rendered, and written out as the
kubelet would mount them, load in the gateway through the variables the chart sets."""

from __future__ import annotations

import base64
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from adapters.nodes import load_nodes
from gateway.audit.signing_key import AuditSigner
from gateway.core.settings import load_settings
from gateway.identity.signing_keys import key_ring
from gateway.services import load_configuration

from .conftest import RELEASE, ROOT, Render, container, env_of, find

CONFIG_ROOT = "/etc/jjj-gateway"


def repository_files(pattern: str) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted(ROOT.glob(pattern))}


@pytest.fixture(scope="module")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A keys directory as `jjj-gateway keys rotate` leaves it, as file name → content."""
    instance = tmp_path_factory.mktemp("keys-instance")
    settings = load_settings({"instance_path": instance}, environ={})
    ring = key_ring(settings)
    ring.ensure()
    ring.rotate()
    AuditSigner(settings.resolved_keys_dir)
    return {p.name: p.read_text("utf-8") for p in settings.resolved_keys_dir.iterdir()}


def volume_files(manifests: list[dict[str, Any]], volume: dict[str, Any]) -> dict[str, str]:
    """What a ConfigMap, Secret or projected volume of the release holds: path → content."""
    if "configMap" in volume:
        sources = [{"configMap": volume["configMap"]}]
    elif "secret" in volume:
        sources = [{"secret": {"name": volume["secret"]["secretName"], **volume["secret"]}}]
    else:
        sources = volume["projected"]["sources"]
    files: dict[str, str] = {}
    for source in sources:
        if "configMap" in source:
            spec = source["configMap"]
            data = find(manifests, "ConfigMap", spec["name"])["data"]
        else:
            spec = source["secret"]
            encoded = find(manifests, "Secret", spec["name"])["data"]
            data = {k: base64.b64decode(v).decode("utf-8") for k, v in encoded.items()}
        items = spec.get("items") or [{"key": key, "path": key} for key in data]
        files.update({item["path"]: data[item["key"]] for item in items})
    return files


def mount(
    manifests: list[dict[str, Any]], deployment: dict[str, Any], name: str, root: Path
) -> None:
    """Write the container's ConfigMap and Secret volumes under root, as the kubelet mounts them."""
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    for volume_mount in container(deployment, name)["volumeMounts"]:
        volume = volumes[volume_mount["name"]]
        if "emptyDir" in volume:
            continue
        files = volume_files(manifests, volume)
        target = root / PurePosixPath(volume_mount["mountPath"]).relative_to("/")
        if "subPath" in volume_mount:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[volume_mount["subPath"]], "utf-8")
            continue
        for path, content in files.items():
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            (target / path).write_text(content, "utf-8")


def relocated(env: dict[str, Any], root: Path) -> dict[str, str]:
    """The container's plain GATEWAY_* variables, with the chart's mount points under root."""
    return {
        name: value.replace(CONFIG_ROOT, str(root / CONFIG_ROOT.lstrip("/")))
        for name, value in env.items()
        if name.startswith("GATEWAY_") and isinstance(value, str)
    }


def test_repository_configuration_rendered_by_the_chart_loads_in_the_gateway(
    render: Render, key_files: dict[str, str], tmp_path: Path
) -> None:
    values: dict[str, Any] = {
        "catalog": {
            "datasets": repository_files("catalog/datasets/*.yaml"),
            "regions": (ROOT / "catalog" / "regions.yaml").read_text("utf-8"),
            "categories": (ROOT / "catalog" / "categories.yaml").read_text("utf-8"),
        },
        "nodes": {"files": repository_files("adapters/nodes/*.yaml")},
        "policies": {"files": repository_files("policies/*.yaml")},
        "signingKeys": {"files": key_files},
    }
    manifests = render(values)
    deployment = find(manifests, "Deployment", RELEASE)
    mount(manifests, deployment, "gateway", tmp_path / "pod")
    environ = relocated(env_of(container(deployment, "gateway")), tmp_path / "pod")
    environ["GATEWAY_INSTANCE_PATH"] = str(tmp_path / "instance")

    settings = load_settings(environ=environ)
    assert settings.catalog_dir is not None and settings.nodes_dir is not None
    assert settings.catalog_dir.is_relative_to(tmp_path / "pod")
    configuration = load_configuration(settings)
    assert len(configuration.catalog.datasets) == len(values["catalog"]["datasets"])
    assert set(configuration.nodes) == {Path(f).stem for f in values["nodes"]["files"]}
    assert set(configuration.policies.tiers) >= {"open", "partner", "government", "regulator"}

    # The mounted key directory is complete: nothing needs to be written into it (it is a
    # read-only secret in the pod), and the newest key signs.
    keys_dir = settings.resolved_keys_dir
    before = sorted(p.name for p in keys_dir.iterdir())
    ring = key_ring(settings)
    ring.ensure()
    signer = AuditSigner(keys_dir)
    assert sorted(p.name for p in keys_dir.iterdir()) == before
    assert ring.current_kid() == ring.entries()[-1].kid
    assert signer.kid


def test_adapter_server_reads_its_node_from_the_mounted_configuration(
    render: Render, tmp_path: Path
) -> None:
    node = (ROOT / "adapters" / "nodes" / "beijing-haidian.yaml").read_text("utf-8")
    values = {
        "adapterServers": {
            "nodes": [
                {
                    "id": "beijing-haidian",
                    "nodeConfig": node,
                    "data": {"existingClaim": "haidian-data"},
                }
            ]
        }
    }
    manifests = render(values)
    deployment = find(manifests, "Deployment", f"{RELEASE}-adapter-beijing-haidian")
    # The data volume is a claim the kubelet would attach; only the configuration is written.
    spec = deployment["spec"]["template"]["spec"]
    spec["volumes"] = [v for v in spec["volumes"] if v["name"] != "data"]
    adapter = container(deployment, "adapter")
    adapter["volumeMounts"] = [m for m in adapter["volumeMounts"] if m["name"] != "data"]
    mount(manifests, deployment, "adapter", tmp_path)
    nodes_dir = tmp_path / env_of(adapter)["GATEWAY_NODES_DIR"].lstrip("/")
    nodes = load_nodes(nodes_dir)
    assert list(nodes) == ["beijing-haidian"]
    assert nodes["beijing-haidian"].kind == "file"
