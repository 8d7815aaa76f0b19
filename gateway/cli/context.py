"""What a command works with: the settings the root group loaded, the database engine, the
client store, and the operator its audited changes name."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

import click

from gateway.core.settings import Settings


def settings_of(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


def open_engine(settings: Settings) -> Any:
    """The database engine of this command, disposed when the command ends (no connection is
    left to the garbage collector)."""
    from gateway.storage import create_db_engine

    engine = create_db_engine(settings.sqlalchemy_url)
    click.get_current_context().call_on_close(engine.dispose)
    return engine


def client_store(settings: Settings) -> Any:
    """The registered clients, in an instance prepared for them."""
    from gateway.identity.clients import ClientStore
    from gateway.identity.signing_keys import prepare_instance

    prepare_instance(settings)
    return ClientStore(open_engine(settings))


@dataclass(frozen=True, slots=True)
class Administration:
    """What an administrative command works on: the client store, the audit trail its changes
    are recorded in (on the same database), and the configuration they are checked against."""

    store: Any
    trail: Any
    config: Any


def administration(settings: Settings) -> Administration:
    from gateway.audit.trail import open_audit_trail
    from gateway.services import load_configuration

    store = client_store(settings)
    return Administration(
        store, open_audit_trail(store.engine, settings), load_configuration(settings)
    )


def operator() -> Any:
    """The actor of an administrative change made on the command line."""
    from gateway.audit.actions import Actor

    return Actor(f"cli:{getpass.getuser()}")
