"""The eval tables' migrations: a separate alembic history (eval/migrations) with its own version
table, so the feedback store's schema, its migration tests and its documented schema (AUDIT.md)
stay exactly what ``feedback`` describes — ``feedback`` knows nothing of ``eval``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_eval"


def _config(engine: Engine, connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(_config(engine, connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(_config(engine, connection), revision)
