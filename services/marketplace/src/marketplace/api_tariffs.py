"""/marketplace/tariffs: the tariffs on sale, the caller's current tariff and its purchases."""

from fastapi import APIRouter, Request

from marketplace import tariffs
from marketplace.models import Tariff
from marketplace.schemas_tariffs import CurrentTariff, PurchaseCreate, PurchasePublic, TariffPublic
from quintet_shared.answers import INVALID, UNSIGNED
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["marketplace: tariffs"])


@router.get(
    "/marketplace/tariffs",
    response_model=list[TariffPublic],
    responses={**UNSIGNED},
    summary="The tariffs on sale, in the landing page's order",
)
def list_tariffs(client: ClientDep, session: SessionDep) -> list[TariffPublic]:
    return [tariffs.public(tariff) for tariff in tariffs.active_tariffs(session)]


@router.get(
    "/marketplace/tariff",
    response_model=CurrentTariff,
    responses={**UNSIGNED},
    summary="The caller's current tariff (none: not limited)",
)
def get_current(client: ClientDep, session: SessionDep, now: NowDep) -> CurrentTariff:
    return tariffs.current(session, client=client.client_code, now=now)


@router.post(
    "/marketplace/tariff/purchases",
    status_code=201,
    response_model=PurchasePublic,
    responses={**UNSIGNED, **INVALID},
    summary="Buy a tariff: it starts now, or when the current purchase ends",
)
def buy(data: PurchaseCreate, client: ClientDep, session: SessionDep, now: NowDep) -> PurchasePublic:
    purchase = tariffs.buy(session, client=client.client_code, tariff_id=data.tariff_id, now=now)
    session.commit()
    tariff = session.get(Tariff, purchase.tariff_id)
    assert tariff is not None
    return tariffs.purchase_public(purchase, tariff)


@router.get(
    "/marketplace/tariff/purchases",
    response_model=Page[PurchasePublic],
    responses={**UNSIGNED, **INVALID},
    summary="The caller's tariff purchases, newest first",
)
def list_purchases(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[PurchasePublic]:
    items, count = tariffs.purchases(session, client=client.client_code, offset=(page - 1) * page_size, limit=page_size)
    return page_of(items, count=count, page=page, page_size=page_size, url=request.url)
