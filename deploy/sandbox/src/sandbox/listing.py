"""GET /sandbox/providers: which stand-ins this sandbox serves, and where."""

from collections.abc import Sequence

from fastapi import APIRouter
from pydantic import BaseModel

from sandbox.providers import Provider


class ProviderPublic(BaseModel):
    name: str
    title: str
    prefix: str


class ProviderList(BaseModel):
    providers: list[ProviderPublic]


def listing_router(providers: Sequence[Provider]) -> APIRouter:
    router = APIRouter(prefix="/sandbox", tags=["sandbox"])
    body = ProviderList(
        providers=[ProviderPublic(name=p.name, title=p.title, prefix=p.prefix) for p in providers],
    )

    @router.get("/providers", response_model=ProviderList)
    async def list_providers() -> ProviderList:
        return body

    return router
