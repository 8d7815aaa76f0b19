"""Settings: an unknown GATEWAY_* variable or config key is an error naming the closest known one,
and the variables that are not settings (Kubernetes service links, the commands' own options,
the test suite's) are accepted (docs/deployment.md §6, Settings and the environment)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.load_cache import FILE_NAME
from gateway import create_app
from gateway.cli.main import main
from gateway.core.settings import OTHER_VARIABLES, is_known_variable, load_settings
from gateway.services import local_catalog

ROOT = Path(__file__).resolve().parents[2]


def test_a_misspelt_database_url_is_refused_naming_the_setting() -> None:
    environ = {"GATEWAY_DATABSE_URL": "postgresql+psycopg://gateway@db/gateway"}
    with pytest.raises(ValueError) as refused:
        load_settings({}, environ=environ)
    message = str(refused.value)
    assert "GATEWAY_DATABSE_URL" in message and "did you mean GATEWAY_DATABASE_URL?" in message
    assert "\n" not in message


def test_every_unknown_variable_is_named_in_one_line() -> None:
    environ = {"GATEWAY_WORKER": "2", "GATEWAY_ZZZ": "1", "GATEWAY_REDIS_URL": ""}
    with pytest.raises(ValueError) as refused:
        load_settings({}, environ=environ)
    assert str(refused.value) == (
        "unknown environment variables: GATEWAY_WORKER (did you mean GATEWAY_WORKERS?), GATEWAY_ZZZ"
    )


def test_app_creation_refuses_an_unknown_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GATEWAY_ISUER", "https://gateway.example.org")
    with pytest.raises(ValueError, match=r"GATEWAY_ISUER \(did you mean GATEWAY_ISSUER\?\)"):
        create_app({"instance_path": tmp_path / "instance"})
    assert not (tmp_path / "instance").exists()


def test_the_command_refuses_an_unknown_variable_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["--instance", str(tmp_path / "instance"), "catalog", "check"],
        env={"GATEWAY_DATABSE_URL": "postgresql+psycopg://gateway@db/gateway"},
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.stderr == (
        "Error: unknown environment variable: GATEWAY_DATABSE_URL "
        "(did you mean GATEWAY_DATABASE_URL?)\n"
    )


@pytest.mark.parametrize(
    "name",
    [
        # A Service named gateway, with a port named http.
        "GATEWAY_SERVICE_HOST",
        "GATEWAY_SERVICE_PORT",
        "GATEWAY_SERVICE_PORT_HTTP",
        "GATEWAY_PORT",
        "GATEWAY_PORT_8080_TCP",
        "GATEWAY_PORT_8080_TCP_PROTO",
        "GATEWAY_PORT_8080_TCP_PORT",
        "GATEWAY_PORT_8080_TCP_ADDR",
        # The chart installed as release gateway: its Service gateway-jjj-gateway.
        "GATEWAY_JJJ_GATEWAY_SERVICE_HOST",
        "GATEWAY_JJJ_GATEWAY_SERVICE_PORT_HTTP",
        "GATEWAY_JJJ_GATEWAY_PORT_80_TCP_ADDR",
        "GATEWAY_JJJ_GATEWAY_PORT_53_UDP",
    ],
)
def test_a_kubernetes_service_link_is_accepted(name: str) -> None:
    value = "tcp://10.96.0.12:8080" if name.endswith(("_PORT", "_TCP", "_UDP")) else "10.96.0.12"
    assert is_known_variable(name)
    assert load_settings({}, environ={name: value}) == load_settings({}, environ={})


def test_the_variables_read_elsewhere_are_accepted() -> None:
    environ = dict.fromkeys(OTHER_VARIABLES, "1") | {"GATEWAY_CONFIG_FILE": ""}
    assert load_settings({}, environ=environ) == load_settings({}, environ={})


def test_a_variable_without_the_prefix_is_not_the_gateways_to_judge() -> None:
    assert load_settings({}, environ={"DATABASE_URL": "x", "GATEWAYS": "y"}).database_url == ""


def test_an_unknown_key_in_the_config_file_names_the_file_and_the_closest_setting(
    tmp_path: Path,
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text('databse_url = "sqlite:///elsewhere.sqlite3"\n', "utf-8")
    with pytest.raises(ValueError) as refused:
        load_settings({}, environ={"GATEWAY_CONFIG_FILE": str(config)})
    assert str(refused.value) == (
        f"the config file {config}: unknown setting: databse_url (did you mean database_url?)"
    )


def test_an_unknown_key_passed_in_names_the_closest_setting() -> None:
    with pytest.raises(
        ValueError, match=r"^unknown setting: log_levle \(did you mean log_level\?\)$"
    ):
        load_settings({"log_levle": "DEBUG"}, environ={})


#: Where the gateway's variables are written: code, tests, the chart, the image and the docs.
MENTIONING = ("gateway", "adapters", "catalog", "policies", "tests", "bench", "helm", "docs")
MENTIONING_FILES = ("README.md", "Containerfile", "Makefile", ".ci/run")
#: The misspelling docs/deployment.md shows refused.
MISSPELT_IN_THE_DOCS = {"GATEWAY_DATABSE_URL"}
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".tpl", ".txt", ".toml", ".json", ".sh"}


def test_every_gateway_variable_the_repository_names_is_known() -> None:
    """Each GATEWAY_* name written anywhere (this file's misspellings aside) is one the gateway
    accepts, so that no reader, chart or guide uses a name the settings would refuse."""
    files = [p for d in MENTIONING for p in (ROOT / d).rglob("*") if p.suffix in SUFFIXES]
    files += [ROOT / name for name in MENTIONING_FILES]
    unknown = {}
    for path in files:
        if not path.is_file() or "__pycache__" in path.parts or path == Path(__file__):
            continue
        for name in re.findall(r"(?<![A-Za-z0-9_])GATEWAY_[A-Z0-9_]*", path.read_text("utf-8")):
            # GATEWAY_<NAME>, GATEWAY_TEST_*: the prefix of a family, named in prose.
            if name.endswith("_") or name in MISSPELT_IN_THE_DOCS:
                continue
            if not is_known_variable(name):
                unknown[name] = path.relative_to(ROOT)
    assert not unknown, unknown


def test_the_checked_catalogue_is_kept_where_the_cache_dir_points(tmp_path: Path) -> None:
    cache = tmp_path / "persistent" / "catalog"
    cache.parent.mkdir()
    environ = {"GATEWAY_CATALOG_CACHE_DIR": str(cache)}
    settings = load_settings({"instance_path": tmp_path / "instance"}, environ=environ)
    assert settings.resolved_catalog_cache_dir == cache
    local_catalog(settings)
    assert (cache / FILE_NAME).is_file()
    assert not (tmp_path / "instance" / "cache").exists()
