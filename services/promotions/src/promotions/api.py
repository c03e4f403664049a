"""Promotions routes, served under /promotions/ behind the gateway signature: one router per
resource, joined here. The promo views come before the promo CRUD, whose `/promotions/promos/{id}`
would otherwise take `running` and `eligible` as an id."""

from fastapi import APIRouter

from promotions import (
    api_holds,
    api_products,
    api_profile_files,
    api_profiles,
    api_promo_views,
    api_promos,
    api_segments,
    api_stores,
)

router = APIRouter()
for part in (
    api_stores,
    api_products,
    api_segments,
    api_profiles,
    api_profile_files,
    api_promo_views,
    api_promos,
    api_holds,
):
    router.include_router(part.router)
