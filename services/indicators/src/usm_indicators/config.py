from pydantic import Field
from pydantic_settings import SettingsConfigDict

from usmkit.settings import KitSettings


class IndicatorsSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="USM_INDICATORS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/usm_indicators"
    # How often the districts and months whose report counts moved are announced (as
    # `values.updated`, which recomputes their aggregates and alerts).
    report_counts_announce_interval_s: float = Field(default=1.0, gt=0)
