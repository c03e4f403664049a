"""Settings every component shares; each component subclasses `ComponentSettings`.

Common settings keep their plain environment names (`AMQP_URL`, `GATEWAY_SECRET`, ...), while a
component's own settings take its prefix (`READINGS_DATABASE_URL`).
"""

from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_GATEWAY_SECRET = "dev-gateway-secret-change-me"  # noqa: S105 (public on purpose; prod refuses it)
DEV_ADMIN_TOKEN = "dev-admin-token-change-me"  # noqa: S105 (public on purpose; prod refuses it)


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class ComponentSettings(BaseSettings):
    # A .env file in the working directory is read too (see .env.example); the environment wins.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, env_file=".env")

    quintet_env: Literal["dev", "test", "prod"] = Field("dev", validation_alias=_env("QUINTET_ENV"))
    gateway_secret: str = Field(DEV_GATEWAY_SECRET, validation_alias=_env("GATEWAY_SECRET"))
    amqp_url: str | None = Field(None, validation_alias=_env("AMQP_URL"))
    bus_namespace: str = Field("", validation_alias=_env("BUS_NAMESPACE"))
    bus_delivery_limit: int = Field(5, ge=1, validation_alias=_env("BUS_DELIVERY_LIMIT"))
    bus_prefetch: int = Field(200, ge=1, validation_alias=_env("BUS_PREFETCH"))
    bus_batch_size: int = Field(100, ge=1, validation_alias=_env("BUS_BATCH_SIZE"))
    bus_batch_wait_ms: float = Field(5, ge=0, validation_alias=_env("BUS_BATCH_WAIT_MS"))
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL"))
    log_format: Literal["json", "text"] = Field("json", validation_alias=_env("LOG_FORMAT"))
    signature_max_age_seconds: int = Field(60, ge=1, validation_alias=_env("SIGNATURE_MAX_AGE_SECONDS"))
    job_retention_days: int = Field(7, ge=1, validation_alias=_env("JOB_RETENTION_DAYS"))
    outbox_retention_days: int = Field(7, ge=1, validation_alias=_env("OUTBOX_RETENTION_DAYS"))
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1, validation_alias=_env("MAX_BODY_BYTES"))
    # What one client may hold of a component's HTTP server (quintet_shared.http_limits).
    http_max_header_bytes: int = Field(32 * 1024, ge=1024, validation_alias=_env("HTTP_MAX_HEADER_BYTES"))
    http_max_header_line_bytes: int = Field(8 * 1024, ge=256, validation_alias=_env("HTTP_MAX_HEADER_LINE_BYTES"))
    http_header_timeout_seconds: float = Field(10.0, gt=0, validation_alias=_env("HTTP_HEADER_TIMEOUT_SECONDS"))
    http_body_timeout_seconds: float = Field(30.0, gt=0, validation_alias=_env("HTTP_BODY_TIMEOUT_SECONDS"))
    # Longer than the idle time clients keep a connection for reuse (httpx 5 s, aiohttp 15 s, browsers
    # and load balancers a minute): a server that closes first races their next request on that
    # connection, which then fails without an answer. nginx's default.
    http_keep_alive_seconds: float = Field(75.0, gt=0, validation_alias=_env("HTTP_KEEP_ALIVE_SECONDS"))
    http_max_connections: int = Field(1000, ge=1, validation_alias=_env("HTTP_MAX_CONNECTIONS"))

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_prod(self) -> "ComponentSettings":
        if self.quintet_env == "prod":
            for name, dev_value in self._dev_secrets().items():
                if getattr(self, name) == dev_value:
                    raise ValueError(f"{name} must be set in prod (the dev default is public)")
        return self

    def _dev_secrets(self) -> dict[str, str]:
        return {"gateway_secret": DEV_GATEWAY_SECRET}

    def body_limits(self) -> dict[str, int]:
        """Paths whose request bodies may exceed `max_body_bytes`, with their own limit: file upload
        routes, whose file part is spooled to disk, never held whole. Every other path keeps
        `max_body_bytes`, so JSON routes do not read a file-sized body into memory."""
        return {}
