"""The `billing` provider: a carrier billing API that charges a phone number for a subscription plan.

`POST /sandbox/billing/charges` with header `Auth-Key: <SANDBOX_BILLING_AUTH_KEY>` and
`{"msisdn": "<8-15 digits>", "sub_plan": "11" (daily) | "21" (weekly)}` → 200 `{"status": "success"}`,
or 200 `{"status": "failure"}` when the charge is declined (the original provider's business
failure: no credit, a barred line). A missing or wrong key → 401; a malformed body → 422.

Two kinds of failure, set with `PUT /sandbox/billing/behaviour`:
- `failure_rate`: the share of charges **declined** (200 `{"status": "failure"}`): the provider
  handled the charge and said no; listed in `received` with their status, counted as failed.
- `error_rate`, `down`, `latency_ms`, `rate_limit_per_second`: **transport faults** (503, a reset
  connection, a slow answer, 429): the provider did not handle the charge, nothing was charged, and
  a retry is decided afresh. A 503 or 429 is counted as failed but not listed.
Both draw from the one generator seeded with `seed`, so one seed and one sequence of charges always
give the same outcomes.

An `Idempotency-Key` header (Stripe's) makes a retry safe: the same key from the same client
(`X-Client-Code`) is answered with the first answer again (with `Idempotent-Replayed: true`),
neither charged nor listed nor counted twice; the same key with another body → 422
`idempotency_key_reused`. A 503, 429 or reset connection stores nothing under the key.
"""

import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from quintet_shared.errors import problem_response
from sandbox.config import Settings
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.inspection import inspection_router
from sandbox.kit.seen import SeenKeys
from sandbox.kit.standin import StandIn, client_of
from sandbox.provider import Provider

MSISDN_PATTERN = r"^[0-9]{8,15}$"
ChargeStatus = Literal["success", "failure"]


class BillingBehaviour(Behaviour):
    failure_rate: float = Field(
        0.0, ge=0, le=1, description='Share of charges declined: 200 {"status": "failure"} (a business failure)'
    )
    error_rate: float = Field(0.0, ge=0, le=1, description="Share of charges answered 503 (a transport fault)")

    @property
    def server_failure_rate(self) -> float:
        return self.error_rate


class Charge(BaseModel):
    msisdn: str = Field(pattern=MSISDN_PATTERN, description="The phone number, digits with the country code")
    sub_plan: Literal["11", "21"] = Field(description='"11" daily, "21" weekly')


class ChargeResult(BaseModel):
    status: ChargeStatus


def billing_provider(settings: Settings) -> Provider:
    stand_in = StandIn(settings.received_limit, BillingBehaviour)
    # Per (client, idempotency key): the charge it was sent with and the answer it got.
    seen: SeenKeys[tuple[Charge, ChargeStatus]] = SeenKeys(settings.received_limit)
    stand_in.on_reset(seen.clear)
    auth_key = APIKeyHeader(name="Auth-Key", auto_error=False)
    expected = settings.billing_auth_key.encode()

    def authorized(key: Annotated[str | None, Depends(auth_key)]) -> None:
        if key is None or not hmac.compare_digest(key.encode(), expected):
            raise HTTPException(401, "A valid Auth-Key header is required.")

    api = stand_in.api_router()

    @api.post(
        "/charges",
        response_model=ChargeResult,
        dependencies=[Depends(authorized)],
        responses={
            401: {"description": "Missing or wrong Auth-Key"},
            429: {"description": "Throttled"},
            503: {"description": "The provider failed (nothing was charged)"},
        },
    )
    async def charge(
        body: Charge,
        request: Request,
        idempotency_key: Annotated[
            str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255, description="Makes a retry safe")
        ] = None,
    ) -> ChargeResult | Response:
        """Charge `msisdn` for `sub_plan`: `success`, or `failure` when the charge is declined."""
        client = client_of(request)
        key = (client, idempotency_key) if idempotency_key else None
        first = seen.get(key) if key else None
        if first is not None:
            charged, answered = first
            if charged != body:
                detail = "This Idempotency-Key was already used with another charge."
                return problem_response(422, detail, code="idempotency_key_reused")
            return JSONResponse({"status": answered}, headers={"Idempotent-Replayed": "true"})
        refusal = stand_in.refusal(1)
        if refusal is not None:
            return refusal
        behaviour = stand_in.faults.behaviour
        status: ChargeStatus = "failure" if stand_in.faults.draw() < behaviour.failure_rate else "success"
        item = {**body.model_dump(), "status": status, "idempotency_key": idempotency_key}
        if status == "success":
            stand_in.recorder.accept(client, [item])
        else:
            stand_in.recorder.decline(client, [item])
        if key:
            seen.add(key, (body, status))
        return ChargeResult(status=status)

    router = APIRouter()
    router.include_router(api)
    router.include_router(inspection_router(stand_in))
    return Provider(name="billing", title="Billing (carrier charges per subscription plan)", router=router)
