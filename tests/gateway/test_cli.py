"""The jjj-gateway command."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from adapters.nodes import default_directory
from catalog.loader import default_datasets_directory
from gateway.cli.main import main
from gateway.demo import GenerationReport


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_catalog_check_passes_on_the_shipped_configuration(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["--instance", str(tmp_path), "catalog", "check"], env={})
    assert result.exit_code == 0, result.output
    assert "ok: 9 datasets, 10 nodes" in result.output
    # Every shipped entry gives the recommended DCAT-AP properties.
    assert "warning" not in result.output


def _shipped_catalog(target: Path) -> Path:
    shutil.copytree(default_datasets_directory(), target / "datasets")
    shutil.copy(default_datasets_directory().parent / "regions.yaml", target)
    shutil.copy(default_datasets_directory().parent / "categories.yaml", target)
    return target


@pytest.mark.parametrize(
    "variable", ["GATEWAY_NODES_DIR", "GATEWAY_CATALOG_DIR", "GATEWAY_POLICIES_DIR"]
)
@pytest.mark.parametrize("state", ["missing", "empty"])
def test_catalog_check_fails_on_a_directory_that_is_missing_or_empty(
    runner: CliRunner, tmp_path: Path, variable: str, state: str
) -> None:
    directory = tmp_path / "configured"
    if state == "empty":
        directory.mkdir()
    result = runner.invoke(
        main, ["--instance", str(tmp_path), "catalog", "check"], env={variable: str(directory)}
    )
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.startswith(variable)]
    expected = "no such directory" if state == "missing" else "in it"
    assert len(lines) == 1 and lines[0].startswith(f"{variable}={directory}: ")
    assert lines[0].endswith(expected), lines
    assert "ok:" not in result.output and "Traceback" not in result.output


def test_catalog_check_warns_per_dataset_and_property_about_missing_recommended_properties(
    runner: CliRunner, tmp_path: Path
) -> None:
    catalog_dir = _shipped_catalog(tmp_path / "catalog")
    entry = catalog_dir / "datasets" / "patent-grants.yaml"
    document = yaml.safe_load(entry.read_text("utf-8"))
    del document["contactPoint"], document["license"]
    entry.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    result = runner.invoke(
        main,
        ["--instance", str(tmp_path), "catalog", "check"],
        env={"GATEWAY_CATALOG_DIR": str(catalog_dir)},
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: patent-grants.yaml: $.contactPoint: no contactPoint: the DCAT-AP export lacks "
        "the recommended dcat:Dataset dcat:contactPoint",
        "warning: patent-grants.yaml: $.license: no license: the DCAT-AP export lacks the "
        "recommended dcat:Distribution dct:license",
    ]
    assert "ok: 9 datasets, 10 nodes, 4 tiers, 9 purposes (2 warning(s))" in result.output


def test_catalog_check_names_file_and_path_and_fails(runner: CliRunner, tmp_path: Path) -> None:
    catalog_dir = _shipped_catalog(tmp_path / "catalog")
    entry = catalog_dir / "datasets" / "patent-grants.yaml"
    entry.write_text(
        entry.read_text("utf-8").replace("shareType: unconditional", "shareType: sometimes"),
        "utf-8",
    )
    nodes_dir = tmp_path / "nodes"
    shutil.copytree(default_directory(), nodes_dir)
    node = nodes_dir / "beijing-chaoyang.yaml"
    node.write_text(
        node.read_text("utf-8").replace('regions: ["110105"]', 'regions: ["110108"]', 1), "utf-8"
    )
    result = runner.invoke(
        main,
        ["--instance", str(tmp_path), "catalog", "check"],
        env={"GATEWAY_CATALOG_DIR": str(catalog_dir), "GATEWAY_NODES_DIR": str(nodes_dir)},
    )
    assert result.exit_code != 0
    assert "patent-grants.yaml: $.shareType" in result.output
    assert "Traceback" not in result.output


def test_catalog_check_reports_overlapping_nodes(runner: CliRunner, tmp_path: Path) -> None:
    nodes_dir = tmp_path / "nodes"
    shutil.copytree(default_directory(), nodes_dir)
    node = nodes_dir / "beijing-chaoyang.yaml"
    node.write_text(
        node.read_text("utf-8").replace('regions: ["110105"]', 'regions: ["110108"]', 1), "utf-8"
    )
    result = runner.invoke(
        main,
        ["--instance", str(tmp_path), "catalog", "check"],
        env={"GATEWAY_NODES_DIR": str(nodes_dir)},
    )
    assert result.exit_code != 0
    assert "beijing-chaoyang" in result.output and "110108" in result.output


def test_clients_add_prints_the_secret_once_and_stores_a_hash(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(
        main,
        [
            "--instance",
            str(tmp_path),
            "clients",
            "add",
            "--name",
            "Tianjin credit bureau",
            "--region",
            "120000",
            "--tier",
            "partner",
            "--scopes",
            "data:read,catalog:read",
            "--json",
        ],
        env={},
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["client_secret"] and created["scopes"] == ["catalog:read", "data:read"]
    listing = runner.invoke(main, ["--instance", str(tmp_path), "clients", "list"], env={})
    assert created["client_id"] in listing.output
    assert created["client_secret"] not in listing.output
    with sqlite3.connect(tmp_path / "gateway.sqlite3") as db:
        [(stored,)] = db.execute("SELECT secret_hash FROM clients").fetchall()
    assert stored.startswith("$argon2id$") and created["client_secret"] not in stored


def test_clients_add_refuses_unknown_tier_and_region(runner: CliRunner, tmp_path: Path) -> None:
    base = ["--instance", str(tmp_path), "clients", "add", "--name", "x", "--scopes", "data:read"]
    bad_tier = runner.invoke(main, [*base, "--region", "110000", "--tier", "gold"], env={})
    assert bad_tier.exit_code != 0 and "unknown tier 'gold'" in bad_tier.output
    bad_region = runner.invoke(main, [*base, "--region", "999999", "--tier", "open"], env={})
    assert bad_region.exit_code != 0 and "unknown region" in bad_region.output


def test_keys_rotate_keeps_the_previous_key_published(runner: CliRunner, tmp_path: Path) -> None:
    from gateway.identity.signing_keys import SigningKeys

    first = runner.invoke(main, ["--instance", str(tmp_path), "keys", "rotate"], env={})
    assert first.exit_code == 0, first.output
    ring = SigningKeys(tmp_path / "keys", token_lifetime=600, clock_skew=60)
    ring.reload(force=True)
    kids = [k["kid"] for k in ring.jwks()["keys"]]
    assert len(kids) == 2 and ring.current_kid() == kids[-1]
    assert all(p.stat().st_mode & 0o077 == 0 for p in (tmp_path / "keys").glob("*.jwk.json"))


def test_a_two_step_rotation_publishes_before_it_signs(runner: CliRunner, tmp_path: Path) -> None:
    import re

    from gateway.identity.signing_keys import SigningKeys

    base = ["--instance", str(tmp_path)]
    runner.invoke(main, [*base, "keys", "list"], env={})
    ring = SigningKeys(tmp_path / "keys", token_lifetime=600, clock_skew=60)
    ring.reload(force=True)
    first = ring.current_kid()
    added = runner.invoke(main, [*base, "keys", "add"], env={})
    assert added.exit_code == 0, added.output
    match = re.search(r"published key (\S+);", added.output)
    assert match
    kid = match.group(1)
    ring.reload(force=True)
    assert ring.current_kid() == first  # published, not signing yet
    assert kid in {k["kid"] for k in ring.jwks()["keys"]}
    activated = runner.invoke(main, [*base, "keys", "activate", kid], env={})
    assert activated.exit_code == 0, activated.output
    ring.reload(force=True)
    assert ring.current_kid() == kid
    assert first in {k["kid"] for k in ring.jwks()["keys"]}  # until its tokens expire
    assert runner.invoke(main, [*base, "keys", "activate", "nope"], env={}).exit_code != 0
    pruned = runner.invoke(main, [*base, "keys", "prune"], env={})
    assert "removed 0" in pruned.output  # the retired key's tokens may still be live
    short = SigningKeys(tmp_path / "keys", token_lifetime=-120, clock_skew=0)
    assert short.prune() == [first]
    assert not (tmp_path / "keys" / f"{first}.jwk.json").exists()


def test_no_signing_key_is_named_like_a_command_line_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kid is a base64url thumbprint: about one key in 64 would begin with "-", and
    # `keys activate -Pq…` is an unknown option, not a key.
    from joserfc.jwk import ECKey

    from gateway.identity import signing_keys as keys

    def generated() -> ECKey:
        return ECKey.generate_key("P-256", parameters={"alg": "ES256"}, private=True)

    dashed = next(k for k in iter(generated, None) if k.thumbprint().startswith("-"))
    queue = [dashed, generated()]
    monkeypatch.setattr(keys, "_generate_key", lambda: queue.pop(0))
    ring = keys.SigningKeys(tmp_path / "keys", token_lifetime=600, clock_skew=60)
    ring.ensure()
    kid = ring.current_kid()
    assert kid is not None
    assert not kid.startswith("-") and not queue


def _nodes_with_snapshot_limit(tmp_path: Path, node: str, limit: int) -> Path:
    nodes_dir = tmp_path / "nodes"
    shutil.copytree(default_directory(), nodes_dir)
    path = nodes_dir / f"{node}.yaml"
    document = yaml.safe_load(path.read_text("utf-8"))
    document["adapter"]["maxSnapshotBytes"] = limit
    path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    return nodes_dir


def test_catalog_check_refuses_a_snapshot_above_its_nodes_limit(
    runner: CliRunner, tmp_path: Path, demo_data: GenerationReport
) -> None:
    nodes_dir = _nodes_with_snapshot_limit(tmp_path, "beijing-chaoyang", 100)
    snapshot = demo_data.data_dir / "beijing-chaoyang" / "market-entities.jsonl"
    result = runner.invoke(
        main,
        ["--instance", str(tmp_path), "catalog", "check"],
        env={"GATEWAY_NODES_DIR": str(nodes_dir), "GATEWAY_DATA_DIR": str(demo_data.data_dir)},
    )
    assert result.exit_code != 0
    assert f"{snapshot}: {snapshot.stat().st_size:,} bytes, above the limit of 100 bytes" in (
        result.output
    )
    assert "ok:" not in result.output and "Traceback" not in result.output


def test_adapter_serve_refuses_to_start_on_a_snapshot_above_the_limit(
    runner: CliRunner, tmp_path: Path, demo_data: GenerationReport
) -> None:
    nodes_dir = _nodes_with_snapshot_limit(tmp_path, "beijing-chaoyang", 100)
    result = runner.invoke(
        main,
        ["--instance", str(tmp_path), "adapter", "serve", "--node", "beijing-chaoyang"],
        env={"GATEWAY_NODES_DIR": str(nodes_dir), "GATEWAY_DATA_DIR": str(demo_data.data_dir)},
    )
    assert result.exit_code != 0
    assert "cannot serve node 'beijing-chaoyang'" in result.output
    assert "above the limit of 100 bytes" in result.output
    assert "Traceback" not in result.output
