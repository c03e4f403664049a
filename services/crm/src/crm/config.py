from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings
from quintet_shared.uploads import MULTIPART_OVERHEAD

CUSTOMER_FILES_PATH = "/crm/customers/files"

DEV_UNSUBSCRIBE_SECRET = "dev-unsubscribe-secret-change-me"  # noqa: S105 (public on purpose; prod refuses it)


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/crm.db"
    max_upload_bytes: int = Field(
        100 * 1024 * 1024, ge=1, description="Largest customers CSV POST /crm/customers/files takes"
    )

    # The mail relay campaigns are sent through (the sandbox's SMTP sink in dev and tests).
    smtp_host: str = Field("127.0.0.1", min_length=1, description="SMTP relay host")
    smtp_port: int = Field(8025, ge=1, le=65535, description="SMTP relay port (587 for STARTTLS, 465 for TLS)")
    smtp_tls: Literal["none", "starttls", "tls"] = Field("none", description="Plain, STARTTLS, or TLS from the start")
    smtp_username: str = Field("", description="Relay login; empty: no AUTH")
    smtp_password: str = Field("", description="Relay password")
    smtp_connections: int = Field(8, ge=1, le=256, description="SMTP connections kept open and used in parallel")
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=300, description="Connecting, and each wait for the relay")
    smtp_attempts: int = Field(3, ge=1, le=10, description="Tries of one message on a transient failure in a send")
    mail_from: str = Field(
        "news@crm.quintet.localhost", min_length=3, max_length=254, description="Envelope and header sender"
    )

    # Where recipients reach the public unsubscribe route (the gateway's public address).
    public_base_url: str = Field("http://127.0.0.1:8000", min_length=1, description="The gateway's public URL")
    unsubscribe_secret: str = Field(
        DEV_UNSUBSCRIBE_SECRET, min_length=16, description="HMAC key of the unsubscribe links' tokens"
    )

    # Campaign runs.
    campaign_batch_size: int = Field(200, ge=1, le=5000, description="Outreach events sent per batch")
    campaign_attempts: int = Field(5, ge=1, le=50, description="Rounds a message is tried in before it is failed")
    campaign_retry_seconds: float = Field(
        30.0, ge=0, le=86_400, description="Wait before a failed message's next round; doubled each round"
    )
    campaign_lease_seconds: float = Field(
        300.0,
        gt=0,
        le=86_400,
        description="How long a claimed batch is kept from other runs (a dead worker's is sent again after)",
    )

    def _dev_secrets(self) -> dict[str, str]:
        return {**super()._dev_secrets(), "unsubscribe_secret": DEV_UNSUBSCRIBE_SECRET}

    def body_limits(self) -> dict[str, int]:
        # The upload route alone takes bodies past MAX_BODY_BYTES: its file is spooled to disk.
        return {CUSTOMER_FILES_PATH: max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_OVERHEAD)}
