"""Marketplace settings, prefixed MARKETPLACE_ (README's settings table lists each with its default)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings
from quintet_shared.uploads import MULTIPART_OVERHEAD

PRODUCT_FILES_PATH = "/marketplace/products/files"

# A Fernet key (32 bytes, URL-safe base64) so that the platform works out of the box; public, so a
# prod deployment must set its own: `Fernet.generate_key()` of the `cryptography` package makes one.
DEV_TOKEN_KEY = "ZGV2LW1hcmtldHBsYWNlLXRva2VuLWtleS1jaGdtZSE="  # noqa: S105

# The sandbox's default bot token (SANDBOX_TELEGRAM_BOT_TOKEN), so that the platform works out of
# the box; public, so a prod deployment must set its own.
DEV_TELEGRAM_BOT_TOKEN = "dev-telegram-bot-token-change-me"  # noqa: S105


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="MARKETPLACE_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/marketplace.db"
    token_key: str = Field(
        DEV_TOKEN_KEY,
        min_length=44,
        description="Fernet key that encrypts the stores' marketplace API tokens; several, comma-separated, "
        "to rotate (the first encrypts, each decrypts)",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Where the marketplace reaches our public paths (a store's feed_url)"
    )
    currency: str = Field("KZT", pattern=r"^[A-Z]{3}$", description="The marketplace's currency (ISO 4217)")
    orders_url: str = Field(
        "http://127.0.0.1:8009/sandbox/marketplace/shop/api",
        description="Base URL of the marketplace's orders API (https://kaspi.kz/shop/api for the real one)",
    )
    orders_page_size: int = Field(100, ge=1, le=100, description="Orders asked per page (the API allows 100)")
    orders_timeout_seconds: float = Field(10.0, gt=0, le=300, description="Connecting, and each wait for it")
    orders_attempts: int = Field(3, ge=1, le=10, description="Tries of a page on connection errors, 429 and 5xx")
    orders_first_sync_days: int = Field(
        14, ge=1, le=365, description="How far back the first sync of a store looks for orders"
    )
    max_upload_bytes: int = Field(
        50 * 1024 * 1024, ge=1, description="Largest product file POST /marketplace/products/files takes"
    )

    def body_limits(self) -> dict[str, int]:
        # The upload route alone takes bodies past MAX_BODY_BYTES: its file is spooled to disk.
        return {PRODUCT_FILES_PATH: max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_OVERHEAD)}

    # Competitor monitoring (marketplace.monitoring): the marketplace's offers API and how it is called.
    offers_url: str = Field(
        "http://127.0.0.1:8009/sandbox/marketplace", description="Base URL of the marketplace's offers API"
    )
    offers_concurrency: int = Field(32, ge=1, le=512, description="Offers requests in flight at once")
    offers_rate_per_second: float = Field(
        100.0, gt=0, le=100_000, description="Most offers requests per second toward the marketplace"
    )
    offers_page_size: int = Field(50, ge=1, le=100, description="Offers asked per page")
    offers_max_pages: int = Field(20, ge=1, le=1000, description="Pages read at most per product")
    offers_attempts: int = Field(4, ge=1, le=20, description="Tries of a page on connection errors, 429 and 5xx")
    offers_timeout_seconds: float = Field(10.0, gt=0, le=300, description="Each wait for the offers API")
    monitor_interval_seconds: int = Field(
        900, ge=60, le=86_400, description="Time between two rounds of a client with no tariff"
    )

    # Notifications (marketplace.notify_telegram): the Telegram Bot API.
    telegram_url: str = Field("http://127.0.0.1:8009/sandbox/telegram", description="Base URL of the Bot API")
    telegram_bot_token: str = Field(DEV_TELEGRAM_BOT_TOKEN, min_length=1, description="The bot's token")
    telegram_attempts: int = Field(5, ge=1, le=20, description="Tries of a message before it is marked failed")

    def _dev_secrets(self) -> dict[str, str]:
        return {**super()._dev_secrets(), "token_key": DEV_TOKEN_KEY, "telegram_bot_token": DEV_TELEGRAM_BOT_TOKEN}
