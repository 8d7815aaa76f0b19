"""The newcomer's path: `jjj-gateway demo` prints commands that work when pasted."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from .processes import JJJ, Process, free_port

pytestmark = pytest.mark.slow


def test_the_demo_banner_commands_work_when_pasted(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = Process(
        "demo",
        [JJJ, "--instance", str(tmp_path / "instance"), "demo", "--bind", f"127.0.0.1:{port}"],
        env={},
        log_dir=tmp_path,
        health_url=f"{base}/healthz",
    )
    demo.start(timeout=90)
    try:
        banner = demo.output()
        commands = [
            line.strip()
            for line in banner.splitlines()
            if line.strip().startswith(("TOKEN=", "GOV_TOKEN=", "AUDIT_TOKEN=", "curl "))
        ]
        assert len(commands) == 10, banner
        assert commands[0].startswith("TOKEN=") and base in commands[0]
        script = "set -euo pipefail\n" + "\n".join(
            c if c.startswith(("TOKEN=", "GOV_TOKEN=", "AUDIT_TOKEN=")) else f"{c}; echo '<<END>>'"
            for c in commands
        )
        result = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        answers = [json.loads(chunk) for chunk in result.stdout.split("<<END>>") if chunk.strip()]
        haidian, tianjin, fan_out, refused, insured, watched, verdict = answers
        assert refused["status"] == 403 and refused["type"] == "/problems/level-exceeds-tier"
        assert not any("X-Purpose" in c for c in commands if "/v1/audit/" in c)
        assert verdict["valid"] is True and verdict["checked"] >= 5
        watched_ids = {r["exchangeId"] for r in watched["data"]}
        assert insured["meta"]["exchangeId"] in watched_ids
        assert {r["clientId"] for r in watched["data"]} >= {"demo-government", "demo-partner"}
        assert "meta" in haidian, haidian
        assert haidian["meta"]["sources"][0]["node"] == "beijing-haidian"
        assert tianjin["meta"]["sources"][0]["node"] == "tianjin"
        assert haidian["data"]["creditCode"] and tianjin["data"]["creditCode"]
        nodes = {s["node"] for s in fan_out["meta"]["sources"]}
        assert {"beijing-haidian", "tianjin", "hebei"} <= nodes
        assert {r["regionCode"][:2] for r in fan_out["data"]} == {"11", "12", "13"}
        assert insured["meta"]["fields"]["clear"][:2] == ["residentId", "name"]
        assert "phone" in insured["meta"]["fields"]["dropped"]
        assert "legalRepId (hmac)" in banner or "(hmac)" in banner  # the tier comparison
        clients = json.loads((tmp_path / "instance" / "demo-clients.json").read_text("utf-8"))
        assert {c["client_id"] for c in clients} == {
            "demo-open",
            "demo-partner",
            "demo-government",
            "demo-regulator",
            "demo-admin",
        }
        assert (tmp_path / "instance" / "demo-clients.json").stat().st_mode & 0o077 == 0
        assert re.search(r"ready in [0-9.]+ s", demo.output())
    finally:
        demo.stop()
