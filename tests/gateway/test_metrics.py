"""GET /metrics (docs/api.md): Prometheus text with the exchange counters and latencies, labelled by
ids from the configuration only."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.core.settings import load_settings
from gateway.core.version import version
from gateway.demo import GenerationReport
from gateway.observability.metrics import MULTIPROCESS_ENV
from gateway.serving import metrics_directory

from .conftest import basic, bearer

ME = "market-entity-registration"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = text_string_to_metric_families(response.get_data(as_text=True))
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


def test_exchanges_are_counted_by_dataset_decision_and_status(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    partner = token_for("partner")
    entity = demo_data.samples["haidian_entity"]
    for _ in range(2):
        response = client.get(f"/v1/datasets/{ME}/records/{entity}", headers=bearer(partner))
        assert response.status_code == 200
    insured = demo_data.samples["hebei_insured_person"]
    denied = client.get(
        f"/v1/datasets/social-insurance-payment/records/{insured}",
        headers=bearer(partner, "talent-mobility"),
    )
    assert denied.status_code == 403

    samples = scrape(client)
    assert samples[("jjj_exchanges_total", labels(dataset=ME, decision="allow", status="200"))] == 2
    assert (
        samples[
            (
                "jjj_exchanges_total",
                labels(dataset="social-insurance-payment", decision="deny", status="403"),
            )
        ]
        == 1
    )
    assert (
        samples[
            (
                "jjj_exchange_sources_total",
                labels(dataset=ME, node="beijing-haidian", status="ok"),
            )
        ]
        == 2
    )
    assert samples[("jjj_exchange_duration_seconds_count", labels(dataset=ME))] == 2
    assert samples[("jjj_adapter_latency_seconds_count", labels(node="beijing-haidian"))] == 2
    assert samples[("jjj_audit_append_duration_seconds_count", labels())] == 3
    assert samples[("jjj_build_info", labels(version=version()))] == 1


def test_labels_never_carry_a_client_id_or_a_dataset_outside_the_catalogue(
    client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    client_id, secret = register("partner")
    token = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    ).get_json()["access_token"]
    response = client.get("/v1/datasets/no-such-dataset/records", headers=bearer(token))
    assert response.status_code == 404

    samples = scrape(client)
    key = ("jjj_exchanges_total", labels(dataset="unknown", decision="error", status="404"))
    assert samples[key] == 1
    text = client.get("/metrics").get_data(as_text=True)
    assert client_id not in text and "no-such-dataset" not in text
    names = {name for (_, pairs) in samples for name, _ in pairs}
    assert names <= {"dataset", "decision", "status", "node", "version", "le"}


def test_the_cli_leaves_prometheus_client_unimported_until_a_worker_builds_its_app() -> None:
    # prometheus_client picks its value store when first imported: `jjj-gateway serve` sets
    # PROMETHEUS_MULTIPROC_DIR in the master, so the workers must be the first to import it.
    code = (
        "import sys, gateway.cli.main, gateway.serving, gateway.app\n"
        "sys.exit(1 if 'prometheus_client' in sys.modules else 0)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != MULTIPROCESS_ENV}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0


def test_each_server_counts_in_a_fresh_directory_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
    settings = load_settings({"instance_path": tmp_path / "instance"}, environ={})
    parent = tmp_path / "instance" / "metrics"
    gone, alive, mine = (parent / str(pid) for pid in (999_999_999, os.getppid(), os.getpid()))
    for folder in (gone, alive, mine):
        folder.mkdir(parents=True)
        (folder / "counter_1.db").write_bytes(b"")

    directory, owned = metrics_directory(settings)

    assert owned and directory == mine.resolve() and list(directory.iterdir()) == []
    assert not gone.exists()  # left by a server that is no longer running
    assert (alive / "counter_1.db").exists()  # another running server's


def test_a_directory_the_operator_chose_is_emptied_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "prometheus"
    chosen.mkdir()
    (chosen / "histogram_7.db").write_bytes(b"")
    monkeypatch.setenv(MULTIPROCESS_ENV, str(chosen))
    settings = load_settings({"instance_path": tmp_path / "instance"}, environ={})

    assert metrics_directory(settings) == (chosen.resolve(), False)
    assert list(chosen.iterdir()) == []
