"""Relational storage: one SQLAlchemy Core schema for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from gateway.storage.db import create_db_engine, upgrade
from gateway.storage.tables import metadata

__all__ = ["create_db_engine", "metadata", "upgrade"]
