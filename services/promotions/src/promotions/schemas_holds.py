"""What the holds API reads and answers."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from promotions.schemas import Body, Id

UserRef = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    Field(description="The client's own reference for its user (as in /promotions/profiles/{user})"),
]
# 1 to 200 visible ASCII characters but `"` (a UUID is the usual choice); the IETF draft's quoted
# form ("...") is accepted too and means the same key.
IDEMPOTENCY_KEY_PATTERN = r'^(?:[!#-~]{1,200}|"[!#-~]{1,200}")$'


def unquoted(key: str) -> str:
    return key[1:-1] if key.startswith('"') else key


HoldState = Literal["held", "completed", "released", "expired"]


class HoldCreate(Body):
    promo_id: Id
    user: UserRef


class HoldUser(Body):
    user: UserRef


class HoldPublic(BaseModel):
    id: int
    promo_id: int
    user: str
    expires_at: datetime = Field(description="Until then the unit is the user's; complete the purchase before")
    status: HoldState = Field(
        description="`held` while it keeps its unit; `completed` (purchased), `released` or `expired` after"
    )


class PurchasePublic(BaseModel):
    id: int
    hold_id: int
    promo_id: int
    user: str
    amount_cents: int = Field(description="The promo price when the purchase was completed")
    currency: str
    completed_at: datetime
