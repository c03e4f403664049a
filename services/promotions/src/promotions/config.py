from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="PROMOTIONS_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./var/promotions.db"
