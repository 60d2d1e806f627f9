"""Versioned district copies (intake caches them) and the duplicate link made at intake.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "district_copies",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("version", sa.Uuid, nullable=False),
        sa.Column("copied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("city", name=op.f("pk_district_copies")),
    )
    # Cities whose districts were copied before versions existed get a first version.
    op.execute(
        "INSERT INTO district_copies (city, version, copied_at) "
        "SELECT DISTINCT city, gen_random_uuid(), now() FROM districts"
    )
    op.add_column("reports", sa.Column("possible_duplicate_of_id", sa.Uuid, nullable=True))
    op.create_foreign_key(
        op.f("fk_reports_possible_duplicate_of_id_reports"),
        "reports",
        "reports",
        ["possible_duplicate_of_id"],
        ["id"],
    )
    op.create_check_constraint(
        op.f("ck_reports_not_duplicate_of_itself"), "reports", "possible_duplicate_of_id <> id"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_reports_not_duplicate_of_itself"), "reports", type_="check")
    op.drop_constraint(
        op.f("fk_reports_possible_duplicate_of_id_reports"), "reports", type_="foreignkey"
    )
    op.drop_column("reports", "possible_duplicate_of_id")
    op.drop_table("district_copies")
