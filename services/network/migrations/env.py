from alembic import context

from usm_network.config import NetworkSettings
from usm_network.models import Base
from usmkit.migrations import run_migrations

run_migrations(
    Base.metadata,
    context.config.attributes.get("database_url") or NetworkSettings().database_url,
)
