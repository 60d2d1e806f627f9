"""Plan versions: series, revision number and change note; copied items and reports.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("plans", sa.Column("series_id", sa.Uuid, nullable=True))
    op.add_column("plans", sa.Column("revision", sa.Integer, nullable=True))
    op.add_column("plans", sa.Column("revises_id", sa.Uuid, nullable=True))
    op.add_column("plans", sa.Column("change_note", sa.Text, nullable=True))
    # Every existing plan is the first version of its own series.
    op.execute("UPDATE plans SET series_id = id, revision = 1")
    op.alter_column("plans", "series_id", nullable=False)
    op.alter_column("plans", "revision", nullable=False)
    op.create_index(op.f("ix_plans_series_id"), "plans", ["series_id"])
    op.create_foreign_key(
        op.f("fk_plans_revises_id_plans"), "plans", "plans", ["revises_id"], ["id"]
    )
    op.create_unique_constraint(op.f("uq_plans_series_id"), "plans", ["series_id", "revision"])
    op.create_check_constraint(op.f("ck_plans_revision"), "plans", "revision >= 1")
    op.create_check_constraint(
        op.f("ck_plans_revises"), "plans", "(revision = 1) = (revises_id IS NULL)"
    )
    op.add_column("plan_items", sa.Column("origin_id", sa.Uuid, nullable=True))
    op.create_foreign_key(
        op.f("fk_plan_items_origin_id_plan_items"),
        "plan_items",
        "plan_items",
        ["origin_id"],
        ["id"],
    )
    op.add_column("progress_updates", sa.Column("origin_id", sa.Uuid, nullable=True))
    op.create_foreign_key(
        op.f("fk_progress_updates_origin_id_progress_updates"),
        "progress_updates",
        "progress_updates",
        ["origin_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_column("progress_updates", "origin_id")
    op.drop_column("plan_items", "origin_id")
    op.drop_constraint(op.f("ck_plans_revises"), "plans", type_="check")
    op.drop_constraint(op.f("ck_plans_revision"), "plans", type_="check")
    op.drop_constraint(op.f("uq_plans_series_id"), "plans", type_="unique")
    op.drop_constraint(op.f("fk_plans_revises_id_plans"), "plans", type_="foreignkey")
    op.drop_index(op.f("ix_plans_series_id"), "plans")
    for column in ("change_note", "revises_id", "revision", "series_id"):
        op.drop_column("plans", column)
