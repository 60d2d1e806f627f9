"""Indexes that keep the duplicate search at intake on its index as the table grows.

The duplicate search (`duplicates.repository.earliest_candidate`) runs inside the intake
statement, a prepared statement whose generic plan PostgreSQL makes once per connection,
while the table may still be small. Against a few hundred rows, `ix_reports_city_h3_cell`
(condition: the city) with a sort looked as cheap as the category index, and that plan
then read every report of the city on each intake: 5.8 ms at 5,000 reports, growing with
the table (benchmark, 2026-11-26). Now the category index also gives the order the search
wants, and the cell index, partial, serves only queries that ask for a cell.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_reports_city_category_code_submitted_at", table_name="reports")
    op.create_index(
        "ix_reports_city_category_code_submitted_at",
        "reports",
        ["city", "category_code", "submitted_at", "id"],
    )
    op.drop_index("ix_reports_city_h3_cell", table_name="reports")
    op.create_index(
        "ix_reports_city_h3_cell",
        "reports",
        ["city", "h3_cell"],
        postgresql_where=sa.text("h3_cell IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_reports_city_h3_cell", table_name="reports")
    op.create_index("ix_reports_city_h3_cell", "reports", ["city", "h3_cell"])
    op.drop_index("ix_reports_city_category_code_submitted_at", table_name="reports")
    op.create_index(
        "ix_reports_city_category_code_submitted_at",
        "reports",
        ["city", "category_code", "submitted_at"],
    )
