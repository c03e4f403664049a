from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file in a multipart body


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="READINGS_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/readings.db"
    max_upload_bytes: int = Field(200 * 1024 * 1024, ge=1, description="Largest file POST /readings/files takes")

    @model_validator(mode="after")
    def _body_limit_covers_uploads(self) -> "Settings":
        # The service-wide body guard (MAX_BODY_BYTES, 10 MB by default) would refuse any real file
        # before the upload route sees it. This service's only route with a body is the upload,
        # which streams to disk and checks max_upload_bytes itself, so the guard is lifted to it.
        self.max_body_bytes = max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_OVERHEAD)
        return self
