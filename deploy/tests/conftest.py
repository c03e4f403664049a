"""What the containers-mode files must agree with: the components and ports of CONVENTIONS.md.

Tests take `component` (every component), `db_component` (those owning a database, hence a
migrate step and a worker) or `k8s_file` (every manifest) as parameters; see pytest_generate_tests.
"""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"

# Where each component lives (ARCHITECTURE.md §1); ports come from CONVENTIONS.md below.
FOLDERS = {
    "gateway": "gateway",
    "readings": "services/readings",
    "promotions": "services/promotions",
    "subscriptions": "services/subscriptions",
    "crm": "services/crm",
    "marketplace": "services/marketplace",
    "sandbox": "deploy/sandbox",
}
WITHOUT_DATABASE = {"sandbox"}
SMTP_PORT = 8025


@dataclass(frozen=True)
class Component:
    name: str
    folder: Path
    port: int
    health_port: int | None  # the worker's; None for a component without a worker

    @property
    def has_database(self) -> bool:
        return self.health_port is not None

    @property
    def dockerfile(self) -> Path:
        return self.folder / "Dockerfile"

    def console_scripts(self) -> dict[str, str]:
        pyproject = self.folder / "pyproject.toml"
        assert pyproject.exists(), f"{pyproject.relative_to(REPO)} is missing"
        return tomllib.loads(pyproject.read_text())["project"].get("scripts", {})


def conventions() -> tuple[dict[str, int], int]:
    """API ports and the worker health port offset, read from CONVENTIONS.md."""
    text = (REPO / "CONVENTIONS.md").read_text()
    ports_text = re.search(r"API ports:(.*?)Worker health ports", text, re.S)
    offset = re.search(r"Worker health ports: API port \+ (\d+)", text)
    assert ports_text and offset, "CONVENTIONS.md no longer states the ports in the expected words"
    ports = {name: int(port) for name, port in re.findall(r"([a-z]+) (\d{4})", ports_text.group(1))}
    return ports, int(offset.group(1))


def components() -> list[Component]:
    ports, offset = conventions()
    assert set(ports) == set(FOLDERS), f"CONVENTIONS.md lists {sorted(ports)}, the deploy tests know {sorted(FOLDERS)}"
    return [
        Component(name, REPO / folder, ports[name], None if name in WITHOUT_DATABASE else ports[name] + offset)
        for name, folder in FOLDERS.items()
    ]


def k8s_files() -> list[Path]:
    return sorted(path for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    everything = components()
    if "component" in metafunc.fixturenames:
        metafunc.parametrize("component", everything, ids=[c.name for c in everything])
    if "db_component" in metafunc.fixturenames:
        owners = [c for c in everything if c.has_database]
        metafunc.parametrize("db_component", owners, ids=[c.name for c in owners])
    if "k8s_file" in metafunc.fixturenames:
        files = k8s_files()
        metafunc.parametrize("k8s_file", files, ids=[f.name for f in files])


@pytest.fixture(scope="session")
def compose_services() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


@pytest.fixture(scope="session")
def k8s_resources() -> list[dict[str, Any]]:
    return [doc for path in k8s_files() for doc in yaml.safe_load_all(path.read_text()) if doc]
