"""The admin API over HTTP, on SQLite and on PostgreSQL."""

import httpx
import pytest
from sqlalchemy import create_engine, select

from gateway.main import create_app
from quintet_shared.tables import outbox_message


@pytest.fixture
def admin(serve, database_url, gateway_settings, admin_headers):
    app = create_app(
        gateway_settings(database_url),
        upstreams={"readings": "http://127.0.0.1:9", "crm": "http://127.0.0.1:9"},
        migrate=True,
    )
    server = serve(app)
    client = httpx.Client(base_url=server.url, headers=admin_headers, timeout=10)
    yield client
    client.close()


def outbox_types(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        types = list(conn.scalars(select(outbox_message.c.type).order_by(outbox_message.c.id)))
    engine.dispose()
    return types


def test_without_or_with_a_wrong_token_is_401(admin):
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        response = admin.get("/admin/clients", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["request_id"] == response.headers["x-request-id"]


def test_create_returns_the_app_id_once_and_records_the_event(admin, database_url):
    body = {"code": "potatoes", "name": "Potatoes Ltd", "services": ["readings"], "rate_limit_per_minute": 120}
    created = admin.post("/admin/clients", json=body)
    assert created.status_code == 201, created.text
    client = created.json()
    assert client["app_id"] and client["active"] is True
    assert {k: client[k] for k in body} == body
    assert outbox_types(database_url) == ["gateway.client.registered"]

    assert admin.post("/admin/clients", json=body).status_code == 409
    unknown = admin.post("/admin/clients", json={**body, "code": "other", "services": ["readings", "weather"]})
    assert unknown.status_code == 422
    assert admin.post("/admin/clients", json={**body, "code": "Bad Code!"}).status_code == 422
    # The refused creations wrote no events.
    assert outbox_types(database_url) == ["gateway.client.registered"]

    shown = admin.get("/admin/clients/potatoes").json()
    assert "app_id" not in shown and "app_id_hash" not in shown


def test_list_is_paginated_and_never_shows_app_ids(admin):
    for index in range(3):
        admin.post("/admin/clients", json={"code": f"client-{index}", "name": "C", "services": ["crm"]})
    first = admin.get("/admin/clients", params={"page_size": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["previous"] is None and first["next"]
    second = admin.get(first["next"]).json()
    assert [c["code"] for c in second["results"]] == ["client-2"] and second["next"] is None
    assert all("app_id" not in c for c in first["results"] + second["results"])
    assert first["results"][0]["rate_limit_per_minute"] == 600  # the default


def test_patch_and_rotate(admin, database_url):
    created = admin.post("/admin/clients", json={"code": "carrots", "name": "Carrots", "services": ["readings"]}).json()
    patched = admin.patch("/admin/clients/carrots", json={"services": ["readings", "crm"], "rate_limit_per_minute": 5})
    assert patched.status_code == 200
    assert patched.json()["services"] == ["readings", "crm"] and patched.json()["rate_limit_per_minute"] == 5
    assert admin.patch("/admin/clients/carrots", json={"services": ["nope"]}).status_code == 422
    assert admin.patch("/admin/clients/nobody", json={"active": False}).status_code == 404

    rotated = admin.post("/admin/clients/carrots/rotate-app-id")
    assert rotated.status_code == 200
    assert rotated.json()["app_id"] != created["app_id"]
    assert admin.post("/admin/clients/nobody/rotate-app-id").status_code == 404
    # Registered, then updated once; a rotation changes only the secret.
    assert outbox_types(database_url) == ["gateway.client.registered", "gateway.client.updated"]


@pytest.mark.parametrize("content_type", ["application/vnd.api+json", "application/json", "text/plain", None])
def test_defect_5_a_client_name_with_nul_is_refused_whatever_the_content_type(admin, database_url, content_type):
    body = b'{"code": "nul", "name": "Nul\\u0000Ltd", "services": ["readings"]}'
    headers = {} if content_type is None else {"content-type": content_type}
    response = admin.post("/admin/clients", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert admin.get("/admin/clients/nul").status_code == 404
    assert outbox_types(database_url) == []  # never spread to the services
