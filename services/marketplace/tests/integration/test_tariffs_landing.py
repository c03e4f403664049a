"""Tariffs, purchases and the public landing page, on SQLite and PostgreSQL: the operator loads the
content (the bundled default or a file), the landing page is read without an app id, a seller with no
tariff is not limited, buying sets the current tariff and buying again extends it."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from marketplace.cli import app
from marketplace.landing import LandingIn, load_landing
from quintet_shared.db import session_scope


@pytest.fixture
def loaded(api: Any, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["landing", "load"])
    assert result.exit_code == 0, result.output
    assert '"tariffs": 3' in result.output


def test_the_landing_page_is_public(api: Any, loaded: None) -> None:
    page = api.public_get("/marketplace/public/landing")
    assert page.status_code == 200, page.text
    body = page.json()
    assert [t["code"] for t in body["tariffs"]] == ["start", "business", "pro"]
    assert body["tariffs"][0]["monitored_product_limit"] == 100 and len(body["reviews"]) == 2
    assert body["faq"][0]["question"].startswith("How does the repricer") and body["footer"][0]["url"] == "/terms"
    # A client's signature is not a public caller: the route answers client `-` only.
    assert api.get("/marketplace/public/landing").status_code == 401


def test_a_seller_buys_a_tariff_and_buying_again_extends_it(api: Any, loaded: None) -> None:
    assert api.get("/marketplace/tariff").json() == {"tariff": None, "purchase": None, "limited": False}
    tariffs = {t["code"]: t for t in api.get("/marketplace/tariffs").json()}
    first = api.created("/marketplace/tariff/purchases", {"tariff_id": tariffs["start"]["id"]})
    assert first["price_cents"] == 990_000 and first["tariff_name"] == "Start"
    current = api.get("/marketplace/tariff").json()
    assert current["limited"] is True and current["tariff"]["code"] == "start"

    second = api.created("/marketplace/tariff/purchases", {"tariff_id": tariffs["pro"]["id"]})
    assert second["starts_at"] == first["ends_at"]
    api.clock.advance(timedelta(days=31))
    assert api.get("/marketplace/tariff").json()["tariff"]["code"] == "pro"
    assert api.get("/marketplace/tariff/purchases").json()["count"] == 2
    assert api.get("/marketplace/tariff", client="others").json()["limited"] is False

    refused = api.post("/marketplace/tariff/purchases", {"tariff_id": 999_999})
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "tariff_id"]


def test_a_tariff_left_out_of_a_new_content_is_retired(api: Any, loaded: None, tmp_path: Path) -> None:
    start = next(t for t in api.get("/marketplace/tariffs").json() if t["code"] == "start")
    api.created("/marketplace/tariff/purchases", {"tariff_id": start["id"]})
    content = LandingIn.model_validate(
        {
            "tariffs": [
                {
                    "code": "pro",
                    "name": "Pro",
                    "price_cents": 1,
                    "monitored_product_limit": 5,
                    "monitoring_interval_seconds": 60,
                }
            ]
        }
    )
    with session_scope(api.engine) as session:
        load_landing(session, content, now=api.clock())
    assert [t["code"] for t in api.get("/marketplace/tariffs").json()] == ["pro"]
    assert api.get("/marketplace/tariff").json()["tariff"]["code"] == "start"  # the purchase runs on
    assert api.public_get("/marketplace/public/landing").json()["reviews"] == []

    bad = tmp_path / "bad.json"
    bad.write_text('{"tariffs": [{"code": "X Y"}]}')
    result = CliRunner().invoke(app, ["landing", "load", str(bad)])
    assert result.exit_code == 2 and "cannot load" in result.output
