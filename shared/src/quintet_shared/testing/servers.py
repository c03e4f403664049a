"""Where integration tests find PostgreSQL and RabbitMQ (ARCHITECTURE.md §10).

`TEST_DATABASE_URL` / `TEST_AMQP_URL` first; else testcontainers where a Docker engine answers;
else the test is skipped with the reason, unless `REQUIRE_INTEGRATION=1`, which makes it a failure.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def integration_required() -> bool:
    return os.environ.get("REQUIRE_INTEGRATION") == "1"


def unavailable(reason: str) -> None:
    if integration_required():
        pytest.fail(f"{reason} (REQUIRE_INTEGRATION=1 forbids skipping)", pytrace=False)
    pytest.skip(reason)


def docker_engine_running() -> bool:
    with suppress(Exception):
        import docker

        docker.from_env(timeout=3).ping()
        return True
    return False


def postgres_admin_url() -> Iterator[str]:
    """Yields a URL of a PostgreSQL server on which tests may create databases."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    if docker_engine_running():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15-alpine", driver="psycopg") as container:
            yield container.get_connection_url()
        return
    unavailable("no PostgreSQL: set TEST_DATABASE_URL or run a Docker engine")


def amqp_url() -> Iterator[str]:
    url = os.environ.get("TEST_AMQP_URL")
    if url:
        yield url
        return
    if docker_engine_running():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-alpine") as container:
            params = container.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
        return
    unavailable("no RabbitMQ: set TEST_AMQP_URL or run a Docker engine")


@contextmanager
def fresh_postgres_database(admin_url: str, prefix: str = "qt") -> Iterator[str]:
    """Create an empty database for one test (or module), and drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
