from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings
from quintet_shared.uploads import MULTIPART_OVERHEAD

# The CSV upload routes (api_files.py): the only ones that take bodies past MAX_BODY_BYTES.
FILE_PATHS = (
    "/subscriptions/forecasts/files",
    "/subscriptions/subscriptions/files/additions",
    "/subscriptions/subscriptions/files/cancellations",
    "/subscriptions/subscriptions/files/updates",
)


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/subscriptions.db"

    # CSV jobs (api_files.py, csv_import.py)
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, ge=1, description="Largest CSV the .../files routes take (streamed, never held whole)"
    )

    def body_limits(self) -> dict[str, int]:
        # The upload routes alone take bodies past MAX_BODY_BYTES: their file is spooled to disk.
        limit = max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_OVERHEAD)
        return {**super().body_limits(), **dict.fromkeys(FILE_PATHS, limit)}
