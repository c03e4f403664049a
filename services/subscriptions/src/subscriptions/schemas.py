"""What the subscriptions API reads and answers: forecast points, subscriptions, client settings.

Bodies are strict: numbers must be JSON numbers, unknown fields are refused, and every bound is
checked here so that nothing out of a column's range reaches the database. An msisdn is a string of
8 to 15 digits with the country code (no `+`, no spaces: a number would lose leading zeros and
precision); a plan is `daily` or `weekly`, or the original's codes `11` and `21`.
"""

from datetime import date, datetime, time
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
)

from subscriptions.models import Plan

MSISDN_PATTERN = r"^[0-9]{8,15}$"
GID_PATTERN = r"^[^\x00-\x1f\x7f/]{1,64}$"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("must be an IANA time zone name, e.g. Africa/Nairobi")
    return value


def _plan(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be daily (11) or weekly (21), as a string")
    return Plan.parse(value)


Msisdn = Annotated[
    str,
    StringConstraints(pattern=MSISDN_PATTERN),
    Field(description="8 to 15 digits with the country code", examples=["254712345678"]),
]
Gid = Annotated[
    str,
    StringConstraints(pattern=GID_PATTERN),
    Field(description="The forecast point's id as given (leading zeros kept); no `/`", examples=["00042"]),
]
PlanIn = Annotated[Plan, BeforeValidator(_plan), Field(description="`daily` or `weekly` (or the codes `11`, `21`)")]
Latitude = Annotated[float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False, description="Degrees")]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False, description="Degrees")]
Category = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
TimeZone = Annotated[str, Field(max_length=64, examples=["Africa/Nairobi"]), AfterValidator(_known_zone)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(Body):
    """Every field optional; a field sent as null is refused (leave it out to keep it)."""

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null (leave the field out to keep it)")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ForecastCreate(Body):
    gid: Gid
    latitude: Latitude
    longitude: Longitude
    fcat24: Category = ""
    fcat48: Category = ""


class ForecastPatch(Patch):
    latitude: Latitude = None
    longitude: Longitude = None
    fcat24: Category = None
    fcat48: Category = None


class ForecastPublic(BaseModel):
    gid: str
    latitude: float
    longitude: float
    fcat24: str
    fcat48: str
    created_at: datetime
    updated_at: datetime


class SubscriptionCreate(Body):
    msisdn: Msisdn
    plan: PlanIn
    latitude: Latitude
    longitude: Longitude


class SubscriptionPatch(Patch):
    """A location or plan change; `status: "cancelled"` cancels (as DELETE does)."""

    plan: PlanIn = None
    latitude: Latitude = None
    longitude: Longitude = None
    status: Literal["cancelled"] = None  # type: ignore[assignment]


class BillingPublic(BaseModel):
    at: datetime
    status: str
    attempt: int


class SmsPublic(BaseModel):
    msgid: str
    gateway: str | None
    status: str
    sent_at: datetime | None
    delivered_at: datetime | None


class SubscriptionSummary(BaseModel):
    msisdn: str
    plan: Plan
    status: str
    latitude: float
    longitude: float
    forecast_gid: str | None
    subscribed_at: datetime
    unsubscribed_at: datetime | None
    next_billing_date: date | None


class SubscriptionPublic(SubscriptionSummary):
    billing: list[BillingPublic]
    sms: list[SmsPublic]


LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
LocalTime = Annotated[str, StringConstraints(pattern=LOCAL_TIME_PATTERN)]


class SettingsPut(Body):
    timezone: TimeZone = "UTC"
    # A wall-clock time in the client's zone: `HH:MM`, not OpenAPI's `format: time`, which is
    # RFC 3339's and so carries an offset.
    sms_local_time: LocalTime = Field(
        "09:00", validate_default=True, description="When the daily SMS goes, local `HH:MM`"
    )
    sms_template: Annotated[str, StringConstraints(min_length=1, max_length=480)] | None = Field(
        None, description="With `{fcat24}` and `{fcat48}`; null: `fcat24: {fcat24}, fcat48: {fcat48}`"
    )

    @field_validator("sms_template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                value.format(fcat24="", fcat48="")
            except (KeyError, IndexError, ValueError, AttributeError) as error:
                raise ValueError("may name only {fcat24} and {fcat48} (write {{ and }} for braces)") from error
        return value


class SettingsPublic(BaseModel):
    timezone: str
    sms_local_time: Annotated[time, PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str)] = Field(
        description="When the daily SMS goes, local `HH:MM`", json_schema_extra={"pattern": LOCAL_TIME_PATTERN}
    )
    sms_template: str | None
    updated_at: datetime
