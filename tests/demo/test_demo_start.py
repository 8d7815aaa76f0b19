"""`jjj-gateway demo` reads and checks the configuration documents once per start."""

from __future__ import annotations

from pathlib import Path

import pytest

import gateway.services
from gateway.core.settings import Settings, load_settings
from gateway.demo.run import run_demo
from gateway.services import Configuration, load_configuration


def test_the_demo_loads_its_configuration_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    loaded: list[Configuration] = []

    def counted(settings: Settings) -> Configuration:
        loaded.append(load_configuration(settings))
        return loaded[-1]

    monkeypatch.setattr(gateway.services, "load_configuration", counted)
    settings = load_settings({"instance_path": tmp_path / "instance"}, environ={})
    settings.instance_path.mkdir()
    run_demo(settings, host="127.0.0.1", port=18080, serve=False)
    assert len(loaded) == 1
