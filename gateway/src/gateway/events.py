"""The events the gateway publishes; services keep their copy of the client registry from them."""

from pydantic import BaseModel

CLIENT_REGISTERED = "gateway.client.registered"
CLIENT_UPDATED = "gateway.client.updated"


class ClientChanged(BaseModel):
    """Payload of both client events: the client as it stands after the change."""

    code: str
    name: str
    services: list[str]
    rate_limit_per_minute: int
    active: bool
