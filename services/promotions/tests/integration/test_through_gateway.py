"""The promotions API through the real gateway (signed headers, client registry, app ids), both ways
the gateway reaches a service: over HTTP (distributed mode) and in its process (embedded mode), on
SQLite and PostgreSQL. Two clients: each sees only its own rows."""

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from gateway.config import Settings as GatewaySettings
from gateway.main import create_app as create_gateway
from promotions.component import DEFINITION
from promotions.config import Settings
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import create_service_app
from quintet_shared.db import make_engine
from quintet_shared.geo import destination
from quintet_shared.migrations import upgrade
from quintet_shared.runtime import Runtime
from quintet_shared.settings import DEV_ADMIN_TOKEN
from quintet_shared.testing.loop_server import serving_in_loop

ALMATY = (43.2380, 76.8829)


@pytest.mark.parametrize("mode", ["service over HTTP", "service in process"])
async def test_a_flash_promo_through_the_gateway(mode: str, database_url: str, tmp_path: Path) -> None:
    upgrade(DEFINITION.migrations, database_url)
    bus = InMemoryBus()
    await bus.start()
    runtime = Runtime(engine=make_engine(database_url), bus=bus, owns_bus=False)
    promotions = create_service_app(DEFINITION, Settings(database_url=database_url), runtime)
    gateway_settings = GatewaySettings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}")
    try:
        async with promotions.router.lifespan_context(promotions):
            if mode == "service over HTTP":
                async with serving_in_loop(promotions) as url:
                    await _flash_promo(gateway_settings, url)
            else:
                await _flash_promo(gateway_settings, promotions)
    finally:
        await bus.close()
        runtime.engine.dispose()


async def _flash_promo(gateway_settings: GatewaySettings, promotions: object) -> None:
    gateway = create_gateway(gateway_settings, upstreams={"promotions": promotions}, migrate=True)
    async with serving_in_loop(gateway) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        shop, rival = await _register(http, "shop"), await _register(http, "rival")

        async def created(target: str, body: dict[str, object]) -> dict[str, object]:
            answer = await http.post(target, headers=shop, json=body)
            assert answer.status_code == 201, answer.text
            return answer.json()

        store = await created(
            "/promotions/stores",
            {"name": "Almaty Central", "latitude": ALMATY[0], "longitude": ALMATY[1], "timezone": "Asia/Almaty"},
        )
        product = await created(
            "/promotions/products",
            {"store_id": store["id"], "name": "Headphones", "regular_price_cents": 100_000, "currency": "KZT"},
        )
        await created("/promotions/segments", {"name": "New users"})
        promo = await created(
            "/promotions/promos",
            {
                "product_id": product["id"],
                "promo_price_cents": 59_900,
                "starts_at": "2020-01-01T00:00:00Z",
                "ends_at": "2100-01-01T00:00:00Z",
                "segments": ["New users"],
                "radius_km": 10,
                "units": 100,
            },
        )
        near = destination(*ALMATY, 200, 6)
        profile = {"email": "ana@example.com", "latitude": near[0], "longitude": near[1], "segments": ["New users"]}
        assert (await http.put("/promotions/profiles/ana", headers=shop, json=profile)).status_code == 201
        for user in ("shop/7", "%2F", "100%"):  # any reference a CSV import takes is addressable, escaped
            target = f"/promotions/profiles/{quote(user, safe='')}"
            assert (await http.put(target, headers=shop, json={})).status_code == 201, user
            assert (await http.get(target, headers=shop)).json()["user"] == user

        running = (await http.get("/promotions/promos/running", headers=shop)).json()
        assert [(item["id"], item["units_left"]) for item in running["results"]] == [(promo["id"], 100)]
        eligible = (await http.get("/promotions/promos/eligible", params={"user": "ana"}, headers=shop)).json()
        assert [item["id"] for item in eligible["results"]] == [promo["id"]]
        assert abs(eligible["results"][0]["distance_km"] - 6) < 0.001
        stats = (await http.get(f"/promotions/promos/{promo['id']}/stats", headers=shop)).json()
        assert stats == {"units": 100, "held": 0, "sold": 0, "notified": 0}

        bad = await http.post("/promotions/promos", headers=shop, json={"product_id": product["id"], "radius_km": -1})
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        duplicate = await http.post("/promotions/segments", headers=shop, json={"name": "New users"})
        assert duplicate.status_code == 409 and duplicate.json()["code"] == "duplicate_name"

        for target in (
            f"/promotions/promos/{promo['id']}",
            f"/promotions/stores/{store['id']}",
            "/promotions/profiles/ana",
        ):
            assert (await http.get(target, headers=rival)).status_code == 404, target
        assert (await http.get("/promotions/promos/running", headers=rival)).json()["count"] == 0
        assert (await http.get("/promotions/promos/running")).status_code == 401  # no app id


async def _register(http: httpx.AsyncClient, code: str) -> dict[str, str]:
    admin = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
    body = {"code": code, "name": code.title(), "services": ["promotions"]}
    created = await http.post("/admin/clients", headers=admin, json=body)
    assert created.status_code == 201, created.text
    return {"X-App-Id": created.json()["app_id"]}
