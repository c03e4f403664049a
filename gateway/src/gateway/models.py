"""The client registry's table and the schema family the admin API speaks."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import JSON, Column, String
from sqlmodel import Field as SQLField

from quintet_shared.db import model_base
from quintet_shared.types import UTCDateTime

GatewayModel = model_base("GatewayModel")
metadata = GatewayModel.metadata

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,63}$"
MAX_RATE_LIMIT = 1_000_000_000

Code = Annotated[str, Field(pattern=CODE_PATTERN, examples=["potatoes"])]
Name = Annotated[str, Field(min_length=1, max_length=200)]
RateLimit = Annotated[int, Field(ge=1, le=MAX_RATE_LIMIT, description="Requests per minute, per gateway replica")]


class Client(GatewayModel, table=True):
    code: str = SQLField(primary_key=True, max_length=64)
    name: str = SQLField(max_length=200)
    services: list[str] = SQLField(sa_column=Column(JSON, nullable=False))
    rate_limit_per_minute: int
    active: bool = True
    # sha256 hex of the app id; the app id itself is never stored.
    app_id_hash: str = SQLField(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = SQLField(sa_type=UTCDateTime)
    updated_at: datetime = SQLField(sa_type=UTCDateTime)


def _unique(services: list[str]) -> list[str]:
    return list(dict.fromkeys(services))


class ClientCreate(BaseModel):
    code: Code
    name: Name
    services: list[str]
    rate_limit_per_minute: RateLimit | None = Field(None, description="Defaults to the gateway's default limit")

    @field_validator("services")
    @classmethod
    def _dedupe(cls, services: list[str]) -> list[str]:
        return _unique(services)


class ClientUpdate(BaseModel):
    name: Name | None = None
    services: list[str] | None = None
    rate_limit_per_minute: RateLimit | None = None
    active: bool | None = None

    @field_validator("services")
    @classmethod
    def _dedupe(cls, services: list[str] | None) -> list[str] | None:
        return None if services is None else _unique(services)


class ClientPublic(BaseModel):
    code: str
    name: str
    services: list[str]
    rate_limit_per_minute: int
    active: bool
    created_at: datetime
    updated_at: datetime


class ClientWithAppId(ClientPublic):
    app_id: str = Field(description="The client's secret; shown this once only")


class AppIdRotated(BaseModel):
    code: str
    app_id: str = Field(description="The new secret; the previous one stops working at once")
