import base64
import binascii
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from usmkit.runtime import ServiceRuntime
from usmkit.settings import KitSettings

# Only valid outside production: the validator below refuses it there.
DEVELOPMENT_CONTACT_KEY = "dXNtLWRldmVsb3BtZW50LWNvbnRhY3Qta2V5LTAwMDA="
DEVELOPMENT_SMS_SECRET = "usm-development-sms-secret-change-me"  # noqa: S105


class ReportsSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="USM_REPORTS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/usm_reports"
    # Where clients reach the gateway: the Open311 discovery document names it (the
    # gateway does not pass its Host on, so the service cannot know it otherwise).
    public_base_url: str = "http://127.0.0.1:8000"
    # AES-256-GCM key (base64 of 32 bytes) sealing reporters' contact details at rest.
    contact_key: SecretStr = SecretStr(DEVELOPMENT_CONTACT_KEY)
    # Duplicate candidates: same city and category, this close in space and time.
    duplicate_radius_m: float = Field(default=150.0, ge=10.0, le=5000.0)
    duplicate_window_hours: float = Field(default=72.0, ge=1.0, le=24.0 * 90)
    # Reporters' contact details are erased this many days after the report (or, for a
    # merged duplicate, its primary) was last changed while closed or rejected.
    contact_retention_days: int = Field(default=90, ge=0, le=3650)
    retention_interval_s: float = Field(default=3600.0, gt=0)
    # Published aggregates: a count from 1 to k-1 is suppressed (ARCHITECTURE §5; k >= 5).
    suppression_threshold: int = Field(default=5, ge=5, le=100)
    # The SMS gateway signs each delivery with HMAC-SHA256 under this shared secret.
    sms_secret: SecretStr = SecretStr(DEVELOPMENT_SMS_SECRET)
    # How far a delivery's timestamp may be from now; older ones are refused as replays.
    sms_max_skew_s: int = Field(default=300, ge=10, le=3600)

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> Self:
        if (
            self.environment == "production"
            and self.contact_key.get_secret_value() == DEVELOPMENT_CONTACT_KEY
        ):
            raise ValueError("USM_REPORTS_CONTACT_KEY must be set in production")
        if (
            self.environment == "production"
            and self.sms_secret.get_secret_value() == DEVELOPMENT_SMS_SECRET
        ):
            raise ValueError("USM_REPORTS_SMS_SECRET must be set in production")
        try:
            key = base64.b64decode(self.contact_key.get_secret_value(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("USM_REPORTS_CONTACT_KEY must be base64") from exc
        if len(key) != 32:
            raise ValueError("USM_REPORTS_CONTACT_KEY must be 32 bytes (base64)")
        return self


def reports_settings(runtime: ServiceRuntime) -> ReportsSettings:
    """The running service's settings, with their reports-specific type."""
    settings = runtime.settings
    assert isinstance(settings, ReportsSettings)
    return settings
