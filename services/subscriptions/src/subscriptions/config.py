import re

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings

# The sandbox's default SMS token (SANDBOX_SMS_TOKEN), so that the platform works out of the box;
# public, so a prod deployment must set its own. Not the billing key: each provider has its own.
DEV_SMS_TOKEN = "dev-sms-token-change-me"  # noqa: S105
GATEWAY_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/subscriptions.db"

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
        return {**super()._dev_secrets(), "sms_token": DEV_SMS_TOKEN}
