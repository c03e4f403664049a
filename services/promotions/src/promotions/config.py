from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings
from quintet_shared.uploads import MULTIPART_OVERHEAD

PROFILE_FILES_PATH = "/promotions/profiles/files"

# The sandbox's default push token (SANDBOX_PUSH_TOKEN), so that the platform works out of the box;
# public, so a prod deployment must set its own.
DEV_PUSH_TOKEN = "dev-push-token-change-me"  # noqa: S105


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="PROMOTIONS_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/promotions.db"
    hold_seconds: int = Field(60, ge=1, le=86_400, description="How long a hold keeps its unit for its user")
    # The push provider (promotions.push): the sandbox's stand-in unless set to a real one.
    push_url: str = Field("http://127.0.0.1:8009/sandbox/push", description="Base URL of the push provider's API")
    push_token: str = Field(DEV_PUSH_TOKEN, min_length=1, description="Bearer token of the push provider")
    push_batch_size: int = Field(500, ge=1, le=500, description="Messages per request (the provider takes 500)")
    push_concurrency: int = Field(4, ge=1, le=64, description="Requests in flight at once")
    push_attempts: int = Field(5, ge=1, le=20, description="Tries of a batch on connection errors and 5xx")
    push_timeout_seconds: float = Field(10.0, gt=0, description="Connecting, and each wait for the provider")
    push_max_throttle_seconds: float = Field(
        60.0, ge=0, description="Longest a batch waits on the provider's 429 Retry-After, in all"
    )

    # Notification runs (promotions.notifications): rounds of sending one notification, then failed.
    notify_attempts: int = Field(5, ge=1, le=20, description="Rounds a notification is sent in before it fails")
    notify_retry_seconds: float = Field(
        30.0, gt=0, description="Wait before a failed notification's second round; doubled after each round"
    )

    max_upload_bytes: int = Field(
        200 * 1024 * 1024, ge=1, description="Largest profiles CSV POST /promotions/profiles/files takes"
    )

    def _dev_secrets(self) -> dict[str, str]:
        return {**super()._dev_secrets(), "push_token": DEV_PUSH_TOKEN}

    def body_limits(self) -> dict[str, int]:
        # The upload route alone takes bodies past MAX_BODY_BYTES: its file is spooled to disk.
        return {PROFILE_FILES_PATH: max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_OVERHEAD)}
