"""Alert rules and alerts; per-report state behind the report counts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("indicator_code", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("operator", sa.String(20), nullable=False),
        sa.Column("threshold", sa.Numeric, nullable=False),
        sa.Column("compare_to", sa.String(20), nullable=True),
        sa.Column("window", sa.Integer, nullable=True),
        sa.Column("period_type", sa.String(10), nullable=True),
        sa.Column("district_code", sa.String(50), nullable=True),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_alert_rules_city_indicator", "alert_rules", ["city", "indicator_code"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("rule_id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("indicator_code", sa.String(50), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("rule_kind", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("district_code", sa.String(50), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("value", sa.Numeric, nullable=False),
        sa.Column("reference", sa.Numeric, nullable=True),
        sa.Column("message", sa.String(1000), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column(
            "raised_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("rule_id", "district_code", "period"),
    )
    op.create_index("ix_alerts_city_raised", "alerts", ["city", "raised_at", "id"])
    op.create_table(
        "counted_reports",
        sa.Column("report_id", sa.Uuid, primary_key=True),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("district_code", sa.String(50), nullable=True),
        sa.Column("category_code", sa.String(50), nullable=True),
        sa.Column("period", sa.String(7), nullable=True),
        sa.Column("submitted", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("counted_reports")
    op.drop_index("ix_alerts_city_raised", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_alert_rules_city_indicator", table_name="alert_rules")
    op.drop_table("alert_rules")
