"""docker-compose.yml: every component's API, worker and migrate step, each on its own PostgreSQL."""

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from quintet_shared.testing.servers import unavailable

if TYPE_CHECKING:
    from conftest import Component

REPO = Path(__file__).resolve().parents[2]
Services = dict[str, Any]


def health_url(service: dict[str, Any]) -> str:
    healthcheck = service.get("healthcheck") or {}
    assert not healthcheck.get("disable"), "healthcheck disabled"
    return " ".join(str(part) for part in healthcheck.get("test", []))


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    value = service.get("depends_on", {})
    if isinstance(value, list):
        return {name: "service_started" for name in value}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in value.items()}


def test_every_component_has_api_worker_and_migrate(compose_services: Services, db_component: "Component") -> None:
    name = db_component.name
    for service in (name, f"{name}-worker", f"{name}-migrate", f"{name}-db"):
        assert service in compose_services, f"docker-compose.yml has no {service!r} service"


def test_the_sandbox_runs_without_database(compose_services: Services) -> None:
    assert compose_services["sandbox"]["command"][:2] == ["sandbox", "serve"]


def test_api_worker_and_migrate_share_the_component_image(
    compose_services: Services, db_component: "Component"
) -> None:
    name = db_component.name
    dockerfile = db_component.dockerfile.relative_to(REPO).as_posix()
    for service in (name, f"{name}-worker", f"{name}-migrate"):
        spec = compose_services[service]
        assert spec["image"].startswith(f"quintet/{name}:"), service
        assert spec["build"] == {"context": ".", "dockerfile": dockerfile}, service


def test_commands_and_ports_follow_the_conventions(compose_services: Services, component: "Component") -> None:
    name, port = component.name, component.port
    assert compose_services[name]["command"] == [name, "serve", "--host", "0.0.0.0", "--port", str(port)]
    assert f"127.0.0.1:{port}/health/ready" in health_url(compose_services[name])
    if component.has_database:
        worker = compose_services[f"{name}-worker"]
        assert worker["command"] == [name, "worker", "--health-port", str(component.health_port)]
        assert f"127.0.0.1:{component.health_port}/health/ready" in health_url(worker)
        assert compose_services[f"{name}-migrate"]["command"] == [name, "migrate"]


def test_each_component_uses_its_own_postgres(compose_services: Services, db_component: "Component") -> None:
    name = db_component.name
    db = compose_services[f"{name}-db"]
    assert db["image"] == "postgres:15"
    assert db["environment"]["POSTGRES_DB"] == f"quintet_{name}"
    assert any(str(volume).endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pg_isready" in health_url(db)
    for service in (name, f"{name}-worker", f"{name}-migrate"):
        env = compose_services[service]["environment"]
        database_urls = {key for key in env if key.endswith("_DATABASE_URL")}
        assert database_urls == {f"{name.upper()}_DATABASE_URL"}, f"{service} sees {sorted(database_urls)}"
        url = urlsplit(env[f"{name.upper()}_DATABASE_URL"])
        assert url.scheme == "postgresql+psycopg", service
        assert (url.hostname, url.path) == (f"{name}-db", f"/quintet_{name}"), service
        assert (url.username, url.password) == (
            db["environment"]["POSTGRES_USER"],
            db["environment"]["POSTGRES_PASSWORD"],
        )


def test_start_order_waits_for_databases_broker_and_migrations(
    compose_services: Services, db_component: "Component"
) -> None:
    name = db_component.name
    assert depends_on(compose_services[f"{name}-migrate"]) == {f"{name}-db": "service_healthy"}
    expected = {
        f"{name}-db": "service_healthy",
        "rabbitmq": "service_healthy",
        f"{name}-migrate": "service_completed_successfully",
    }
    for service in (name, f"{name}-worker"):
        assert depends_on(compose_services[service]) == expected, service


def test_every_dependency_exists(compose_services: Services) -> None:
    missing = {
        f"{service} -> {target}"
        for service, spec in compose_services.items()
        for target in depends_on(spec)
        if target not in compose_services
    }
    assert not missing


def test_every_long_running_service_has_a_healthcheck(compose_services: Services) -> None:
    for name, spec in compose_services.items():
        if name.endswith("-migrate"):
            continue
        assert health_url(spec), f"{name} has no healthcheck"
        if spec["image"].startswith("quintet/"):
            assert "/health/ready" in health_url(spec), name


def test_rabbitmq(compose_services: Services) -> None:
    rabbitmq = compose_services["rabbitmq"]
    assert rabbitmq["image"] == "rabbitmq:3.13-management"
    assert "rabbitmq-diagnostics" in health_url(rabbitmq)


def test_common_settings_reach_every_component(compose_services: Services, component: "Component") -> None:
    names = [component.name] + ([f"{component.name}-worker"] if component.has_database else [])
    for service in names:
        env = compose_services[service]["environment"]
        assert {"QUINTET_ENV", "AMQP_URL", "GATEWAY_SECRET"} <= set(env), service
        assert urlsplit(env["AMQP_URL"]).hostname == "rabbitmq", service


def test_the_gateway_is_published_on_8000_and_finds_every_service(
    compose_services: Services, db_component: "Component"
) -> None:
    gateway = compose_services["gateway"]
    assert "8000:8000" in [str(port) for port in gateway.get("ports", [])]
    env = gateway["environment"]
    assert env["GATEWAY_ADMIN_TOKEN"]
    upstreams = dict(item.split("=", 1) for item in env["GATEWAY_UPSTREAMS"].split(","))
    if db_component.name != "gateway":
        assert upstreams[db_component.name] == f"http://{db_component.name}:{db_component.port}"
    assert set(upstreams) <= set(compose_services)


def test_workers_can_be_scaled(compose_services: Services, db_component: "Component") -> None:
    worker = compose_services[f"{db_component.name}-worker"]
    assert worker["deploy"]["replicas"] >= 2
    # A fixed container name or a published port would stop a second replica from starting.
    assert "container_name" not in worker
    assert "ports" not in worker


def test_compose_accepts_the_file() -> None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose", "config", "-q"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose", "config", "-q"]
    else:
        unavailable("neither `docker compose` nor `docker-compose` is installed: schema not checked")
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
