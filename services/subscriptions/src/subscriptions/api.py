"""Subscriptions routes, served under /subscriptions/ behind the gateway signature: one router per
resource, joined here."""

from fastapi import APIRouter

from subscriptions import api_files, api_forecasts, api_settings, api_sms, api_subscribers

router = APIRouter()
for part in (api_settings, api_files, api_forecasts, api_subscribers, api_sms):
    router.include_router(part.router)

# Routes for callers that are not clients (ARCHITECTURE.md §11), under /subscriptions/public/.
public_routers = [api_sms.public]
