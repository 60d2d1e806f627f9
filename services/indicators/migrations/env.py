from alembic import context

from usm_indicators.config import IndicatorsSettings
from usm_indicators.models import Base
from usmkit.migrations import run_migrations

run_migrations(
    Base.metadata,
    context.config.attributes.get("database_url") or IndicatorsSettings().database_url,
)
