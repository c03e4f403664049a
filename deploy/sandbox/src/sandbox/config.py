"""Sandbox settings: the common ones (plain names) plus its own, prefixed SANDBOX_."""

from pydantic_settings import SettingsConfigDict

from quintet_shared.settings import ComponentSettings


class Settings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SANDBOX_")

    port: int = 8009
    smtp_port: int = 8025
