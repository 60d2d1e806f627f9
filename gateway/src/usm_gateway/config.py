from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from usmkit.events.topics import SERVICES
from usmkit.settings import DEVELOPMENT_SECRET, KitSettings


class OidcIssuer(BaseModel):
    """A trusted OpenID Connect issuer whose bearer tokens the gateway accepts."""

    issuer: str
    audience: str
    jwks_url: str
    # Dotted paths into the claims, e.g. `realm_access.roles` for Keycloak.
    roles_claim: str = "roles"
    cities_claim: str = "cities"
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "PS256"])


class RateLimit(BaseModel):
    """A token bucket: `burst` requests at once, refilled at `per_minute`."""

    per_minute: float = Field(gt=0)
    burst: int = Field(ge=1)


def _default_rate_limits() -> dict[str, RateLimit]:
    return {
        "intake": RateLimit(per_minute=30, burst=10),
        "reads": RateLimit(per_minute=600, burst=100),
        "writes": RateLimit(per_minute=120, burst=30),
        "bulk": RateLimit(per_minute=10, burst=2),
        "sync": RateLimit(per_minute=120, burst=30),
    }


class GatewaySettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="USM_GATEWAY_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/usm_gateway"
    service_urls: dict[str, str] = Field(
        default_factory=lambda: {
            name: f"http://127.0.0.1:{8001 + index}" for index, name in enumerate(SERVICES)
        }
    )
    connect_timeout_s: float = 2.0
    upstream_timeout_s: float = 15.0
    max_body_bytes: int = 1024 * 1024
    # Bulk loads (indicator values, uploads) are the one route class with big bodies.
    max_bulk_body_bytes: int = 64 * 1024 * 1024
    # The dev issuer lets `usm token` mint bearer tokens locally; off unless enabled.
    dev_issuer_enabled: bool = False
    dev_issuer_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    openapi_cache_s: float = 30.0
    oidc_issuers: list[OidcIssuer] = Field(default_factory=list)
    jwks_cache_s: float = 600.0
    # An unknown `kid` refetches the JWKS at most this often, so forged kids cannot hammer it.
    jwks_refresh_min_s: float = 30.0
    # A revoked key stops working within this many seconds on every replica.
    api_key_cache_s: float = 30.0
    # Limits for anonymous callers (per IP); callers with a key or token get `authenticated_factor`
    # times as much. Buckets live in each replica's memory: limits are per replica.
    rate_limits: dict[str, RateLimit] = Field(default_factory=_default_rate_limits)
    authenticated_factor: float = 10.0
    cors_origins: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_dev_issuer_in_production(self) -> "GatewaySettings":
        if self.environment == "production" and self.dev_issuer_enabled:
            raise ValueError("the dev issuer must not be enabled in production")
        return self
