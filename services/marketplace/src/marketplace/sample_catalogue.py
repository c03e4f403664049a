"""The sample catalogue (MongoDB exports of a Kaspi-style shop: products and categories) as a
product file for `POST /marketplace/products/files`.

Each product becomes one row: its object id is the SKU, its short name the name, its category's
name the category, its price (whole tenge) in cents; the repricer's bounds are set around it (floor
90 %, ceiling 110 %, step 1 tenge) with repricing off, so importing it changes no price by itself.
The exports are bounded before they are trusted (size, count, field types).
"""

import csv
import io
import json
from pathlib import Path
from typing import Any

from marketplace.product_file import COLUMNS

MAX_EXPORT_BYTES = 50 * 1024 * 1024
MAX_PRODUCTS = 100_000


def sample_csv(products_file: Path, categories_file: Path | None = None) -> str:
    """The product CSV of a products export (and, when given, the categories export for names)."""
    categories = (
        {_oid(item): str(item.get("name", ""))[:200] for item in _load(categories_file)} if categories_file else {}
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for item in _load(products_file)[:MAX_PRODUCTS]:
        writer.writerow(_row(item, categories))
    return out.getvalue()


def _row(item: dict[str, Any], categories: dict[str, str]) -> list[Any]:
    name = item.get("name")
    short = name.get("short") if isinstance(name, dict) else name
    price = item.get("price")
    cents = int(price) * 100 if isinstance(price, int | float) and price > 0 else ""
    return [
        _oid(item),
        " ".join(str(short or "").split())[:500],
        categories.get(str(item.get("category_id") or ""), ""),
        "",
        cents,
        cents * 9 // 10 if cents else "",
        cents * 11 // 10 if cents else "",
        100,
        "false",
    ]


def _oid(item: dict[str, Any]) -> str:
    value = item.get("_id")
    return str(value.get("$oid", "") if isinstance(value, dict) else value or "")[:100]


def _load(path: Path) -> list[dict[str, Any]]:
    if path.stat().st_size > MAX_EXPORT_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_EXPORT_BYTES} bytes")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path.name} is not a JSON array of documents")
    return [item for item in data if isinstance(item, dict)]
