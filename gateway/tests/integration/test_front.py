"""The gateway's own pages: health, merged OpenAPI, docs and metrics."""

import httpx

from gateway.main import create_app


def test_health_is_503_while_a_service_is_down(stack):
    response = httpx.get(f"{stack.url}/health", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["gateway"]["checks"] == {"database": True}
    assert body["services"]["readings"]["status"] == "ok"
    assert body["services"]["crm"]["status"] == "ok"  # embedded: asked in-process
    assert body["services"]["marketplace"]["status"] == "unavailable"
    assert httpx.get(f"{stack.url}/health/ready").status_code == 200  # the gateway itself is fine


def test_health_is_200_when_everything_is_ready(serve, tmp_path, gateway_settings, make_fake_service):
    upstream = serve(make_fake_service("readings"))
    upstreams = {"readings": upstream.url, "crm": make_fake_service("crm")}
    gateway = serve(create_app(gateway_settings(f"sqlite:///{tmp_path / 'gw.db'}"), upstreams=upstreams, migrate=True))
    response = httpx.get(f"{gateway.url}/health", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"
    assert set(response.json()["services"]) == {"readings", "crm"}


def test_openapi_is_the_union_of_the_services_and_the_admin_api(stack):
    document = httpx.get(f"{stack.url}/openapi.json", timeout=10).json()
    paths = document["paths"]
    assert "/readings/echo" in paths and "/crm/events" in paths and "/admin/clients" in paths
    assert "/outside" not in paths  # not routed by the gateway
    schemas = document["components"]["schemas"]
    # Both services define a different `Item`: each keeps its own, and its references follow.
    assert "readings_Item" in schemas and "crm_Item" in schemas and "Item" not in schemas
    ok = paths["/crm/items/{item_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/crm_Item"}
    assert document["components"]["securitySchemes"]["AppId"]["name"] == "X-App-Id"
    assert paths["/readings/echo"]["get"]["security"] == [{"AppId": []}]
    assert "marketplace" in document["info"]["description"]  # down, so left out and said so


def test_docs_and_metrics(stack, register_client):
    client = register_client(stack.url, "metered", ["readings"])
    assert httpx.get(f"{stack.url}/readings/echo", headers={"X-App-Id": client["app_id"]}).status_code == 200
    docs = httpx.get(f"{stack.url}/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text and "swagger" in docs.text.lower()
    metrics = httpx.get(f"{stack.url}/metrics").text
    assert 'gateway_proxied_requests_total{service="readings",status="200"}' in metrics
    assert "gateway_proxy_response_seconds_bucket" in metrics
    assert 'http_requests_total{method="POST",route="/admin/clients",status="201"}' in metrics
