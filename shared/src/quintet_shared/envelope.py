"""The event envelope (ARCHITECTURE.md §7) and its one serialization, shared by every transport."""

import json
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Outgoing(NamedTuple):
    """A message ready for the wire: what the outbox stores and what a bus publishes."""

    message_id: UUID
    type: str
    body: bytes


class InvalidMessage(ValueError):
    """A message body that is not a valid envelope: it goes to the dead-letter queue at once."""


class Envelope(BaseModel):
    # Unknown fields are tolerated so that producers can add fields without breaking consumers.
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: UUID = Field(default_factory=uuid4)
    type: str = Field(min_length=3, max_length=200, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+){2,}$")
    source: str
    time: datetime
    client: str | None = None
    correlation_id: str | None = None
    version: int = 1
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def new(
        cls,
        *,
        type: str,
        source: str,
        data: BaseModel | dict[str, Any],
        client: str | None = None,
        correlation_id: str | None = None,
        time: datetime | None = None,
        version: int = 1,
    ) -> "Envelope":
        payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
        return cls(
            type=type,
            source=source,
            data=payload,
            client=client,
            correlation_id=correlation_id,
            time=time or datetime.now(UTC),
            version=version,
        )

    def encode(self) -> bytes:
        body = self.model_dump(mode="json")
        body["time"] = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def outgoing(self) -> Outgoing:
        return Outgoing(self.id, self.type, self.encode())

    @classmethod
    def decode(cls, body: bytes) -> "Envelope":
        try:
            return cls.model_validate_json(body)
        except (ValidationError, UnicodeDecodeError) as exc:
            raise InvalidMessage(str(exc)) from exc
