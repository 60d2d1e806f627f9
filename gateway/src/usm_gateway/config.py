from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from usmkit.events.topics import SERVICES
from usmkit.settings import DEVELOPMENT_SECRET, KitSettings


class GatewaySettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="USM_GATEWAY_", extra="ignore")

    service_urls: dict[str, str] = Field(
        default_factory=lambda: {
            name: f"http://127.0.0.1:{8001 + index}" for index, name in enumerate(SERVICES)
        }
    )
    connect_timeout_s: float = 2.0
    upstream_timeout_s: float = 15.0
    max_body_bytes: int = 1024 * 1024
    # The dev issuer lets `usm token` mint bearer tokens locally; off unless enabled.
    dev_issuer_enabled: bool = False
    dev_issuer_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    openapi_cache_s: float = 30.0

    @model_validator(mode="after")
    def _no_dev_issuer_in_production(self) -> "GatewaySettings":
        if self.environment == "production" and self.dev_issuer_enabled:
            raise ValueError("the dev issuer must not be enabled in production")
        return self
