from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from quintet_shared.settings import ComponentSettings
from quintet_shared.uploads import MULTIPART_OVERHEAD

# The CSV upload routes (api_files.py): the only ones that take bodies past MAX_BODY_BYTES.
FILE_PATHS = (
    "/subscriptions/forecasts/files",
    "/subscriptions/subscriptions/files/additions",
    "/subscriptions/subscriptions/files/cancellations",
    "/subscriptions/subscriptions/files/updates",
)

# The sandbox's default billing key (SANDBOX_BILLING_AUTH_KEY), so that the platform works out of the
# box; public, so a prod deployment must set its own.
DEV_BILLING_AUTH_KEY = "dev-billing-key-change-me"


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/subscriptions.db"

    # Billing (billing_provider.py, billing_run.py): the sandbox's stand-in unless set to a real one.
    billing_url: str = Field(
        "http://127.0.0.1:8009/sandbox/billing", description="Base URL of the billing provider's API"
    )
    billing_auth_key: str = Field(DEV_BILLING_AUTH_KEY, min_length=1, description="`Auth-Key` header it takes")
    billing_timeout_seconds: float = Field(10.0, gt=0, le=300, description="Connecting, and each wait for it")
    billing_concurrency: int = Field(8, ge=1, le=256, description="Charges in flight at once")
    billing_transport_attempts: int = Field(
        3, ge=1, le=10, description="Tries of one call on timeouts, connection errors, 429 and 5xx (same key)"
    )
    billing_max_attempts: int = Field(
        5, ge=1, le=50, description="Declined charges of one billing date before the subscription is cancelled"
    )
    billing_retry_seconds: Annotated[tuple[float, ...], NoDecode] = Field(
        (300.0, 1800.0, 7200.0, 21600.0),
        description="Waits after the 1st, 2nd, ... declined charge (the last repeats), comma-separated; "
        "shortened so that a period's retries fit inside it",
    )

    @field_validator("billing_retry_seconds", mode="before")
    @classmethod
    def _waits(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in (piece.strip() for piece in value.split(",")) if part]
        if not value or any(float(wait) < 0 for wait in value):
            raise ValueError("must be one or more waits in seconds, none negative, e.g. 300,1800,7200")
        return value

    def _dev_secrets(self) -> dict[str, str]:
        return {**super()._dev_secrets(), "billing_auth_key": DEV_BILLING_AUTH_KEY}

    # CSV jobs (api_files.py, csv_import.py)
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, ge=1, description="Largest CSV the .../files routes take (streamed, never held whole)"
    )

    def body_limits(self) -> dict[str, int]:
        # The upload routes alone take bodies past MAX_BODY_BYTES: their file is spooled to disk.
        limit = max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_OVERHEAD)
        return {**super().body_limits(), **dict.fromkeys(FILE_PATHS, limit)}
