"""The access-and-tiers guide works as written: its policy explanation and its grant run against a
demo on a free port and say what the guide says they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.access.grants import GrantStore
from gateway.storage import create_db_engine

from .guides import REPO, run_guide

pytestmark = pytest.mark.slow

GUIDE = REPO / "docs" / "access-and-tiers.md"


def test_the_guide_explains_a_decision_and_issues_a_grant(tmp_path: Path) -> None:
    with run_guide(GUIDE, tmp_path) as run:
        explained = run.output("policy explain")
        assert "allow-grant" in explained, explained
        issued = run.output("grants add")
        assert "2027-12-31T16:00:00+00:00" in issued, issued
    engine = create_db_engine(f"sqlite:///{run.instance / 'gateway.sqlite3'}")
    try:
        grants = GrantStore(engine).for_client("demo-government", "social-insurance-payment")
    finally:
        engine.dispose()
    ours = [g for g in grants if g.approver == "河北省人社厅数据管理处"]
    assert len(ours) == 1
    assert set(ours[0].fields or ()) == {"residentId", "name", "monthsPaid", "status"}
