from alembic import context

from usm_gateway.config import GatewaySettings
from usm_gateway.models import Base
from usmkit.migrations import run_migrations

run_migrations(
    Base.metadata,
    context.config.attributes.get("database_url") or GatewaySettings().database_url,
)
