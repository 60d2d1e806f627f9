"""Knowledge items in full (body, dimensions, tags, licence, version, origin node) with a
generated full-text search vector in each item's language; comments and questions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANGUAGE_CONFIG = (
    "CASE WHEN language = 'es' THEN 'spanish'::regconfig ELSE 'english'::regconfig END"
)
SEARCH_VECTOR = (
    f"setweight(to_tsvector({LANGUAGE_CONFIG}, title), 'A')"
    f" || setweight(to_tsvector({LANGUAGE_CONFIG}, summary), 'B')"
    f" || setweight(to_tsvector({LANGUAGE_CONFIG}, body), 'C')"
)


def upgrade() -> None:
    op.add_column("knowledge_items", sa.Column("origin_node", sa.String(100)))
    op.add_column("knowledge_items", sa.Column("body", sa.Text, nullable=False, server_default=""))
    op.add_column(
        "knowledge_items",
        sa.Column(
            "dimensions", postgresql.ARRAY(sa.String(20)), nullable=False, server_default="{}"
        ),
    )
    op.add_column(
        "knowledge_items",
        sa.Column("tags", postgresql.ARRAY(sa.String(50)), nullable=False, server_default="{}"),
    )
    op.add_column(
        "knowledge_items",
        sa.Column("licence", sa.String(50), nullable=False, server_default="CC-BY-4.0"),
    )
    op.add_column(
        "knowledge_items", sa.Column("version", sa.Integer, nullable=False, server_default="1")
    )
    op.add_column("knowledge_items", sa.Column("created_by", sa.String(200)))
    op.add_column(
        "knowledge_items",
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.add_column(
        "knowledge_items",
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR,
            sa.Computed(SEARCH_VECTOR, persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_knowledge_items_search_vector",
        "knowledge_items",
        ["search_vector"],
        postgresql_using="gin",
    )
    op.create_index("ix_knowledge_items_tags", "knowledge_items", ["tags"], postgresql_using="gin")
    op.create_index(
        "ix_knowledge_items_dimensions", "knowledge_items", ["dimensions"], postgresql_using="gin"
    )
    op.create_table(
        "knowledge_comments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "item_id",
            sa.Uuid,
            sa.ForeignKey("knowledge_items.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("knowledge_comments")
    op.drop_index("ix_knowledge_items_dimensions", "knowledge_items")
    op.drop_index("ix_knowledge_items_tags", "knowledge_items")
    op.drop_index("ix_knowledge_items_search_vector", "knowledge_items")
    for column in (
        "search_vector",
        "updated_at",
        "created_by",
        "version",
        "licence",
        "tags",
        "dimensions",
        "body",
        "origin_node",
    ):
        op.drop_column("knowledge_items", column)
