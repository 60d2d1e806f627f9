from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from usmkit.settings import DEVELOPMENT_SECRET, KitSettings


class NetworkSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="USM_NETWORK_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/usm_network"
    # This deployment's id in the network of deployments: the origin of its records.
    node_id: str = Field(default="local", pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)
    # Seals the peers' shared HMAC secrets at rest.
    sync_secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    # Pull every enabled peer this often (seconds); 0 turns the schedule off (on demand only).
    sync_interval_s: float = Field(default=0.0, ge=0)
    sync_timeout_s: float = 10.0
    sync_max_attempts: int = 3
    sync_backoff_s: float = 0.5
    # The most the feed serves: fewer, larger pages cost fewer round trips and transactions.
    sync_page_size: int = Field(default=1000, ge=1, le=1000)
    # Signed requests and responses older (or newer) than this are refused.
    sync_max_clock_skew_s: int = 300

    @model_validator(mode="after")
    def _refuse_default_sync_key_in_production(self) -> "NetworkSettings":
        if (
            self.environment == "production"
            and self.sync_secret_key.get_secret_value() == DEVELOPMENT_SECRET
        ):
            raise ValueError("sync_secret_key must be set in production")
        return self
