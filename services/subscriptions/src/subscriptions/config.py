import re
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

# The sandbox's default SMS token (SANDBOX_SMS_TOKEN), so that the platform works out of the box;
# public, so a prod deployment must set its own. Not the billing key: each provider has its own.
DEV_SMS_TOKEN = "dev-sms-token-change-me"  # noqa: S105
GATEWAY_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"


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

    # CSV jobs (api_files.py, csv_import.py)
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, ge=1, description="Largest CSV the .../files routes take (streamed, never held whole)"
    )

    def body_limits(self) -> dict[str, int]:
        # The upload routes alone take bodies past MAX_BODY_BYTES: their file is spooled to disk.
        limit = max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_OVERHEAD)
        return {**super().body_limits(), **dict.fromkeys(FILE_PATHS, limit)}

    # The daily SMS (subscriptions.sms_*): the SMS provider's gateways, the sandbox's stand-ins
    # unless set to real ones; each message goes to `<sms_url>/<gateway>/messages`.
    sms_url: str = Field("http://127.0.0.1:8009/sandbox/sms", description="Base URL of the SMS gateways' API")
    sms_gateways: str = Field("srv1,srv2,srv3", description="The gateways, comma-separated, used round-robin")
    sms_token: str = Field(DEV_SMS_TOKEN, min_length=1, description="Bearer token of the SMS gateways")
    sms_max_attempts: int = Field(5, ge=1, le=20, description="Gateways tried per message before it fails")
    sms_receipt_hours: float = Field(24.0, gt=0, le=720, description="An accepted SMS expires without a receipt")
    sms_concurrency: int = Field(64, ge=1, le=1000, description="SMS requests in flight at once")
    sms_timeout_seconds: float = Field(10.0, gt=0, le=300, description="Connecting, and each wait for a gateway")
    # Where outside parties reach the platform: the gateway's public URL. Delivery receipts come to
    # `<callback_base_url>/subscriptions/public/sms/<the client's token>` (ARCHITECTURE.md §11).
    callback_base_url: str = Field("http://127.0.0.1:8000", description="The gateway's URL as SMS gateways reach it")

    @field_validator("sms_gateways")
    @classmethod
    def _gateway_names(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        if not names or not all(re.fullmatch(GATEWAY_NAME_PATTERN, name) for name in names):
            raise ValueError("must be one or more gateway names (letters, digits, - and _), comma-separated")
        if len(set(names)) != len(names):
            raise ValueError("names a gateway twice")
        return ",".join(names)

    @property
    def sms_gateway_names(self) -> tuple[str, ...]:
        return tuple(self.sms_gateways.split(","))

    def _dev_secrets(self) -> dict[str, str]:
        return {**super()._dev_secrets(), "billing_auth_key": DEV_BILLING_AUTH_KEY, "sms_token": DEV_SMS_TOKEN}
