"""Defect 7 of issue 7: the merged OpenAPI document did not say what the API answers (401 and 403
undocumented on service routes, problem+json declared as application/json, 400 for a malformed body
undocumented), and a 405's `Allow` named the wrong methods (`OPTIONS /readings/files`: `Allow: GET`).

The gateway in front of every real service, in-process as embedded mode runs them.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.config import Settings as GatewaySettings
from gateway.main import create_app
from quintet_platform.components import service_definitions
from quintet_shared.component import create_service_app
from quintet_shared.errors import PROBLEM_JSON

ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PROBLEM_SCHEMA = {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
# The original v2 contract answers an unknown supply point with its own envelope, on purpose; a
# health check that fails answers with the same report as when it passes.
NOT_PROBLEMS = {("/readings/v2/{identifier}", "get", "400"), ("/health", "get", "503"), ("/health/ready", "get", "503")}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    services = {d.name: create_service_app(d, d.settings()) for d in service_definitions()}
    database = Path(tmp_path_factory.mktemp("gateway")) / "gateway.db"
    settings = GatewaySettings(database_url=f"sqlite:///{database}", admin_token=ADMIN_TOKEN)
    with TestClient(create_app(settings, upstreams=services, migrate=True)) as client:
        every = {"code": "docs-reader", "name": "Reads the docs", "services": sorted(services)}
        registered = client.post("/admin/clients", json=every, headers=ADMIN)
        assert registered.status_code == 201, registered.text
        client.headers.update({**ADMIN, "X-App-Id": registered.json()["app_id"]})
        yield client


@pytest.fixture(scope="module")
def document(gateway: TestClient) -> dict[str, Any]:
    response = gateway.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, o) for p, item in document["paths"].items() for m, o in item.items() if m != "parameters"]


def service_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, o) for p, m, o in operations(document) if not p.startswith(("/admin", "/health"))]


def test_merged_openapi_declares_every_answer_of_every_service_operation(document):
    found = service_operations(document)
    assert {path.split("/")[1] for path, _, _ in found} == {d.name for d in service_definitions()}
    for path, method, operation in found:
        statuses = set(operation["responses"])
        public = path.split("/")[2] == "public"  # ARCHITECTURE.md §11: no app id, so no 401 or 403 of the gateway's
        expected = {"408", "422", "429", "431", "502", "503", "504"} | (set() if public else {"401", "403"})
        if "requestBody" in operation:
            expected |= {"400", "413"}
        if "{" in path:
            expected.add("404")
        assert expected <= statuses, (method, path, sorted(expected - statuses))
        assert operation["security"] == ([] if public else [{"AppId": []}]), (method, path)
        assert "Retry-After" in operation["responses"]["429"]["headers"]
        assert "Retry-After" in operation["responses"]["503"]["headers"]


def test_merged_openapi_declares_every_error_as_problem_json(document):
    assert "ProblemDetails" in document["components"]["schemas"]
    assert document["paths"]["/health"]["get"]["responses"]["503"]["content"] == {
        "application/json": {"schema": {"type": "object"}}
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45" and (path, method, status) not in NOT_PROBLEMS:
                assert response.get("content") == {PROBLEM_JSON: PROBLEM_SCHEMA}, (method, path, status)


def test_merged_openapi_declares_the_answers_of_the_admin_api(document):
    create = document["paths"]["/admin/clients"]["post"]["responses"]
    assert {"400", "401", "409", "413", "422"} <= set(create)
    client = document["paths"]["/admin/clients/{code}"]
    assert {"404", "422"} <= set(client["get"]["responses"]) and {"400", "404"} <= set(client["patch"]["responses"])
    services = document["components"]["schemas"]["ClientCreate"]["properties"]["services"]["items"]
    assert services["enum"] == sorted(d.name for d in service_definitions())


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/readings/files", "POST"),  # not the identifier "files" (its route comes first)
        ("/readings/0300111001601606083625", "GET"),
        ("/readings/supply-points", "GET"),
        ("/admin/clients", "GET, POST"),  # two routes, one path
        ("/admin/clients/potatoes", "GET, PATCH"),
    ],
)
def test_a_405_allows_exactly_the_methods_of_its_path_as_problem_json(gateway, path, allowed):
    response = gateway.request("OPTIONS", path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["status"] == 405
