"""Product files, CSV and XLSX, through the API and the worker's job, on SQLite and PostgreSQL:
upsert by SKU, row errors with their line, a changed price in the history, the sample catalogue
imports; malformed files (wrong columns, a negative price, min above max, a non-XLSX file named
.xlsx, an empty file) give row errors or FAILURE with the reason, never a 500."""

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from marketplace.sample_catalogue import sample_csv

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "marketplace-sample"
HEADER = "sku,name,category,marketplace_product_id,price_cents,min_price_cents,max_price_cents,step_cents,repricing"


async def imported(api: Any, worker: Any, content: bytes, name: str = "products.csv") -> dict[str, Any]:
    accepted = api.post("/marketplace/products/files", files={"file": (name, content)})
    assert accepted.status_code == 202, accepted.text
    await worker.step()
    status = api.get(accepted.json()["status_url"])
    assert status.status_code == 200, status.text
    return status.json()


def by_sku(api: Any) -> dict[str, dict[str, Any]]:
    return {p["sku"]: p for p in api.get("/marketplace/products?page_size=500").json()["results"]}


async def test_a_csv_creates_and_updates_products_by_sku(api: Any, worker: Any, shop: dict[str, Any]) -> None:
    content = (
        f"{HEADER}\n"
        "PHONE-1,Phone,Phones,100200300,9900000,9000000,12000000,100,true\n"
        "CASE-1,Case,,,500000,,,,\n"
        "CASE-1,Case (black),,,510000,,,,no\n"
        "BAD-1,Bad,,,-5,,,,\n"
        "BAD-2,Bad,,,100,300,200,,\n"
        "BAD-3,Bad,,,abc,,,,\n"
        "\n"
        "BAD-4,Bad,,,100,,,,maybe\n"
    ).encode()
    job = await imported(api, worker, content)
    assert job["status"] == "SUCCESS", job
    assert job["result"] | {"sha256": None} == {
        "rows": 7,
        "created": 1,
        "updated": 1,
        "repeated": 1,
        "rejected": 4,
        "price_changes": 1,
        "sha256": None,
    }
    lines = {error["line"]: error["message"] for error in job["errors"]}
    assert sorted(lines) == [5, 6, 7, 9]
    assert "price_cents" in lines[5] and lines[6] == "min_price_cents (300) is above max_price_cents (200)"
    assert "'abc' is not an integer" in lines[7] and "repricing" in lines[9]

    products = by_sku(api)
    assert set(products) == {"PHONE-1", "CASE-1"}
    assert products["CASE-1"]["name"] == "Case (black)" and products["CASE-1"]["price_cents"] == 510_000
    assert products["CASE-1"]["min_price_cents"] == 510_000 and products["CASE-1"]["repricing"] is False
    phone = products["PHONE-1"]
    assert phone["price_cents"] == 9_900_000 and phone["stock"] == shop["product"]["stock"]  # stock kept
    history = api.get(f"/marketplace/products/{phone['id']}/price-history").json()["results"]
    assert [(h["source"], h["old_price_cents"], h["new_price_cents"]) for h in history] == [
        ("upload", 10_000_000, 9_900_000)
    ]


async def test_an_xlsx_imports_like_a_csv(api: Any, worker: Any) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "Name", "price_cents", "repricing", "step_cents"])
    sheet.append(["X-1", "Kettle", 1_500_000, True, 500])
    sheet.append([12345, "Numbered", 99.0, "false", None])
    sheet.append(["X-2", "Half", 10.5, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    job = await imported(api, worker, buffer.getvalue(), "catalogue.xlsx")
    assert job["status"] == "SUCCESS" and job["result"]["created"] == 2, job["errors"]
    assert [(e["line"], "whole number" in e["message"]) for e in job["errors"]] == [(4, True)]
    products = by_sku(api)
    assert products["X-1"]["step_cents"] == 500 and products["X-1"]["repricing"] is True
    assert products["12345"]["price_cents"] == 99


async def test_the_sample_catalogue_imports(api: Any, worker: Any) -> None:
    content = sample_csv(SAMPLE / "db_kaspi.products.json", SAMPLE / "db_kaspi.categories.json").encode()
    job = await imported(api, worker, content, "sample.csv")
    assert job["status"] == "SUCCESS" and job["errors"] == [], job
    # 40 documents, but the export repeats some products under the same id.
    assert job["result"]["rows"] == 40 and job["result"]["rejected"] == 0
    products = by_sku(api)
    assert len(products) == job["result"]["created"] >= 1
    iphone = products["6580a5896d718b80f0ccbc80"]
    assert iphone["name"] == "Apple iPhone 11 128Gb Slim Box красный" and iphone["price_cents"] == 31_296_600
    assert iphone["category"] != "" and iphone["min_price_cents"] < iphone["price_cents"] < iphone["max_price_cents"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("wrong.csv", b"sku,title,price\nA,B,1\n", "unknown column 'title'"),
        ("missing.csv", b"sku,name\nA,B\n", "lacks the required column price_cents"),
        ("twice.csv", b"sku,name,price_cents,sku\nA,B,1,A\n", "named twice"),
        ("fake.xlsx", b"sku,name,price_cents\nA,B,1\n", "not an XLSX workbook"),
        ("zip.xlsx", b"PK\x03\x04" + b"\x00" * 200, "XLSX"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "must be the header"),
        ("blank.csv", b"\n\n", "must be the header"),
    ],
)
async def test_a_file_that_cannot_be_read_fails_with_its_reason(
    api: Any, worker: Any, name: str, content: bytes, reason: str
) -> None:
    job = await imported(api, worker, content, name)
    assert job["status"] == "FAILURE", job
    assert reason in job["errors"][0]["message"], job["errors"]
    assert api.get("/marketplace/products").json()["count"] == 0


def test_an_empty_file_or_no_file_is_refused_at_once(api: Any) -> None:
    empty = api.post("/marketplace/products/files", files={"file": ("empty.csv", b"")})
    assert empty.status_code == 422 and empty.json()["detail"] == "The file is empty."
    none = api.post("/marketplace/products/files", data={"other": "x"})
    assert none.status_code == 422
