"""Marketplace routes, served under /marketplace/ behind the gateway signature: one router per
resource, joined here. Public routes (no app id) are on `api_landing`'s and `api_feed.public`'s routers."""

from fastapi import APIRouter

from marketplace import (
    api_feed,
    api_monitoring,
    api_notifications,
    api_orders,
    api_product_files,
    api_products,
    api_sales_points,
    api_stores,
    api_tariffs,
)

router = APIRouter(tags=["marketplace"])
for part in (
    api_stores,
    api_sales_points,
    api_products,
    api_product_files,
    api_orders,
    api_tariffs,
    api_monitoring,
    api_notifications,
    api_feed,
):
    router.include_router(part.router)
