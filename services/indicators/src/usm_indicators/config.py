from pydantic_settings import SettingsConfigDict

from usmkit.settings import KitSettings


class IndicatorsSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="USM_INDICATORS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/usm_indicators"
