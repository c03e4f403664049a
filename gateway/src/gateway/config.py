"""Gateway settings: its own under GATEWAY_*, the common ones (GATEWAY_SECRET, ...) from the kit."""

from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from quintet_shared.settings import DEV_ADMIN_TOKEN, ComponentSettings

DEV_SESSION_SECRET = "dev-session-secret-change-me"  # noqa: S105 (public on purpose; prod refuses it)

DEFAULT_UPSTREAMS = (
    "readings=http://127.0.0.1:8001,promotions=http://127.0.0.1:8002,subscriptions=http://127.0.0.1:8003,"
    "crm=http://127.0.0.1:8004,marketplace=http://127.0.0.1:8005"
)

DEFAULT_PUBLIC_RATE_LIMIT_PER_MINUTE = 6000


def parse_upstreams(value: str) -> dict[str, str]:
    """`name=url,name=url` → {name: url}; a trailing slash on a URL is dropped (paths are appended)."""
    upstreams: dict[str, str] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise ValueError(f"upstream {item!r} is not of the form name=url")
        upstreams[name.strip()] = url.strip().rstrip("/")
    return upstreams


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/gateway.db"
    admin_token: str = Field(DEV_ADMIN_TOKEN, validation_alias=AliasChoices("GATEWAY_ADMIN_TOKEN", "admin_token"))
    # NoDecode: the environment gives "name=url,..." rather than JSON.
    upstreams: Annotated[dict[str, str], NoDecode] = Field(default_factory=lambda: parse_upstreams(DEFAULT_UPSTREAMS))
    # How long the upstream may stay silent (before its response starts, or between two chunks of
    # it). There is no total limit, so that long downloads and event streams are not cut off.
    timeout_seconds: float = Field(30.0, gt=0)
    # Opening a connection to a service (502 when that fails), and also how long a request may wait
    # for a free one when max_connections are all busy (503 then: the gateway's limit, not the service's).
    connect_timeout_seconds: float = Field(5.0, gt=0)
    # Keep-alive connections to each service, busy or idle.
    max_connections: int = Field(512, ge=1)
    default_rate_limit_per_minute: int = Field(600, ge=1)
    # Public paths (`/<service>/public/...`: callbacks, feeds) are called without an app id and
    # limited per remote address instead: an SMS provider's delivery receipts come from a few
    # addresses at the rate the messages go out, so raise it for large sends.
    public_rate_limit_per_minute: int = Field(DEFAULT_PUBLIC_RATE_LIMIT_PER_MINUTE, ge=1)
    # A change made elsewhere (the CLI, another replica) reaches this process within this time;
    # the admin API of this process applies its own changes at once.
    client_cache_seconds: float = Field(5.0, ge=0)
    # Browser sign-in (gateway.sessions): the key the session cookie and its CSRF token are signed
    # with (changing it ends every session), how long a session lasts, and whether the cookie is
    # `Secure` even on plain HTTP (set it behind a proxy that terminates TLS: the gateway reads no
    # proxy headers, so it sees http).
    session_secret: str = DEV_SESSION_SECRET
    session_max_age_seconds: int = Field(8 * 3600, ge=60, le=7 * 24 * 3600)
    session_cookie_secure: bool = False
    health_timeout_seconds: float = Field(2.0, gt=0)
    openapi_cache_seconds: float = Field(10.0, ge=0)

    @field_validator("upstreams", mode="before")
    @classmethod
    def _parse_upstreams(cls, value: Any) -> Any:
        return parse_upstreams(value) if isinstance(value, str) else value

    def _dev_secrets(self) -> dict[str, str]:
        return {**super()._dev_secrets(), "admin_token": DEV_ADMIN_TOKEN, "session_secret": DEV_SESSION_SECRET}
