"""The guides work as written: every shell block of README.md, docs/api.md and the operator's
steps of docs/deployment.md runs against a demo gateway on a free port (docs/partner-guide.md,
docs/auditors-guide.md and docs/access-and-tiers.md have test modules of their own)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .guides import REPO, assert_no_hard_coded_address, first_json, guide_blocks, run_guide

pytestmark = pytest.mark.slow

GUIDES = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_a_guide_names_the_gateway_only_through_one_variable(guide: Path) -> None:
    assert_no_hard_coded_address(guide)


def test_every_guide_with_commands_is_run_by_a_test() -> None:
    tested = {"partner-guide.md", "auditors-guide.md", "access-and-tiers.md"}
    tested |= {"README.md", "api.md", "deployment.md"}  # this module
    with_commands = {g.name for g in GUIDES if guide_blocks(g)}
    assert with_commands <= tested, with_commands - tested


def test_the_readme_starts_an_adapter_server(tmp_path: Path) -> None:
    with run_guide(REPO / "README.md", tmp_path) as run:
        assert "answered on 127.0.0.1:9101" in run.output("adapter serve")
        assert [b.reason for b in run.blocks if "make run" in b.code] == ["setup"]


def test_the_api_reference_gets_a_token(tmp_path: Path) -> None:
    with run_guide(REPO / "docs" / "api.md", tmp_path) as run:
        answer = first_json(run.output("grant_type=client_credentials"))
        assert answer["token_type"] == "Bearer" and answer["expires_in"] == 600


def test_the_operators_local_steps_of_the_deployment_guide(tmp_path: Path) -> None:
    with run_guide(REPO / "docs" / "deployment.md", tmp_path, installed=True) as run:
        index = json.loads((tmp_path / "keys" / "keys.json").read_text("utf-8"))
        assert index and (tmp_path / "keys" / "audit-ed25519.pem").exists()
        published = json.loads((tmp_path / "audit-public-key.json").read_text("utf-8"))
        assert published["keys"] and all("d" not in key for key in published["keys"])
        checked = run.output("jjj-gateway catalog check")
        assert "ok" in checked.lower(), checked
        assert (tmp_path / "config" / "catalog" / "datasets").is_dir()
    # What is not run needs what a test machine lacks: a cluster, a registry, the production
    # database.
    needs = ("kubectl", "helm", "docker", "podman", "pg_dump", "GATEWAY_DATABASE_URL='postgresql")
    cluster = [b.code for b in run.blocks if b.reason == "cluster"]
    assert cluster and all(any(tool in code for tool in needs) for code in cluster), cluster
