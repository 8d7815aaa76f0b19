"""The auditor's guide works as written: every block of docs/auditors-guide.md runs against a
demo on a free port, finds the exchange it made, and verifies the export it takes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from .guides import REPO, GuideRun, first_json, json_documents, run_guide

pytestmark = pytest.mark.slow

GUIDE = REPO / "docs" / "auditors-guide.md"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuideRun]:
    with run_guide(
        GUIDE, tmp_path_factory.mktemp("auditors-guide"), variables=("AUDIT_TOKEN", "EXCHANGE_ID")
    ) as run:
        yield run


def test_the_exchange_a_caller_names_is_found_by_its_id(run: GuideRun) -> None:
    exchange_id = run.variables["EXCHANGE_ID"]
    assert exchange_id and exchange_id in run.output("X-Purpose: talent-mobility")
    record = first_json(run.output('"$GATEWAY/v1/audit/exchanges/$EXCHANGE_ID"'))
    assert record["data"]["exchangeId"] == exchange_id
    assert record["data"]["clientId"] == "demo-government"
    assert record["data"]["decision"] == "allow"


def test_the_region_search_finds_what_the_hebei_node_served(run: GuideRun) -> None:
    found = first_json(run.output("region=130000"))
    assert run.variables["EXCHANGE_ID"] in {r["exchangeId"] for r in found["data"]}
    assert all(r["dataset"] == "social-insurance-payment" for r in found["data"])


def test_the_chain_verifies_and_says_how_far_it_is_anchored(run: GuideRun) -> None:
    verdict = first_json(run.output('"$GATEWAY/v1/audit/verify"'))
    assert verdict["valid"] is True and verdict["firstBrokenSeq"] is None
    assert "anchoredThrough" in verdict and "headAnchored" in verdict


def test_the_export_verifies_offline_against_the_pinned_key(run: GuideRun) -> None:
    keys = json.loads((run.workdir / "audit-key.json").read_text("utf-8"))
    assert keys["keys"] and all("d" not in key for key in keys["keys"])
    verdict = [d for d in json_documents(run.output("audit verify --bundle")) if "valid" in d]
    assert verdict and verdict[0]["valid"] is True and verdict[0]["status"] == "valid"
    assert verdict[0]["checked"] >= 2
