from pydantic_settings import SettingsConfigDict

from usmkit.settings import KitSettings


class AppraisalsSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="USM_APPRAISALS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/usm_appraisals"
