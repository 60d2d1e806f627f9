from pydantic import Field
from pydantic_settings import SettingsConfigDict

from usmkit.settings import KitSettings


class AppraisalsSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="USM_APPRAISALS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/usm_appraisals"
    # k of ARCHITECTURE §5: published counts from 1 to k-1 are suppressed; never below 5.
    min_cell_count: int = Field(default=5, ge=5)
