"""Subscriptions routes, served under /subscriptions/ behind the gateway signature: one router per
resource, joined here."""

from fastapi import APIRouter

from subscriptions import api_files, api_forecasts, api_settings, api_subscribers

router = APIRouter()
for part in (api_settings, api_files, api_forecasts, api_subscribers):
    router.include_router(part.router)
