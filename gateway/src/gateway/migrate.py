"""The gateway's database migrations (Alembic, its own history)."""

from pathlib import Path

from quintet_shared.migrations import upgrade

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def migrate(database_url: str) -> None:
    upgrade(MIGRATIONS, database_url)
