from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings
from quintet_shared.uploads import MULTIPART_OVERHEAD

PROFILE_FILES_PATH = "/promotions/profiles/files"


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="PROMOTIONS_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/promotions.db"
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, ge=1, description="Largest profiles CSV POST /promotions/profiles/files takes"
    )

    def body_limits(self) -> dict[str, int]:
        # The upload route alone takes bodies past MAX_BODY_BYTES: its file is spooled to disk.
        return {PROFILE_FILES_PATH: max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_OVERHEAD)}
