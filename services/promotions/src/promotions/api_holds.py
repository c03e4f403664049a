"""POST /promotions/holds, GET and DELETE /promotions/holds/{id}, POST /promotions/holds/{id}/complete.

The client's backend calls these on its users' behalf: each names the user, and a hold is found only
by its own client and user (anyone else's is 404). DELETE and GET take `user` as a query parameter
(a DELETE's body has no defined meaning in HTTP, and proxies may drop it); POSTs in the body.
"""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from promotions import holds, purchases
from promotions.api_answers import INVALID, UNSIGNED, RowId, conflict, unknown
from promotions.schemas_holds import (
    IDEMPOTENCY_KEY_PATTERN,
    HoldCreate,
    HoldPublic,
    HoldUser,
    PurchasePublic,
    unquoted,
)
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, SessionDep
from quintet_shared.errors import documented_problem

router = APIRouter(tags=["promotions: holds"])
UNKNOWN = unknown("hold of this user")
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description=(
            "Optional, 1 to 200 visible ASCII characters (a UUID, say), unique per hold: a retry with "
            "the same key and body answers the first 201 again (header `Idempotent-Replayed: true`) "
            "instead of taking a second unit; the same key with another body is 422 "
            "`idempotency_key_reused`. A refused hold (409) stores nothing: its retry is decided afresh."
        ),
    ),
]
UserQuery = Annotated[str, Query(min_length=1, max_length=200, description="The client's reference for its user")]


@router.post(
    "/promotions/holds",
    status_code=201,
    response_model=HoldPublic,
    responses={
        **UNSIGNED,
        **INVALID,
        **conflict("No hold: `not_running`, `not_eligible`, `too_far`, `already_held`, `limit_reached` or `sold_out`"),
    },
    summary="Hold one unit of a running promo for a user, for PROMOTIONS_HOLD_SECONDS (60 by default)",
    description=(
        "Atomic across replicas: never more holds and purchases than units. The user must be eligible "
        "as in GET /promotions/promos/eligible (a segment in common, within the radius); a user without "
        "a profile or a location is `not_eligible`. One live hold per user and promo; purchases and the "
        "live hold count against `per_user_limit`. An expired hold's unit comes back by itself."
    ),
)
def take_hold(
    data: HoldCreate,
    request: Request,
    response: Response,
    client: ClientDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> HoldPublic:
    taken = holds.take_hold(
        session,
        client=client.client_code,
        data=data,
        key=unquoted(idempotency_key) if idempotency_key is not None else None,
        now=now,
        hold_seconds=request.app.state.settings.hold_seconds,
    )
    session.commit()
    if taken.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return taken.hold


@router.get(
    "/promotions/holds/{id:int}",
    response_model=HoldPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="A user's hold as it is now (`expired` once past `expires_at`)",
)
def get_hold(id: RowId, user: UserQuery, client: ClientDep, session: SessionDep, now: NowDep) -> HoldPublic:
    return holds.get_hold(session, client=client.client_code, id=id, user=user, now=now)


@router.post(
    "/promotions/holds/{id:int}/complete",
    status_code=201,
    response_model=PurchasePublic,
    responses={
        **UNSIGNED,
        **UNKNOWN,
        **INVALID,
        **conflict("The hold was completed already (`already_completed`) or released (`released`)"),
        410: documented_problem("The hold expired (`expired`): its unit was given back; take a new hold"),
    },
    summary="Complete the purchase of a user's live hold; publishes promotions.purchase.completed",
    description="Body `{user}`: the hold's user (another user's hold is 404). Priced at the promo price.",
)
def complete_hold(id: RowId, data: HoldUser, client: ClientDep, session: SessionDep, now: NowDep) -> PurchasePublic:
    purchase = purchases.complete_hold(
        session, client=client.client_code, id=id, user=data.user, now=now, request_id=client.request_id
    )
    session.commit()
    return purchase


@router.delete(
    "/promotions/holds/{id:int}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **conflict("The hold was completed: `already_completed`")},
    summary="Release a user's hold: its unit is given back (204 also when it had expired or was released)",
)
def release_hold(id: RowId, user: UserQuery, client: ClientDep, session: SessionDep, now: NowDep) -> Response:
    holds.release_hold(session, client=client.client_code, id=id, user=user, now=now)
    session.commit()
    return Response(status_code=204)
