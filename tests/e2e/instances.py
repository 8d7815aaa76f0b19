"""A gateway instance folder for end-to-end tests: demo data, schema and one client."""

from __future__ import annotations

from pathlib import Path

from adapters.nodes import load_nodes
from gateway.core.settings import load_settings
from gateway.demo import generate
from gateway.identity.clients import ClientStore
from gateway.services import load_configuration
from gateway.storage import create_db_engine, upgrade


def prepare_instance(
    tmp_path: Path,
    database_url: str | None = None,
    *,
    tier: str = "government",
    redis_url: str | None = None,
) -> tuple[dict[str, str], str, str]:
    """(environment for gateway processes, client id, client secret)."""
    instance, data_dir = tmp_path / "instance", tmp_path / "data"
    overrides: dict[str, object] = {"instance_path": instance, "data_dir": data_dir}
    if database_url:
        overrides["database_url"] = database_url
    settings = load_settings(overrides, environ={})
    generate(data_dir, load_nodes(), load_configuration(settings).catalog, seed=2026, scale=0.1)
    instance.mkdir()
    upgrade(settings.sqlalchemy_url)
    engine = create_db_engine(settings.sqlalchemy_url)
    client, secret = ClientStore(engine).create(
        name="load", region="110000", tier=tier, scopes=["data:read"]
    )
    engine.dispose()
    env = {
        "GATEWAY_INSTANCE_PATH": str(instance),
        "GATEWAY_DATA_DIR": str(data_dir),
        "GATEWAY_ISSUER": "http://gateway.test",
    }
    if database_url:
        env["GATEWAY_DATABASE_URL"] = database_url
    if redis_url:
        env["GATEWAY_REDIS_URL"] = redis_url
    return env, client.client_id, secret or ""
