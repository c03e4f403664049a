from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings
from quintet_shared.uploads import MULTIPART_OVERHEAD

CUSTOMER_FILES_PATH = "/crm/customers/files"


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/crm.db"
    max_upload_bytes: int = Field(
        100 * 1024 * 1024, ge=1, description="Largest customers CSV POST /crm/customers/files takes"
    )

    def body_limits(self) -> dict[str, int]:
        # The upload route alone takes bodies past MAX_BODY_BYTES: its file is spooled to disk.
        return {CUSTOMER_FILES_PATH: max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_OVERHEAD)}
