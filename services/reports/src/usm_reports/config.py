import base64
import binascii
from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from usmkit.settings import KitSettings

# Only valid outside production: the validator below refuses it there.
DEVELOPMENT_CONTACT_KEY = "dXNtLWRldmVsb3BtZW50LWNvbnRhY3Qta2V5LTAwMDA="


class ReportsSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="USM_REPORTS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/usm_reports"
    # Where clients reach the gateway: the Open311 discovery document names it (the
    # gateway does not pass its Host on, so the service cannot know it otherwise).
    public_base_url: str = "http://127.0.0.1:8000"
    # AES-256-GCM key (base64 of 32 bytes) sealing reporters' contact details at rest.
    contact_key: SecretStr = SecretStr(DEVELOPMENT_CONTACT_KEY)

    @model_validator(mode="after")
    def _refuse_default_contact_key_in_production(self) -> Self:
        if (
            self.environment == "production"
            and self.contact_key.get_secret_value() == DEVELOPMENT_CONTACT_KEY
        ):
            raise ValueError("USM_REPORTS_CONTACT_KEY must be set in production")
        try:
            key = base64.b64decode(self.contact_key.get_secret_value(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("USM_REPORTS_CONTACT_KEY must be base64") from exc
        if len(key) != 32:
            raise ValueError("USM_REPORTS_CONTACT_KEY must be 32 bytes (base64)")
        return self
