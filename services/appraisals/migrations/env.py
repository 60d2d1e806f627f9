from alembic import context

from usm_appraisals.config import AppraisalsSettings
from usm_appraisals.models import Base
from usmkit.migrations import run_migrations

run_migrations(
    Base.metadata,
    context.config.attributes.get("database_url") or AppraisalsSettings().database_url,
)
