from alembic import context

from usm_reports.config import ReportsSettings
from usm_reports.models import Base
from usmkit.migrations import run_migrations

run_migrations(
    Base.metadata,
    context.config.attributes.get("database_url") or ReportsSettings().database_url,
)
