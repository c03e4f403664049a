"""The daily SMS's routes: each gateway's figures (for the client), and the delivery-receipt
callback (public: the gateways that call it have no app id; its token says whose it is)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, SessionDep
from quintet_shared.errors import documented_problem
from quintet_shared.public import PublicCallerDep, public_router
from subscriptions import sms_receipts
from subscriptions.api_answers import INVALID, UNSIGNED
from subscriptions.config import Settings
from subscriptions.schemas_sms import GatewaysAnswer, LocalDate, Receipt, ReceiptAnswer
from subscriptions.sms_stats import gateway_stats

router = APIRouter(tags=["subscriptions: sms"])
public = public_router("subscriptions")


@router.get(
    "/subscriptions/sms/gateways",
    response_model=GatewaysAnswer,
    responses={**UNSIGNED, **INVALID},
    summary="Each SMS gateway's messages sent, delivered, failed, expired, and median delivery time",
)
def get_gateways(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    day: Annotated[LocalDate | None, Query(description="One local date (YYYY-MM-DD); every date when left out")] = None,
) -> GatewaysAnswer:
    settings = request.app.state.settings
    configured = settings.sms_gateway_names if isinstance(settings, Settings) else ()
    stats = gateway_stats(session, client=client.client_code, day=day, configured=configured)
    return GatewaysAnswer(day=day, gateways=stats)


@public.post(
    "/sms/{token}",
    response_model=ReceiptAnswer,
    responses={
        404: documented_problem("No client has this token, or the client sent no SMS with this msgid"),
        **INVALID,
    },
    summary="A gateway's delivery receipt for an SMS (the URL sent with it; no app id)",
)
def post_receipt(
    token: Annotated[str, Path(description="The client's secret callback token")],
    receipt: Receipt,
    caller: PublicCallerDep,
    session: SessionDep,
    now: NowDep,
) -> ReceiptAnswer:
    outcome = sms_receipts.record_receipt(session, token=token, msgid=receipt.msgid, status=receipt.status, now=now)
    session.commit()
    return ReceiptAnswer(msgid=outcome.msgid, status=outcome.status)  # type: ignore[arg-type]
