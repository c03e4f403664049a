"""Alembic, the same way in every component: one history per component, run on SQLite and PostgreSQL.

A component's `migrations/env.py` is two lines: `run_env([own metadata])`. Its first revision calls
`create_kit_tables()` so that the outbox, inbox, job and schedule tables exist everywhere.
"""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool, text

from quintet_shared.db import make_engine
from quintet_shared.outbox_notify import ensure_notify_trigger
from quintet_shared.tables import kit_metadata

MIGRATION_LOCK_KEY = 0x5175696E  # any constant shared by every migrator of one database


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    # Alembic's config is ConfigParser-based: a literal % in a URL (an escaped password) must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, url), revision)


def run_env(metadata: Sequence[MetaData] | MetaData, *, default_url: Callable[[], str]) -> None:
    """The body of every component's env.py. `default_url` serves the plain `alembic` command
    (autogenerate); `upgrade()` sets the URL explicitly."""
    targets = [metadata] if isinstance(metadata, MetaData) else list(metadata)
    targets.append(kit_metadata)
    url = context.config.get_main_option("sqlalchemy.url") or default_url()
    options: dict[str, Any] = {
        "target_metadata": targets,
        "compare_type": True,
        "render_as_batch": url.startswith("sqlite"),  # SQLite alters tables by copying them
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas starting together (containers mode) migrate one after another, not in a
                # race: the lock lasts until this transaction ends; the next finds nothing to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            context.run_migrations()
            ensure_notify_trigger(connection)
    engine.dispose()


def create_kit_tables() -> None:
    """Create the shared plumbing tables inside a component's migration."""
    kit_metadata.create_all(bind=op.get_bind())


def drop_kit_tables() -> None:
    kit_metadata.drop_all(bind=op.get_bind())
