"""The gunicorn worker set-up of `jjj-gateway serve`."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import catalog.search_index
import gateway.services
import gateway.serving
from catalog import LANGUAGES
from gateway.cli.main import main
from gateway.core.settings import Settings, load_settings
from gateway.demo.generate import GenerationReport
from gateway.services import Configuration, load_configuration
from gateway.serving import GatewayServer, limit_malloc_arenas, share_with_workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_workers_cap_their_malloc_arenas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True


def test_an_operators_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


def test_serve_loads_the_configuration_once_and_every_worker_builds_from_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, demo_data: GenerationReport
) -> None:
    loaded: list[Configuration] = []
    served: dict[str, Any] = {}

    def load_once(settings: Settings) -> Configuration:
        loaded.append(load_configuration(settings))
        return loaded[-1]

    monkeypatch.setattr(gateway.services, "load_configuration", load_once)
    monkeypatch.setattr(gateway.serving, "serve", lambda settings, **kw: served.update(kw))
    result = CliRunner().invoke(
        main,
        ["--instance", str(tmp_path / "instance"), "serve", "--workers", "3"],
        env={"GATEWAY_DATA_DIR": str(demo_data.data_dir)},
    )
    assert result.exit_code == 0, result.output
    assert len(loaded) == 1
    assert served["configuration"] is loaded[0] and served["workers"] == 3

    settings = load_settings(
        {"instance_path": tmp_path / "instance", "warm_start": False}, environ={}
    )
    app = GatewayServer(settings, {}, loaded[0]).load()
    try:
        assert app.extensions["jjj-gateway"].config is loaded[0]
    finally:
        app.extensions["jjj-gateway"].close()


def test_what_workers_share_is_prepared_and_kept_from_the_collector(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh = load_configuration(load_settings({"instance_path": tmp_path}, environ={}))
    frozen = gc.get_freeze_count()
    try:
        share_with_workers(fresh)
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()

    def not_again(*_args: object) -> None:
        raise AssertionError("the title order was prepared again in the worker")

    monkeypatch.setattr(catalog.search_index, "title_sort_keys", not_again)
    for language in LANGUAGES:
        assert len(fresh.search_index.title_ranks(language)) == len(fresh.catalog)
