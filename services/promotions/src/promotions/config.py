from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="PROMOTIONS_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/promotions.db"
    hold_seconds: int = Field(60, ge=1, le=86_400, description="How long a hold keeps its unit for its user")
