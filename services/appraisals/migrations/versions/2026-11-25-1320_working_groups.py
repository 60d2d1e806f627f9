"""Working Groups, their members, sessions and attendance.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Names spelled out: op.create_table does not apply the metadata's naming convention.
    op.create_table(
        "working_groups",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("districts", postgresql.ARRAY(sa.String(50)), nullable=False),
        sa.Column("mandate", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_groups")),
        sa.CheckConstraint(
            "status IN ('active', 'inactive')", name=op.f("ck_working_groups_status")
        ),
    )
    op.create_index(op.f("ix_working_groups_city"), "working_groups", ["city"])
    op.create_table(
        "members",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("working_group_id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sector", sa.String(30), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("gender", sa.String(30), nullable=True),
        sa.Column("age_band", sa.String(20), nullable=True),
        sa.Column("disability", sa.Boolean, nullable=True),
        sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_scope", postgresql.ARRAY(sa.String(40)), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_members_working_group_id_working_groups"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "sector IN ('local_authority', 'civil_society', 'resident', 'academia', "
            "'private_sector', 'community_leader')",
            name=op.f("ck_members_sector"),
        ),
        sa.CheckConstraint("role IN ('facilitator', 'member')", name=op.f("ck_members_role")),
        sa.CheckConstraint(
            "(consent_given_at IS NULL) = (consent_scope IS NULL)",
            name=op.f("ck_members_consent_complete"),
        ),
    )
    op.create_index(op.f("ix_members_working_group_id"), "members", ["working_group_id"])
    op.create_table(
        "group_sessions",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("working_group_id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("place", sa.String(300), nullable=False),
        sa.Column("agenda", sa.Text, nullable=False),
        sa.Column("minutes", sa.Text, nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_sessions")),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_group_sessions_working_group_id_working_groups"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        op.f("ix_group_sessions_working_group_id"), "group_sessions", ["working_group_id"]
    )
    op.create_table(
        "session_attendance",
        sa.Column("session_id", sa.Uuid, nullable=False),
        sa.Column("member_id", sa.Uuid, nullable=False),
        sa.PrimaryKeyConstraint("session_id", "member_id", name=op.f("pk_session_attendance")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["group_sessions.id"],
            name=op.f("fk_session_attendance_session_id_group_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_session_attendance_member_id_members"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(op.f("ix_session_attendance_member_id"), "session_attendance", ["member_id"])


def downgrade() -> None:
    op.drop_table("session_attendance")
    op.drop_table("group_sessions")
    op.drop_table("members")
    op.drop_table("working_groups")
