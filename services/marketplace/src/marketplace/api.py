"""Marketplace routes, served under /marketplace/ behind the gateway signature: one router per
resource, joined here (the public feed is on its own router, api_feed.public)."""

from fastapi import APIRouter

from marketplace import api_feed, api_monitoring, api_notifications

router = APIRouter(tags=["marketplace"])
for part in (api_monitoring, api_notifications, api_feed):
    router.include_router(part.router)
