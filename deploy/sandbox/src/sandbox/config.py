"""Sandbox settings: the common ones (plain names) plus its own, prefixed SANDBOX_."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings

# Public on purpose, like the other dev secrets.
DEV_PUSH_TOKEN = "dev-push-token-change-me"  # noqa: S105
DEV_BILLING_AUTH_KEY = "dev-billing-key-change-me"
DEV_SMS_TOKEN = "dev-sms-token-change-me"  # noqa: S105
DEV_TELEGRAM_BOT_TOKEN = "dev-telegram-bot-token-change-me"  # noqa: S105


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SANDBOX_")

    port: int = 8009
    smtp_host: str = Field("127.0.0.1", min_length=1, description="Interface the SMTP sink listens on")
    smtp_port: int = Field(8025, ge=0, le=65535, description="Port of the SMTP sink")
    received_limit: int = Field(
        50_000, ge=1, description="Items each provider keeps for inspection; the oldest are dropped beyond"
    )
    push_token: str = Field(DEV_PUSH_TOKEN, min_length=1, description="Bearer token of the push provider's API")
    billing_auth_key: str = Field(
        DEV_BILLING_AUTH_KEY, min_length=1, description="Auth-Key header the billing provider's API accepts"
    )
    sms_token: str = Field(DEV_SMS_TOKEN, min_length=1, description="Bearer token of the SMS gateways' API")
    sms_callback_delay_ms: int = Field(
        200, ge=0, le=600_000, description="How long after accepting a message a gateway calls its callback"
    )
    sms_callback_concurrency: int = Field(32, ge=1, le=1000, description="Delivery callbacks in flight at once")
    sms_callback_attempts: int = Field(
        3, ge=1, le=10, description="Tries of a callback on connection errors, timeouts and 5xx"
    )
    sms_callback_timeout_seconds: float = Field(5.0, gt=0, le=120, description="Each wait for a callback's answer")
    marketplace_feed_seconds: float = Field(
        5.0, gt=0, le=86_400, description="How often the marketplace polls every registered price feed"
    )
    marketplace_feed_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="Each wait for a price feed's server while it is fetched"
    )
    telegram_bot_token: str = Field(
        DEV_TELEGRAM_BOT_TOKEN, min_length=1, description="The bot token the Telegram provider accepts in its paths"
    )
