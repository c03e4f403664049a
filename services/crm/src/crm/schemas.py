"""What the crm API reads and answers. Field names are the original's (`restaurant`, `customer`,
`spend_cents`, `segment_type`, ...).

Bodies are strict: numbers must be JSON numbers, unknown fields are refused, and every bound is
checked here so that nothing out of a column's range reaches the database. A PATCH may leave a field
out but not set it to null. Checks that span rows (an id that must be the caller's, a duplicate
email) are the use cases', with the same 422 shape or a 409 with a `code`.
"""

from datetime import datetime
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from crm.models import CampaignStatus, LinkedService, OutreachStatus, SegmentType, VisitSource
from crm.templates import TemplateError, validate_template
from quintet_shared.instants import Instant

MAX_CENTS = 10**15  # ten trillion in a currency's major unit: beyond any bill, inside a 64-bit column
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL (visits and outreach events: 64-bit)
MAX_DAYS = 36_500  # a century of inactivity: any longer is not a segment
MAX_LINKS = 20


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("must be an IANA time zone name, e.g. Europe/Madrid or Asia/Almaty")
    return value


def _valid_template(value: str) -> str:
    try:
        validate_template(value)
    except TemplateError as exc:
        raise ValueError(str(exc)) from None
    return value


def normalize_email(value: str) -> str:
    return value.strip().lower()


Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
TimeZone = Annotated[str, Field(max_length=64, examples=["Europe/Madrid"]), AfterValidator(_known_zone)]
Cents = Annotated[int, Field(strict=True, ge=0, le=MAX_CENTS, description="Integer minor units")]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"),
    AfterValidator(normalize_email),
    Field(description="Unique per restaurant, compared without regard to case (stored lower-cased)"),
]
StoreId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$"),
    Field(description="The store's id in that service, as text", examples=["12"]),
]
MessageTemplate = Annotated[
    str,
    Field(
        max_length=10_000,
        description="Plain text with `{first_name}`, `{last_name}`, `{restaurant}`; `{{` and `}}` for literal braces",
        examples=["Hi {first_name}, we miss you at {restaurant}!"],
    ),
    AfterValidator(_valid_template),
]
SegmentValue = Annotated[
    int,
    Field(
        strict=True,
        ge=0,
        le=MAX_CENTS,
        description="`inactive`: days without a visit (at most 36500); `high_spenders`: minimum total spend in cents",
    ),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(Body):
    """Every field optional; a field sent as null is refused. Fields are typed without `| None` and
    default to None: a left-out field is None (and not in `changes()`)."""

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null (leave the field out to keep it)")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class Link(Body):
    service: LinkedService
    store_id: StoreId


Links = Annotated[
    list[Link], Field(max_length=MAX_LINKS, description="Stores whose sales are this restaurant's visits")
]


class RestaurantCreate(Body):
    name: Name
    timezone: TimeZone
    links: Links = []


class RestaurantPatch(Patch):
    name: Name = None
    timezone: TimeZone = None
    links: Links = Field(None, description="Replaces every link")  # type: ignore[assignment]


class RestaurantPublic(BaseModel):
    id: int
    name: str
    timezone: str
    links: list[Link]
    created_at: datetime
    updated_at: datetime


class CustomerCreate(Body):
    restaurant: Id
    email: Email
    first_name: PersonName = ""
    last_name: PersonName = ""


class CustomerPatch(Patch):
    email: Email = None
    first_name: PersonName = None
    last_name: PersonName = None


class CustomerPublic(BaseModel):
    id: int
    restaurant: int
    email: str
    first_name: str
    last_name: str
    total_spend_cents: int = Field(description="The sum of the customer's visits, always exact")
    last_visit_at: datetime | None = Field(description="The latest visit; null: never visited")
    unsubscribed: bool
    created_at: datetime
    updated_at: datetime


class AddVisit(Body):
    spend_cents: Cents
    visited_at: Instant | None = Field(None, description="When; now if left out. Not in the future")


class VisitCreate(Body):
    customer: Id
    spend_cents: Cents
    visited_at: Instant | None = Field(None, description="When; now if left out. Not in the future")


class VisitPatch(Patch):
    customer: Id = Field(None, description="Moves the visit (and its spend) to another customer")  # type: ignore[assignment]
    spend_cents: Cents = None
    visited_at: Instant = None


class VisitPublic(BaseModel):
    id: int
    customer: int
    spend_cents: int
    visited_at: datetime
    source: VisitSource = Field(description="`api`, or the service whose event recorded it")
    created_at: datetime
    updated_at: datetime


class CampaignCreate(Body):
    restaurant: Id
    name: Name
    segment_type: SegmentType
    segment_value: SegmentValue
    message_template: MessageTemplate


class CampaignPatch(Patch):
    name: Name = None
    segment_type: SegmentType = None
    segment_value: SegmentValue = None
    message_template: MessageTemplate = None


class CampaignPublic(BaseModel):
    id: int
    restaurant: int
    name: str
    segment_type: SegmentType
    segment_value: int
    message_template: str
    status: CampaignStatus
    summary: dict[str, int] | None = Field(description="`{sent, failed, skipped}` once completed")
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


class OutreachEventPublic(BaseModel):
    id: int
    campaign: int
    customer: int
    status: OutreachStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
