"""Settings shared by every process; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only valid outside production: the validator below refuses it there.
DEVELOPMENT_SECRET = "usm-development-secret-change-me-0123456789"  # noqa: S105

Environment = Literal["development", "test", "production"]


class KitSettings(BaseSettings):
    """What the kit needs to run a service: database, broker, internal-token secret."""

    model_config = SettingsConfigDict(env_prefix="USM_", extra="ignore")

    environment: Environment = "development"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/usm"
    database_pool_size: int = 10
    # Requests a process works on at once; more wait before any work (usmkit.admission).
    # Like the pool: a request beyond it would wait for a connection anyway.
    max_concurrent_requests: int = Field(default=10, ge=1)
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Prepended to every topic name: isolates test runs or deployments sharing a cluster.
    kafka_topic_prefix: str = ""
    kafka_request_timeout_ms: int = 10_000
    kafka_send_timeout_s: float = 15.0
    # Off by default: the embedded broker does not implement InitProducerId.
    kafka_enable_idempotence: bool = False
    internal_jwt_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    outbox_poll_interval_s: float = 0.2
    # Housekeeping of the kit's tables (usmkit.housekeeping), every this often.
    housekeeping_interval_s: float = Field(default=3600.0, gt=0)
    # Published events stay in the outbox this long, for operators to look into.
    outbox_retention_days: float = Field(default=7.0, gt=0)
    # Longer than the topics keep events (usmkit.events.topics.TOPIC_RETENTION_MS, 7 days): a
    # consumer group whose offsets expired reads its topics again from the start, and must
    # still know every event it already handled.
    inbox_retention_days: float = Field(default=14.0, gt=0)
    # A repeated POST within this time gets the first answer (as most APIs: a day).
    idempotency_key_retention_hours: float = Field(default=24.0, gt=0)
    consumer_max_attempts: int = 5
    consumer_retry_backoff_s: float = 0.2
    consumers_enabled: bool = True
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> KitSettings:
        if (
            self.environment == "production"
            and self.internal_jwt_secret.get_secret_value() == DEVELOPMENT_SECRET
        ):
            raise ValueError("internal_jwt_secret must be set in production")
        return self
